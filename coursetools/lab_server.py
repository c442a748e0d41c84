"""JupyterLab started exactly as ``make lab`` starts it (``python -m coursetools.lab``), isolated
in a scratch folder, and the processes a course left running.

No browser here: `coursetools.lab_page` drives the page this server shows.

Example:
    >>> lab = start_lab(Path("/tmp/My Course"), Path("/tmp/scratch"))  # doctest: +SKIP
    >>> lab.url  # doctest: +SKIP
    'http://127.0.0.1:40123/'
    >>> stop_lab(lab)  # doctest: +SKIP
    0
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import time
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import psutil

from helpers._runtime.servers import HOST, free_port


@dataclass
class Lab:
    """A JupyterLab server started by `start_lab`."""

    process: subprocess.Popen
    port: int
    token: str
    course: Path
    log: Path
    env: dict[str, str] = field(repr=False, default_factory=dict)
    base_url: str = "/"

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port><base_url>``, e.g. ``http://127.0.0.1:8890/``."""
        return f"http://{HOST}:{self.port}{self.base_url}"

    def output(self) -> str:
        """What the server has printed so far."""
        return self.log.read_text(errors="replace") if self.log.exists() else ""


def isolated_env(scratch: Path, environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """An environment whose Jupyter settings, workspaces, runtime files and temporary files
    (TensorBoard's machine-wide ``.tensorboard-info`` records too) live under ``scratch``.

    Example:
        >>> env = isolated_env(Path("/s"), {"PATH": "/bin"})
        >>> env["TMPDIR"], env["JUPYTERLAB_SETTINGS_DIR"], env["PATH"]
        ('/s/tmp', '/s/jupyter/settings', '/bin')
    """
    env = dict(os.environ if environ is None else environ)
    folders = {
        "TMPDIR": scratch / "tmp",
        "JUPYTER_CONFIG_DIR": scratch / "jupyter" / "config",
        "JUPYTERLAB_SETTINGS_DIR": scratch / "jupyter" / "settings",
        "JUPYTERLAB_WORKSPACES_DIR": scratch / "jupyter" / "workspaces",
        "JUPYTER_RUNTIME_DIR": scratch / "jupyter" / "runtime",
        "IPYTHONDIR": scratch / "ipython",
    }
    env.update({name: str(folder) for name, folder in folders.items()})
    env.pop("COURSE_DIR", None)  # the launcher sets it
    return env


def lab_arguments(course: Path, port: int, token: str, language: str | None = None) -> list[str]:
    """``python -m coursetools.lab`` (what ``make lab`` runs) for ``course`` (its edition in
    ``language``), headless, on 127.0.0.1:``port`` with ``token``.

    Example:
        >>> lab_arguments(Path("/c"), 8890, "t")[1:5]
        ['-m', 'coursetools.lab', '--course', '/c']
    """
    return [sys.executable, "-m", "coursetools.lab", "--course", str(course), "--no-browser",
            f"--port={port}", "--ServerApp.port_retries=0", f"--ServerApp.ip={HOST}",
            f"--IdentityProvider.token={token}", *(["--language", language] if language else [])]


def start_lab(course: Path, scratch: Path, timeout: float = 120.0,
              extra_env: Mapping[str, str] | None = None, base_url: str = "/",
              language: str | None = None) -> Lab:
    """Start JupyterLab on ``course`` as ``make lab`` does (``make lab LANG=ko`` with a
    ``language``), isolated under ``scratch`` (see `isolated_env`, plus ``extra_env``), under
    ``base_url`` (as JupyterHub's ``/user/<name>/``), and wait until it answers.

    Example:
        >>> lab = start_lab(Path("/tmp/My Course"), Path("/tmp/scratch"))  # doctest: +SKIP
        >>> lab.url  # doctest: +SKIP
        'http://127.0.0.1:40123/'
    """
    env = isolated_env(scratch)
    env.update(extra_env or {})
    for name in ("TMPDIR", "JUPYTER_CONFIG_DIR", "JUPYTERLAB_SETTINGS_DIR",
                 "JUPYTERLAB_WORKSPACES_DIR", "JUPYTER_RUNTIME_DIR", "IPYTHONDIR"):
        Path(env[name]).mkdir(parents=True, exist_ok=True)
    port, token, log = free_port(), secrets.token_hex(16), scratch / "jupyterlab.log"
    with open(log, "wb") as out:
        arguments = lab_arguments(course, port, token, language) + [f"--ServerApp.base_url={base_url}"]
        process = subprocess.Popen(arguments, cwd=course, env=env, stdout=out,
                                   stderr=subprocess.STDOUT)
    lab = Lab(process, port, token, course, log, env, base_url)
    deadline = time.monotonic() + timeout
    while not _answers(f"{lab.url}api/status?token={token}"):
        if process.poll() is not None or time.monotonic() > deadline:
            stop_lab(lab)
            raise RuntimeError(f"JupyterLab did not start (exit code {process.returncode}):\n"
                               f"{lab.output()[-3000:]}")
        time.sleep(0.5)
    return lab


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2):
            return True
    except OSError:
        return False


def stop_lab(lab: Lab, timeout: float = 60.0) -> int | None:
    """Stop JupyterLab as Ctrl+C or a logout does (SIGTERM: it shuts its kernels down), wait
    for it, and return its exit code (``None`` if it had to be killed).

    Example:
        >>> stop_lab(lab)  # doctest: +SKIP
        0
    """
    if lab.process.poll() is None:
        lab.process.terminate()
        try:
            return lab.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            lab.process.kill()
            lab.process.wait()
            return None
    return lab.process.returncode


def _mentions(process: psutil.Process, folder: str) -> bool:
    try:
        if folder in " ".join(process.cmdline()):
            return True
        return process.cwd().startswith(folder)
    except psutil.Error:
        return False


def course_processes(*folders: Path) -> list[psutil.Process]:
    """Living processes (not this one) whose command line or working folder mentions one of
    ``folders``.

    Example:
        >>> course_processes(Path("/no/such/course"))
        []
    """
    marks = [str(folder) for folder in folders]
    found = []
    for process in psutil.process_iter():
        try:
            if process.pid == os.getpid() or process.status() == psutil.STATUS_ZOMBIE:
                continue
        except psutil.Error:
            continue
        if any(_mentions(process, mark) for mark in marks):
            found.append(process)
    return found


def tensorboard_processes(course: Path) -> list[psutil.Process]:
    """TensorBoard's processes (the server and its data server) that belong to ``course``.

    Example:
        >>> tensorboard_processes(Path("/no/such/course"))
        []
    """
    found = []
    for process in course_processes(course):
        try:
            command = " ".join(process.cmdline()).lower()
        except psutil.Error:
            continue
        if "tensorboard" in command and "ipykernel" not in command and "jupyter" not in command:
            found.append(process)
    return found


def describe(processes: list[psutil.Process]) -> str:
    """One line per process: pid and command line.

    Example:
        >>> describe([])
        '(none)'
    """
    lines = []
    for process in processes:
        try:
            lines.append(f"{process.pid}: {' '.join(process.cmdline())[:200]}")
        except psutil.Error:
            lines.append(f"{process.pid}: (gone)")
    return "\n".join(lines) or "(none)"
