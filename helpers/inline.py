"""TensorBoard inside the notebook: this kernel's servers, a frame that can be redrawn, and
nothing left running when the kernel stops.

`show_tensorboard` starts TensorBoard (through TensorBoard's own launcher, the one behind
``%tensorboard``) for one folder and shows it in the cell's output. Run the cell again and
the same server is reused; restart or shut down the kernel and its servers stop with it.

Example:
    >>> board = show_tensorboard("runs/04_training")  # doctest: +SKIP
    >>> board.refresh()  # doctest: +SKIP
    True
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import random
import shutil
import sys
import threading
import time
import urllib.request
from pathlib import Path

import psutil

HOST = "127.0.0.1"
FRAME_HEIGHT = 800
DASHBOARDS = {"", "timeseries", "scalars", "images", "graphs", "distributions", "histograms",
              "projector", "pr_curves", "hparams", "text", "custom_scalars", "audio", "mesh"}
"""TensorBoard's dashboards, by the name its URL uses (``#scalars``)."""
RESCAN_SECONDS = 1  # how often TensorBoard looks for new runs and points (its default: 5 s)


def answers(port: int, timeout: float = 5.0) -> bool:
    """True if a TensorBoard answers on 127.0.0.1:``port``.

    Example:
        >>> from helpers.distributed import free_port
        >>> answers(free_port())
        False
    """
    try:
        with urllib.request.urlopen(f"http://{HOST}:{port}/data/logdir", timeout=timeout):
            return True
    except OSError:
        return False


def still_runs(info) -> bool:
    """True if the TensorBoard a record (`tensorboard.manager.TensorBoardInfo`) names still
    runs: its pid is alive and was not given to a newer program since the record was written
    (pids are reused, after a restart above all).

    Example:
        >>> import os, time
        >>> from tensorboard.manager import TensorBoardInfo
        >>> still_runs(TensorBoardInfo("2.21.0", int(time.time()) - 3600, os.getpid(), 6006,
        ...                            "", "runs", "", "key"))  # this Python started after it
        False
    """
    try:
        return psutil.Process(info.pid).create_time() <= info.start_time + 1
    except psutil.Error:
        return False


def forget_dead_tensorboards() -> list[int]:
    """Delete the records of TensorBoards that are gone; return their ports.

    ``%tensorboard`` reuses a recorded TensorBoard for the same arguments without checking
    that it still runs, and then shows an empty frame. A killed kernel or a restarted
    machine leaves such records behind.

    Example:
        >>> forget_dead_tensorboards()  # doctest: +SKIP
        [6006]
    """
    from tensorboard import manager

    info_dir = Path(manager._get_info_dir())  # where TensorBoard records its running servers
    forgotten = []
    for record in sorted(info_dir.glob("pid-*.info")):
        try:
            info = manager._info_from_string(record.read_text())
        except (OSError, ValueError):
            continue
        # never ask the port of a record whose pid another program has now
        if not still_runs(info) or not answers(info.port):  # a busy one is slow
            record.unlink(missing_ok=True)
            forgotten.append(info.port)
    return forgotten


def forgotten_message(ports: list[int]) -> str:
    """What to tell the learner after `forget_dead_tensorboards` forgot ``ports``.

    Example:
        >>> forgotten_message([6006, 6007]).split(", so")[0]
        'Forgot 2 record(s) of TensorBoards that no longer run (port(s) 6006, 6007)'
    """
    return (f"Forgot {len(ports)} record(s) of TensorBoards that no longer run "
            f"(port(s) {', '.join(map(str, ports))}), so nothing reuses them.")


def jupyter_base_url() -> str | None:
    """The base URL (``/user/<name>/`` on JupyterHub) of the Jupyter server that started this
    kernel, or ``None`` when no such server is found (a plain script, VS Code, Colab).

    Example:
        >>> jupyter_base_url()  # in a kernel of JupyterHub's server for "learner"  # doctest: +SKIP
        '/user/learner/'
    """
    try:  # each Jupyter server records itself in jpserver-<pid>.json (jupyter_server's
        # own list_running_servers reads the same files, but importing it takes a second)
        from jupyter_core.paths import jupyter_runtime_dir

        ancestors = {process.pid for process in psutil.Process().parents()}
        records = sorted(Path(jupyter_runtime_dir()).glob("jpserver-*.json"))
    except (ImportError, psutil.Error, OSError):
        return None
    for record in records:
        try:
            info = json.loads(record.read_text(encoding="utf-8"))
        except (OSError, ValueError):  # being written, or gone
            continue
        if isinstance(info, dict) and info.get("pid") in ancestors:
            return info.get("base_url")
    return None


def proxy_url() -> str | None:
    """``<base_url>proxy/%PORT%/`` when this kernel's Jupyter server runs under a base URL
    (JupyterHub, Binder) and can proxy (``jupyter-server-proxy``): there the browser reaches
    TensorBoard only through the Jupyter server. ``None`` where the browser reaches the
    kernel's machine directly, as with ``make lab``.

    Example:
        >>> proxy_url()  # in a kernel on JupyterHub, with jupyter-server-proxy  # doctest: +SKIP
        '/user/learner/proxy/%PORT%/'
    """
    import importlib.util

    base = jupyter_base_url()
    if not base or base == "/" or importlib.util.find_spec("jupyter_server_proxy") is None:
        return None
    return base.rstrip("/") + "/proxy/%PORT%/"


def wait_until_listed(port: int, logdir: str | Path, timeout: float = 20.0) -> bool:
    """Wait until the TensorBoard on ``port`` lists every run under ``logdir`` (it rescans
    its folder every second or so, and a page loaded before that never shows the new run);
    return whether it does.

    Example:
        >>> wait_until_listed(6006, "runs/04_training")  # doctest: +SKIP
        True
    """
    logdir = Path(logdir)
    on_disk = {path.parent.relative_to(logdir).as_posix()
               for path in logdir.rglob("events.out.tfevents.*")}
    deadline = time.monotonic() + timeout
    while True:
        try:
            url = f"http://{HOST}:{port}/data/runs"
            with urllib.request.urlopen(url, timeout=5) as response:
                if on_disk <= set(json.load(response)):
                    return True
        except (OSError, ValueError):
            pass
        if time.monotonic() > deadline:
            return False
        time.sleep(0.2)


def prepare_tensorboard_magic(logdir: str | Path | None = None, quiet: bool = False) -> list[int]:
    """Get ``%tensorboard`` ready: forget dead TensorBoards (and say so), point the magic at
    this environment's ``tensorboard`` if it is not on ``PATH`` (as when JupyterLab runs from
    a virtual environment that was never activated), draw its frame through the Jupyter
    server on hosted Jupyter (see `proxy_url`; a ``$TENSORBOARD_PROXY_URL`` you set wins),
    and stop this kernel's TensorBoards when the kernel stops. With ``logdir``, a
    TensorBoard this kernel already runs there (which the magic will reuse) first lists
    every run in it, so the frame shows the run just written.

    Example:
        >>> prepare_tensorboard_magic()  # doctest: +SKIP
        []
    """
    if not shutil.which("tensorboard") and not os.environ.get("TENSORBOARD_BINARY"):
        beside = Path(sys.executable).with_name("tensorboard")
        if beside.exists():
            os.environ["TENSORBOARD_BINARY"] = str(beside)
    if "TENSORBOARD_PROXY_URL" not in os.environ and (proxy := proxy_url()):
        os.environ["TENSORBOARD_PROXY_URL"] = proxy  # read by TensorBoard's frame and ours
    atexit.unregister(stop_tensorboards)
    atexit.register(stop_tensorboards)
    forgotten = forget_dead_tensorboards()
    if forgotten and not quiet:
        print(forgotten_message(forgotten))
    if logdir is not None:
        for info in this_kernels_tensorboards():
            if Path(info.logdir).resolve() == Path(logdir).resolve():
                wait_until_listed(info.port, logdir)
    return forgotten


def this_kernels_tensorboards() -> list:
    """TensorBoard's records (``TensorBoardInfo``) of the servers this process started,
    with ``%tensorboard`` or `show_tensorboard`; never a terminal's or another user's.

    Example:
        >>> this_kernels_tensorboards()
        []
    """
    from tensorboard import manager

    mine = []
    for info in manager.get_all():
        try:
            if still_runs(info) and psutil.Process(info.pid).ppid() == os.getpid():
                mine.append(info)  # not a dead one's record whose pid a child of ours has now
        except psutil.Error:
            continue
    return mine


def end_processes(processes: list[psutil.Process], timeout: float = 10.0) -> None:
    """Ask ``processes`` to stop, kill those still running after ``timeout`` seconds, and
    wait for all of them (so none is left as a zombie).

    Example:
        >>> end_processes([])
    """
    for process in processes:
        with contextlib.suppress(psutil.Error):
            process.terminate()
    _, alive = psutil.wait_procs(processes, timeout=timeout)
    for process in alive:
        with contextlib.suppress(psutil.Error):
            process.kill()
    psutil.wait_procs(alive, timeout=timeout)


def starting_tensorboards() -> list[psutil.Process]:
    """TensorBoards this process started that have not recorded themselves yet (still
    starting up), found by their command line.

    Example:
        >>> starting_tensorboards()
        []
    """
    found = []
    for child in psutil.Process().children():
        with contextlib.suppress(psutil.Error):
            if any(Path(part).name == "tensorboard" for part in child.cmdline()[:2]):
                found.append(child)
    return found


def stop_tensorboards() -> int:
    """Stop the TensorBoards this kernel started (also one still starting up), and every
    process they started; return how many. TensorBoards started elsewhere (a terminal,
    another notebook) keep running.

    Example:
        >>> stop_tensorboards()
        0
    """
    servers = {info.pid for info in this_kernels_tensorboards()}
    servers |= {process.pid for process in starting_tensorboards()}
    for pid in servers:
        try:
            server = psutil.Process(pid)
            end_processes([server, *server.children(recursive=True)])
        except psutil.Error:
            continue
    forget_dead_tensorboards()
    return len(servers)


class InlineTensorBoard:
    """A TensorBoard shown in one cell's output, which `refresh` redraws in place.

    TensorBoard's page fetches new data only when you click its reload button, or every
    30 s or more once you turn on *Settings → Reload data* (no URL or command line option
    turns that on); `refresh` reloads the whole frame instead, so new points show up while
    a cell is still training.

    Example:
        >>> board = show_tensorboard("runs/04_training")  # doctest: +SKIP
        >>> board.port  # doctest: +SKIP
        6006
    """

    def __init__(self, logdir: Path, height: int = FRAME_HEIGHT, dashboard: str = "") -> None:
        import IPython.display

        self.logdir, self.height, self.dashboard = logdir, height, dashboard
        self.port: int | None = None  # known once TensorBoard answers
        self.error: str | None = None  # why it did not start, if it did not
        self._handle = IPython.display.display(
            IPython.display.Pretty(f"Starting TensorBoard for {logdir.name}/ ..."),
            display_id=True)
        self._drawn_at = float("-inf")
        self._done = threading.Event()

    def start(self) -> None:
        """Start (or reuse) this kernel's TensorBoard for the folder in the background, and
        draw the frame as soon as it answers; the cells below run meanwhile."""
        threading.Thread(target=self._start, name="start-tensorboard", daemon=True).start()

    def _start(self) -> None:
        import IPython.display

        try:
            with _starting:  # one start at a time: a second one finds the first and reuses it
                self.port = start_or_reuse(self.logdir)
            self.refresh(wait=0)
        except (RuntimeError, TimeoutError) as error:
            self.error = str(error)
            self._handle.update(IPython.display.Pretty(self.error))
        finally:
            self._done.set()

    def ready(self, timeout: float = 90.0) -> bool:
        """Wait until the frame is drawn; False if TensorBoard did not start (see `error`).

        Example:
            >>> show_tensorboard("runs/04_training").ready()  # doctest: +SKIP
            True
        """
        self._done.wait(timeout)
        return self.port is not None

    @property
    def url(self) -> str:
        """The address of this TensorBoard on this machine."""
        return f"http://{HOST}:{self.port}/"

    def refresh(self, wait: float = 5.0) -> bool:
        """Redraw the frame, unless it was drawn less than ``wait`` seconds ago (a frame
        needs a moment to load) or TensorBoard is still starting; return whether it was
        redrawn.

        Example:
            >>> board.refresh(wait=0)  # doctest: +SKIP
            True
        """
        if self.port is None or time.monotonic() - self._drawn_at < wait:
            return False
        if "google.colab" in sys.modules:
            from tensorboard import notebook

            # Colab reaches the kernel's ports only through its own proxy: TensorBoard's frame
            notebook._display(port=self.port, height=self.height, print_message=False,
                              display_handle=self._handle)
        else:
            import IPython.display

            self._handle.update(IPython.display.HTML(frame_html(self.port, self.height,
                                                                self.dashboard)))
        self._drawn_at = time.monotonic()
        return True


def frame_html(port: int, height: int = FRAME_HEIGHT, dashboard: str = "") -> str:
    """TensorBoard's notebook frame (as ``%tensorboard`` draws it: the port on the host the
    browser already reaches, or ``$TENSORBOARD_PROXY_URL`` with ``%PORT%``), opened on
    ``dashboard``.

    Example:
        >>> 'url.hash = "scalars"' in frame_html(6006, dashboard="scalars")
        True
    """
    proxy = os.environ.get("TENSORBOARD_PROXY_URL")
    url, frame_port = (proxy.replace("%PORT%", str(port)), 0) if proxy else ("/", port)
    return f"""<iframe id="{{id}}" width="100%" height="{height}" frameborder="0"></iframe>
<script>
  (function() {{
    const frame = document.getElementById("{{id}}");
    const url = new URL({json.dumps(url)}, window.location);
    if ({frame_port}) {{ url.port = {frame_port}; }}
    url.hash = {json.dumps(dashboard)};
    frame.src = url;
  }})();
</script>""".replace("{id}", f"tensorboard-frame-{random.getrandbits(64):016x}")


def tensorboard_arguments(logdir: str | Path) -> list[str]:
    """The command line for TensorBoard on ``logdir``: on 127.0.0.1 only, rescanning every
    second, with the folder as one argument (spaces and any letters included).

    Example:
        >>> tensorboard_arguments("My Course/runs/04_training")[:2]
        ['--logdir', 'My Course/runs/04_training']
    """
    return ["--logdir", str(logdir), "--host", HOST, "--reload_interval", str(RESCAN_SECONDS)]


_starting = threading.Lock()


def start_or_reuse(logdir: Path) -> int:
    """This kernel's TensorBoard for ``logdir``, started through TensorBoard's own launcher
    (reused if one runs, once it lists every run on disk); its port.

    Example:
        >>> start_or_reuse(Path("runs/04_training"))  # doctest: +SKIP
        6006
    """
    from tensorboard import manager

    result = manager.start(tensorboard_arguments(logdir.resolve()))
    if isinstance(result, manager.StartReused):
        wait_until_listed(result.info.port, logdir)  # the run the cells above just wrote
    if isinstance(result, manager.StartReused | manager.StartLaunched):
        return result.info.port
    if isinstance(result, manager.StartFailed):
        detail = (result.stderr or result.stdout or "").strip()[-1500:]
        raise RuntimeError(f"TensorBoard stopped at start (exit code {result.exit_code}):\n"
                           f"{detail}")
    if isinstance(result, manager.StartExecFailed):
        raise RuntimeError(
            f"Could not run TensorBoard ({result.os_error}): install it in this environment "
            "(pip install tensorboard) and restart the kernel.")
    raise TimeoutError(
        f"TensorBoard did not start within 60 s (pid {result.pid}); the machine may be busy: "
        "run the cell again.")


def show_tensorboard(logdir: str | Path, dashboard: str = "",
                     height: int = FRAME_HEIGHT) -> InlineTensorBoard:
    """Show TensorBoard for ``logdir`` in this cell's output, opened on ``dashboard`` (such
    as ``"scalars"`` or ``"images"``, with TensorBoard's own URL settings if you like:
    ``"scalars&tagFilter=loss"``; TensorBoard's first one if empty), and return it (see
    `InlineTensorBoard.refresh`). It starts in the background (a few seconds) if this
    kernel has none for that folder yet: the cells below run meanwhile, and the frame
    appears here as soon as TensorBoard answers.

    Example:
        >>> show_tensorboard("no/such/folder")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        FileNotFoundError: No folder no/such/folder to show in TensorBoard: run the cells ...
    """
    if not isinstance(getattr(logdir, "log_dir", logdir), str | Path):
        raise TypeError(f"Pass the folder to show, e.g. RUN_DIR.parent, got {logdir!r}.")
    page = dashboard.split("&")[0] if isinstance(dashboard, str) else None
    if page not in DASHBOARDS:
        raise ValueError(f"Unknown dashboard {dashboard!r}; choose one of {sorted(DASHBOARDS - {''})}, "
                         "or '' for TensorBoard's first one.")
    if isinstance(height, bool) or not isinstance(height, int) or height < 100:
        raise ValueError(f"height is the frame's height in pixels, a whole number >= 100, got {height!r}.")
    logdir = Path(getattr(logdir, "log_dir", logdir))  # a SummaryWriter stands for its folder
    if logdir.is_file():
        raise NotADirectoryError(f"{logdir} is a file: show its folder ({logdir.parent}).")
    if not logdir.is_dir():
        raise FileNotFoundError(
            f"No folder {logdir} to show in TensorBoard: run the cells above first, "
            "they create it.")
    prepare_tensorboard_magic()
    board = InlineTensorBoard(logdir, height, dashboard)
    board.start()
    return board
