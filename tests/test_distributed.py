"""Chapter 07's script (``train_ddp.py``, written by the chapter's ``%%writefile`` cell and
read from the chapter here): processes under torchrun on the CPU, logged by rank 0 only,
and one clear line for each wrong launch."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from coursetools.course import chapter_path
from helpers import distributed
from helpers._runtime.servers import free_port
from helpers.board import event_files, read_scalars, summary_rows
from solutions.ch07_distributed import chapter_script

pytestmark = pytest.mark.server

TIMEOUT = 120  # seconds for a whole torchrun job; a hang fails the test instead of blocking CI


@pytest.fixture
def script(tmp_path) -> Path:
    """The chapter's script, as its ``%%writefile`` cell writes it, in a folder with a space
    and an accent in its name."""
    folder = tmp_path / "my notebooks é"
    folder.mkdir()
    path = folder / "train_ddp.py"
    path.write_text(chapter_script(), encoding="utf-8")
    return path


def run_job(nproc: int, script: Path, args: list[str], **env: str
            ) -> tuple[subprocess.CompletedProcess, float]:
    """The chapter's torchrun command (--standalone: one machine); the job and its duration."""
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone",
               f"--nproc-per-node={nproc}", script.name, *args]
    start = time.monotonic()
    job = subprocess.run(command, env={**distributed.loopback_env(), **env}, capture_output=True,
                         text=True, timeout=TIMEOUT, cwd=script.parent)
    return job, time.monotonic() - start


def run_alone(script: Path, args: list[str], **env: str) -> subprocess.CompletedProcess:
    """The script as one process started without torchrun, with ``env`` added."""
    return subprocess.run([sys.executable, script.name, *args], env={**os.environ, **env},
                          capture_output=True, text=True, timeout=TIMEOUT, cwd=script.parent)


def rank_0_of_2() -> dict[str, str]:
    """The environment torchrun gives rank 0 of a two-process job, with no rank 1 coming."""
    return {"RANK": "0", "LOCAL_RANK": "0", "WORLD_SIZE": "2", "LOCAL_WORLD_SIZE": "2",
            "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": str(free_port())}


def processes_mentioning(text: str) -> list[int]:
    """Ids of the live processes whose command line contains ``text``."""
    pids = []
    for proc in Path("/proc").iterdir():
        try:
            cmdline = (proc / "cmdline").read_bytes().decode(errors="replace")
            if proc.name.isdigit() and text in cmdline:
                pids.append(int(proc.name))
        except OSError:  # gone meanwhile
            continue
    return pids


def test_two_processes_make_one_run_written_by_rank_0(tmp_path, script):
    run_dir = tmp_path / "runs é" / "run"
    job, _ = run_job(2, script, ["--run-dir", str(run_dir), "--train-size", "512", "--test-size",
                                 "200", "--epochs", "2", "--batch-size", "32", "--log-every", "4"])
    assert job.returncode == 0, job.stderr
    # every rank trained on its half: 256 images x 2 epochs, 8 steps per epoch
    assert sorted(line for line in job.stdout.splitlines() if " of 2: " in line) == [
        "rank 0 of 2: 512 images in 16 steps", "rank 1 of 2: 512 images in 16 steps"]
    assert "rank 0 wrote the run: 1,024 images seen by all 2 process(es)" in job.stdout
    # one run directory holding one event file and nothing else: only rank 0 wrote
    assert [p for p in (tmp_path / "runs é").rglob("*") if p.is_file()] == event_files(run_dir)
    assert len(event_files(run_dir)) == 1
    # the logged numbers cover both ranks: 2 x 512 images
    scalars = read_scalars(run_dir)["."]
    assert scalars["progress/images_seen"] == [(4, 256), (8, 512), (12, 768), (16, 1024)]
    assert all(0 <= value <= 1 for _, value in scalars["accuracy/train"] + scalars["accuracy/test"])
    rows = {(d, t): what for d, _, t, what in summary_rows(run_dir)}
    assert rows == {
        ("(run)", ""): "1 event file",
        ("Scalars", "accuracy/test"): "2 points, steps 8..16",
        ("Scalars", "accuracy/train"): "4 points, steps 4..16",
        ("Scalars", "loss/train"): "4 points, steps 4..16",
        ("Scalars", "progress/images_seen"): "4 points, steps 4..16",
        ("Text", "setup/text_summary"): "1 point, step 0",
    }
    assert processes_mentioning(str(run_dir)) == []  # no process outlived the job


def test_a_run_dir_that_cannot_be_written_stops_every_process_quickly(tmp_path, script):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the run directory should be")
    job, seconds = run_job(2, script, ["--run-dir", str(blocker / "run"), "--train-size", "64"])
    assert job.returncode != 0
    assert "rank 0: error: Cannot write TensorBoard runs to" in job.stderr
    assert "Pass --run-dir with a folder you can write to" in job.stderr
    assert 'train_ddp.py", line' not in job.stderr  # no traceback through the script
    assert seconds < TIMEOUT / 2  # rank 1 was stopped, not left waiting for its timeout
    assert processes_mentioning(str(blocker)) == []


def test_uneven_shards_are_refused_with_what_to_do():
    x, y = torch.zeros(10, 1, 28, 28), torch.arange(10)
    assert [shard[1].tolist() for shard in (distributed.shard(x, y, r, 2) for r in range(2))] == [
        [0, 1, 2, 3, 4], [5, 6, 7, 8, 9]]
    with pytest.raises(ValueError, match="cannot be split evenly over 3 processes.*--train-size 9"):
        distributed.shard(x, y, 0, 3)


def test_uneven_split_fails_before_joining(tmp_path, script):
    job = run_alone(script, ["--run-dir", str(tmp_path / "run"), "--train-size", "1001"],
                    **rank_0_of_2())
    assert job.returncode == 2
    assert "error: 1001 training images cannot be split evenly over 2" in job.stderr
    assert "--train-size 1000" in job.stderr
    assert not (tmp_path / "run").exists()


def test_missing_processes_give_up_after_the_timeout(tmp_path, script):
    start = time.monotonic()
    job = run_alone(script, ["--run-dir", str(tmp_path / "run"), "--timeout", "2"], **rank_0_of_2())
    assert job.returncode == 1 and time.monotonic() - start < 30
    assert "rank 0: error: the other 1 process(es) did not join within 2 s" in job.stderr
    assert "Start all of them together with torchrun" in job.stderr
    assert "Traceback" not in job.stderr
    assert not (tmp_path / "run").exists()


def test_plain_python_says_to_start_it_with_torchrun(tmp_path, script):
    env = {k: v for k, v in os.environ.items() if k not in distributed.TORCHRUN_VARIABLES}
    job = subprocess.run([sys.executable, script.name, "--run-dir", str(tmp_path / "run")], env=env,
                         capture_output=True, text=True, timeout=TIMEOUT, cwd=script.parent)
    assert job.returncode == 1
    assert job.stderr.startswith("rank ?: error: RANK is not set: start this script with torchrun")
    assert "torchrun --nproc-per-node=2 train_ddp.py" in job.stderr
    assert not (tmp_path / "run").exists()


def test_missing_data_says_how_to_get_it(tmp_path, script, no_local_copy):
    course = tmp_path / "course"
    course.mkdir()
    env = {"COURSE_DIR": str(course), "FASHION_MNIST_DIR": str(no_local_copy)}
    job = run_alone(script, ["--train-size", "64"], RANK="0", LOCAL_RANK="0", WORLD_SIZE="1",
                    MASTER_ADDR="127.0.0.1", MASTER_PORT=str(free_port()), **env)
    assert job.returncode == 1
    assert "rank 0: error: Fashion-MNIST is not available" in job.stderr
    assert "from helpers.data import ensure_fashion_mnist; ensure_fashion_mnist()" in job.stderr
    assert not (course / "data").exists() and not (course / "runs").exists()


def test_bad_arguments_are_refused_by_the_parser(capsys):
    with pytest.raises(SystemExit) as exit_:
        distributed.parse_args(["--epochs", "0"])
    assert exit_.value.code == 2 and "--epochs must be at least 1" in capsys.readouterr().err
    with pytest.raises(ValueError, match="threads_per_process must be a whole number >= 1"):
        distributed.loopback_env(0)


def test_chapter_07_runs_standalone_in_an_empty_course_folder(tmp_path):
    """A fresh kernel and no data/ or runs/ yet, in folders named with a space and an accent:
    the notebook writes its script beside itself, and the processes it starts find the data
    through the same course folder and leave exactly one run."""
    from test_notebooks import execute_alone

    course = tmp_path / "My course é"
    (course / "notebooks").mkdir(parents=True)
    notebook = Path(shutil.copy(chapter_path("07_distributed"), course / "notebooks"))
    nb = execute_alone(notebook, course)
    printed = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code"
                      for o in c.outputs)
    assert "rank 0 of 2: 8000 images in 126 steps\nrank 1 of 2: 8000 images in 126 steps" in printed
    assert "images seen at step 126: 16,000" in printed
    assert (course / "notebooks" / "train_ddp.py").read_text(encoding="utf-8") == chapter_script()
    runs = list((course / "runs" / "07_distributed").iterdir())
    assert len(runs) == 1 and list((course / "runs").iterdir()) == [runs[0].parent]
    assert [p for p in runs[0].rglob("*")] == event_files(runs[0])
