"""Ports, processes and TensorBoard's records of its servers: what the helpers and the
tooling both need, with no torch: ``coursetools`` may import it (and `datafiles` and
`helpers.paths`), and nothing else of ``helpers``.

>>> tensorboard_answers(free_port())  # nothing listens on a free port
False
"""

from __future__ import annotations

import contextlib
import inspect
import json
import os
import socket
import time
import urllib.request
from pathlib import Path

import psutil

HOST = "127.0.0.1"


def port_is_free(port: int, host: str = HOST) -> bool:
    """True if nothing listens on ``host:port``.

    >>> port_is_free(0)
    True"""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def free_port(preferred: int = 0) -> int:
    """``preferred`` if nothing listens there, else (or if it is 0) a free port on 127.0.0.1
    that the system picks.

    >>> 0 < free_port() < 65536
    True"""
    if preferred and port_is_free(preferred):
        return preferred
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def tensorboard_answers(port: int, timeout: float = 5.0) -> bool:
    """True if a TensorBoard answers on 127.0.0.1:``port``.

    >>> tensorboard_answers(free_port())
    False"""
    try:
        with urllib.request.urlopen(f"http://{HOST}:{port}/data/logdir", timeout=timeout):
            return True
    except OSError:
        return False


def still_runs(info) -> bool:
    """True if the TensorBoard a record (`tensorboard.manager.TensorBoardInfo`) names still
    runs: its pid is alive and was not given to a newer program since the record was written
    (pids are reused, after a restart above all).

    >>> import os, time
    >>> from tensorboard.manager import TensorBoardInfo
    >>> still_runs(TensorBoardInfo("2.21.0", int(time.time()) - 3600, os.getpid(), 6006,
    ...                            "", "runs", "", "key"))  # this Python started after it
    False"""
    try:
        return psutil.Process(info.pid).create_time() <= info.start_time + 1
    except psutil.Error:
        return False


def forget_dead_tensorboards() -> list[int]:
    """Delete the records of TensorBoards that are gone; return their ports.

    ``%tensorboard`` reuses a recorded TensorBoard for the same arguments without checking
    that it still runs, and then shows an empty frame. A killed kernel or a restarted
    machine leaves such records behind."""
    from tensorboard import manager

    info_dir = Path(manager._get_info_dir())  # where TensorBoard records its running servers
    forgotten = []
    for record in sorted(info_dir.glob("pid-*.info")):
        try:
            info = manager._info_from_string(record.read_text())
        except (OSError, ValueError):
            continue
        # never ask the port of a record whose pid another program has now
        if not still_runs(info) or not tensorboard_answers(info.port):  # a busy one is slow
            record.unlink(missing_ok=True)
            forgotten.append(info.port)
    return forgotten


def forgotten_message(ports: list[int]) -> str:
    """What to tell the learner after `forget_dead_tensorboards` forgot ``ports``.

    >>> forgotten_message([6006, 6007]).split(", so")[0]
    'Forgot 2 record(s) of TensorBoards that no longer run (port(s) 6006, 6007)'"""
    return (f"Forgot {len(ports)} record(s) of TensorBoards that no longer run "
            f"(port(s) {', '.join(map(str, ports))}), so nothing reuses them.")


def jupyter_base_url() -> str | None:
    """The base URL (``/user/<name>/`` on JupyterHub) of the Jupyter server that started this
    kernel, or ``None`` when no such server is found (a plain script, VS Code, Colab)."""
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
    kernel's machine directly, as with ``make lab``."""
    import importlib.util

    base = jupyter_base_url()
    if not base or base == "/" or importlib.util.find_spec("jupyter_server_proxy") is None:
        return None
    return base.rstrip("/") + "/proxy/%PORT%/"


def wait_until_listed(port: int, logdir: str | Path, timeout: float = 20.0) -> bool:
    """Wait until the TensorBoard on ``port`` lists every run under ``logdir`` (it rescans
    its folder every second or so, and a page loaded before that never shows the new run);
    return whether it does."""
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


def this_kernels_tensorboards() -> list:
    """TensorBoard's records (``TensorBoardInfo``) of the servers this process started,
    with ``%tensorboard``; never a terminal's or another user's.

    >>> this_kernels_tensorboards()
    []"""
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

    >>> starting_tensorboards()
    []"""
    found = []
    for child in psutil.Process().children():
        with contextlib.suppress(psutil.Error):
            if any(Path(part).name == "tensorboard" for part in child.cmdline()[:2]):
                found.append(child)
    return found


def stop_tensorboards() -> int:
    """Stop the TensorBoards this kernel started (also one still starting up), and every
    process they started, at once; return how many. TensorBoard only reads event files, so
    ending it without waiting loses nothing. TensorBoards started elsewhere (a terminal,
    another notebook) keep running.

    >>> stop_tensorboards()
    0"""
    from tensorboard import manager

    mine = this_kernels_tensorboards()
    servers = {info.pid for info in mine} | {process.pid for process in starting_tensorboards()}
    children, processes = [], []
    for pid in servers:
        with contextlib.suppress(psutil.Error):
            server = psutil.Process(pid)
            children.append(server)
            processes += [server, *server.children(recursive=True)]  # its data server
    for process in processes:
        with contextlib.suppress(psutil.Error):
            process.kill()
    psutil.wait_procs(children, timeout=2)  # ours to reap at once: no <defunct> process left
    info_dir = Path(manager._get_info_dir())  # where TensorBoard records its running servers
    for info in mine:
        (info_dir / f"pid-{info.pid}.info").unlink(missing_ok=True)
    return len(servers)


def stop_before_kernel_shutdown() -> None:
    """Make this Jupyter kernel stop its TensorBoards first when it is asked to shut down
    or restart. The kernel itself would end them too, but politely, checking back after
    0.01, 0.03, 0.1, 0.3 and 1 s: about 1.5 s of every restart spent on a TensorBoard."""
    import IPython

    kernel = getattr(IPython.get_ipython(), "kernel", None)
    for handlers in (getattr(kernel, "control_handlers", None), getattr(kernel, "shell_handlers", None)):
        original = handlers.get("shutdown_request") if isinstance(handlers, dict) else None
        if original is None or getattr(original, "stops_tensorboards", False):
            continue

        async def shutdown_request(*args, _original=original):
            stop_tensorboards()
            result = _original(*args)
            return await result if inspect.isawaitable(result) else result

        shutdown_request.stops_tensorboards = True
        handlers["shutdown_request"] = shutdown_request
