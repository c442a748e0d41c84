"""What TensorBoard's own ``%tensorboard`` magic needs around it in a course notebook.

The chapters show TensorBoard with the magic itself::

    %load_ext tensorboard
    prepare_tensorboard_magic(RUN_DIR.parent)
    %tensorboard --logdir "{RUN_DIR.parent}" --host 127.0.0.1 --reload_interval 1

`prepare_tensorboard_magic` forgets servers that died (the magic would reuse their records
and show an empty frame), draws the frame through the Jupyter server on hosted Jupyter,
stops this kernel's TensorBoards when the kernel stops, and waits until a reused server
lists the run just written. `redraw_frames` reloads the magic's frames while a cell trains.

>>> prepare_tensorboard_magic()  # doctest: +SKIP
[]
"""

from __future__ import annotations

import atexit
import os
import shutil
import sys
import time
from pathlib import Path

from helpers._runtime.checks import check_folder_to_show
from helpers._runtime.servers import (
    forget_dead_tensorboards,
    forgotten_message,
    proxy_url,
    stop_before_kernel_shutdown,
    stop_tensorboards,
    this_kernels_tensorboards,
    wait_until_listed,
)

__all__ = ["prepare_tensorboard_magic", "redraw_frames", "stop_tensorboards"]


def prepare_tensorboard_magic(logdir: str | Path | None = None, quiet: bool = False) -> list[int]:
    """Get ``%tensorboard`` ready: forget dead TensorBoards (and say so), point the magic at
    this environment's ``tensorboard`` if it is not on ``PATH`` (as when JupyterLab runs from
    a virtual environment that was never activated), draw its frame through the Jupyter
    server on hosted Jupyter (see `proxy_url`; a ``$TENSORBOARD_PROXY_URL`` you set wins),
    and stop this kernel's TensorBoards when the kernel stops. With ``logdir``, a
    TensorBoard this kernel already runs there (which the magic will reuse) first lists
    every run in it, so the frame shows the run just written.

    >>> prepare_tensorboard_magic("no/such/folder")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    FileNotFoundError: No folder no/such/folder to show in TensorBoard: run the cells ...
    """
    if logdir is not None:
        logdir = check_folder_to_show(logdir)
    if not shutil.which("tensorboard") and not os.environ.get("TENSORBOARD_BINARY"):
        beside = Path(sys.executable).with_name("tensorboard")
        if beside.exists():
            os.environ["TENSORBOARD_BINARY"] = str(beside)
    if "TENSORBOARD_PROXY_URL" not in os.environ and (proxy := proxy_url()):
        os.environ["TENSORBOARD_PROXY_URL"] = proxy  # read by TensorBoard's frame
    atexit.unregister(stop_tensorboards)
    atexit.register(stop_tensorboards)
    stop_before_kernel_shutdown()
    forgotten = forget_dead_tensorboards()
    if forgotten and not quiet:
        print(forgotten_message(forgotten))
    if logdir is not None:
        for info in this_kernels_tensorboards():
            if Path(info.logdir).resolve() == logdir.resolve():
                wait_until_listed(info.port, logdir)
    return forgotten


_last_redraw = float("-inf")
_redraw_outputs: set[str] = set()  # the display ids of the cells that redrew frames so far


def redraw_frames(logdir: str | Path, every: float = 5.0) -> bool:
    """Reload the ``%tensorboard`` frames of this kernel's TensorBoard on ``logdir``, so they
    draw the points written since they loaded; return whether it did. At most once every
    ``every`` seconds (a frame needs a moment to load), and only in JupyterLab or Jupyter
    Notebook: on Colab each output lives apart, so click the frame's reload button there.

    TensorBoard's page fetches new data only when it loads, when you click its reload
    button, or every 30 s or more once you switch on *Settings → Reload data*; no option of
    the magic or the server turns that on.

    >>> redraw_frames("runs/04_training")  # no TensorBoard of this process shows it
    False
    """
    global _last_redraw
    import IPython
    import IPython.display

    if "google.colab" in sys.modules or time.monotonic() - _last_redraw < every:
        return False
    ports = [info.port for info in this_kernels_tensorboards()
             if Path(info.logdir).resolve() == Path(logdir).resolve()]
    if not ports:
        return False
    # the magic's frames have ids "tensorboard-frame-..."; their address ends in the port
    # (":6006/") or, through the Jupyter server, in "/proxy/6006/"
    script = f"""<script>
document.querySelectorAll('iframe[id^="tensorboard-frame-"]').forEach(frame => {{
  const url = new URL(frame.src || "about:blank", window.location);
  if (url.port === "{ports[0]}" || url.pathname.endsWith("/proxy/{ports[0]}/")) frame.src = frame.src;
}});
</script><!-- {time.time()} -->"""
    shell = IPython.get_ipython()
    output = f"redraw-tensorboard-frames-{shell.execution_count if shell else 0}"  # this cell's
    IPython.display.display(IPython.display.HTML(script), display_id=output,
                            update=output in _redraw_outputs)
    _redraw_outputs.add(output)
    _last_redraw = time.monotonic()
    return True
