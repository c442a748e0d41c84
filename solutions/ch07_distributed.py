"""Chapter 07's exercises, solved: the chapter's script, changed where an exercise says, and
started with the chapter's `torchrun` command.

The script is the one the chapter's ``%%writefile train_ddp.py`` cell writes, read from the
chapter itself; each solution writes its own copy into a temporary folder and runs it there.
"""

import json
import subprocess
import sys
import tempfile
from datetime import datetime
from pathlib import Path

from helpers.distributed import loopback_env
from helpers.paths import course_dir

CHAPTER = Path(__file__).resolve().parent.parent / "notebooks" / "07_distributed.ipynb"
WRITEFILE = "%%writefile train_ddp.py"


def chapter_script() -> str:
    """The text of ``train_ddp.py`` as the chapter's ``%%writefile`` cell writes it."""
    for cell in json.loads(CHAPTER.read_text(encoding="utf-8"))["cells"]:
        source = "".join(cell["source"])
        if cell["cell_type"] == "code" and source.startswith(WRITEFILE + "\n"):
            return source[len(WRITEFILE) + 1:].rstrip("\n") + "\n"  # as the file ends
    raise LookupError(f"{CHAPTER.name} has no cell starting with {WRITEFILE!r}.")


def torchrun(script: Path, nproc: int, batch_size: int = 64, train_size: int = 8000,
             epochs: int = 2, name: str = "") -> Path:
    """The chapter's launch cell: ``nproc`` processes of ``script``; returns the run's folder."""
    run_dir = course_dir() / "runs" / "07_distributed" / f"{datetime.now():%Y%m%d-%H%M%S}{name}"
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc-per-node={nproc}",
               str(script), "--run-dir", str(run_dir), "--batch-size", str(batch_size),
               "--train-size", str(train_size), "--epochs", str(epochs)]
    job = subprocess.run(command, env=loopback_env(), capture_output=True, text=True, timeout=600)
    print(job.stdout)
    if job.returncode:
        raise RuntimeError(f"torchrun failed with exit code {job.returncode}:\n{job.stderr}")
    return run_dir


def exercise_1() -> None:
    """loss/train at global_step=seen, the images of every process so far; then one job of
    two processes and one of one process, whose curves now share the x-axis."""
    by_step = 'writer.add_scalar("loss/train", (totals[0] / totals[2]).item(), step)'
    by_images = 'writer.add_scalar("loss/train", (totals[0] / totals[2]).item(), seen)'
    text = chapter_script()
    if by_step not in text:
        raise LookupError(f"The chapter's script has no line {by_step!r} to change.")
    with tempfile.TemporaryDirectory() as folder:
        script = Path(folder) / "train_ddp.py"
        script.write_text(text.replace(by_step, by_images), encoding="utf-8")
        for nproc in (2, 1):
            torchrun(script, nproc, name=f"-by-images-{nproc}")


def exercise_2() -> None:
    """One process with batches of 128: the 128 images per step of two processes with 64,
    so the same number of steps, beside the chapter's two-process run."""
    with tempfile.TemporaryDirectory() as folder:
        script = Path(folder) / "train_ddp.py"
        script.write_text(chapter_script(), encoding="utf-8")
        torchrun(script, 2, batch_size=64, name="-2x64")
        torchrun(script, 1, batch_size=128, name="-1x128")
