"""Chapter 07's exercises, solved: the same job, started two other ways."""

import subprocess

from helpers import distributed
from helpers.board import new_run_dir
from helpers.paths import course_dir


def _torchrun(processes: int, *args: str) -> None:
    run_dir = new_run_dir("07_distributed")
    command = distributed.torchrun_command(processes, ["--run-dir", str(run_dir), *args])
    subprocess.run(command, env=distributed.loopback_env(), check=True, cwd=course_dir())


def exercise_1() -> None:
    """One process: it takes twice the steps of two, for the same images seen."""
    _torchrun(1)


def exercise_2() -> None:
    """Two processes with batches of 128: half the steps of the chapter's 64."""
    _torchrun(2, "--batch-size", "128")
