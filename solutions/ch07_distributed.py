"""Chapter 07's exercises, solved: the same script, started two other ways."""

import subprocess
import sys

from helpers import distributed
from helpers.board import new_run_dir
from helpers.paths import course_dir

SMALL = ["--train-size", "2000", "--test-size", "500", "--epochs", "1"]


def exercise_1() -> None:
    """One process: torchrun --nproc-per-node=1 (or no torchrun at all)."""
    command = distributed.torchrun_command(1, ["--run-dir", str(new_run_dir("07_distributed")), *SMALL])
    subprocess.run(command, env=distributed.loopback_env(), check=True, cwd=course_dir())


def exercise_2() -> None:
    """Batches of 128 per process: half the steps, each seeing twice the images."""
    run_dir = new_run_dir("07_distributed")
    command = [sys.executable, "-m", "helpers.distributed", "--run-dir", str(run_dir),
               "--batch-size", "128", *SMALL]
    subprocess.run(command, env=distributed.loopback_env(), check=True, cwd=course_dir())
