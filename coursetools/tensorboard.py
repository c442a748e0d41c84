"""TensorBoard servers for the tests and the screenshots, always on 127.0.0.1.

The chapters start TensorBoard with its own ``%tensorboard`` magic (through
``tensorboard.manager``); this module starts it with ``Popen`` instead because a test or a
screenshot needs what the magic cannot give outside a kernel: a server it owns and stops
itself, with a timeout and its log, in a plain Python process.

Example:
    >>> from coursetools.tensorboard import TensorBoard
    >>> with TensorBoard("runs") as tb:  # doctest: +SKIP
    ...     print(tb.url)
    http://127.0.0.1:6006/
"""

from __future__ import annotations

import atexit
import contextlib
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

from helpers._runtime.servers import (
    HOST,
    end_processes,
    forget_dead_tensorboards,
    forgotten_message,
    free_port,
    tensorboard_answers,
)

DEFAULT_PORT = 6006


class TensorBoard:
    """A TensorBoard server on 127.0.0.1 for ``logdir``, stopped by `stop`, at the end of
    ``with``, or when Python exits.

    It says what it did when it had to work around something: a port that is taken (it
    uses a free one), or records of dead TensorBoards (it forgets them). ``port=0`` lets
    the system pick a free port. A relative ``logdir`` is relative to ``cwd`` (default: the
    current folder), and TensorBoard shows it as given.

    Example:
        >>> with TensorBoard("runs", port=6006) as tb:  # doctest: +SKIP
        ...     tb.url
        'http://127.0.0.1:6006/'
    """

    def __init__(self, logdir: str | Path, port: int = DEFAULT_PORT, timeout: float = 60.0,
                 quiet: bool = False, cwd: str | Path | None = None) -> None:
        self.logdir = Path(logdir)
        if not (Path(cwd or ".") / self.logdir).is_dir():
            raise FileNotFoundError(f"Log directory {self.logdir} does not exist.")
        say = (lambda message: None) if quiet else print
        forgotten = forget_dead_tensorboards()
        if forgotten:
            say(forgotten_message(forgotten))
        self.port = free_port(port)
        if port and self.port != port:
            say(f"Port {port} is taken (another program listens there); "
                f"this TensorBoard uses port {self.port} instead.")
        self.url = f"http://{HOST}:{self.port}/"
        self._log = tempfile.TemporaryFile()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tensorboard.main", "--logdir", str(self.logdir),
             "--host", HOST, "--port", str(self.port), "--reload_interval", "1"],
            stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True, cwd=cwd,
        )
        self._seen: dict[int, psutil.Process] = {}
        _started.append(self)
        if len(_started) == 1:
            atexit.register(_stop_started)
        deadline = time.monotonic() + timeout
        while not tensorboard_answers(self.port):
            if self.process.poll() is not None:
                err = self.output()[-2000:]
                self.stop()
                code = self.process.returncode
                raise RuntimeError(f"TensorBoard exited at start (code {code}):\n{err}")
            if time.monotonic() > deadline:
                self.stop()
                raise TimeoutError(
                    f"TensorBoard did not answer on {self.url} within {timeout:.0f} s.")
            time.sleep(0.2)
        self._family()  # remember what it started, e.g. its data server
        say(f"TensorBoard for {self.logdir} runs on {self.url}")

    def _family(self) -> list[psutil.Process]:
        """This server's living processes: TensorBoard and what it started (also those it
        left behind when it died: each one seen is remembered)."""
        try:
            server = psutil.Process(self.process.pid)
            for process in [server, *server.children(recursive=True)]:
                self._seen.setdefault(process.pid, process)
        except psutil.Error:
            pass
        living = []
        for process in self._seen.values():
            try:
                if process.is_running() and process.status() != psutil.STATUS_ZOMBIE:
                    living.append(process)
            except psutil.Error:
                continue
        return living

    def processes(self) -> list[int]:
        """Pids of this server's living processes: TensorBoard and what it started."""
        return sorted(process.pid for process in self._family())

    def output(self) -> str:
        """What the server has printed so far."""
        if self._log.closed:
            return ""
        self._log.seek(0)
        return self._log.read().decode(errors="replace")

    def stop(self) -> None:
        """Stop the server and every process it started, and wait for them (no zombies)."""
        end_processes(self._family())
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=10)
        self._log.close()
        if self in _started:
            _started.remove(self)

    def __enter__(self) -> TensorBoard:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


_started: list[TensorBoard] = []


def _stop_started() -> None:
    for server in list(_started):
        server.stop()
