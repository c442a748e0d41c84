"""helpers.distributed: two processes under torchrun on the CPU, logged by rank 0 only."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from helpers import distributed
from helpers.board import event_files, read_scalars, summary_rows

pytestmark = pytest.mark.server

TIMEOUT = 120  # seconds for a whole torchrun job; a hang fails the test instead of blocking CI


def run_job(nproc: int, args: list[str], **env: str) -> tuple[subprocess.CompletedProcess, float]:
    """Run the script under torchrun on 127.0.0.1; return the finished job and its duration."""
    command = distributed.torchrun_command(nproc, args)
    start = time.monotonic()
    job = subprocess.run(command, env={**distributed.loopback_env(), **env}, capture_output=True,
                         text=True, timeout=TIMEOUT)
    return job, time.monotonic() - start


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


def test_two_processes_make_one_run_written_by_rank_0(tmp_path):
    run_dir = tmp_path / "run"
    job, _ = run_job(2, ["--run-dir", str(run_dir), "--train-size", "512", "--test-size", "200",
                         "--epochs", "2", "--batch-size", "32", "--log-every", "4"])
    assert job.returncode == 0, job.stderr
    # every rank trained on its half: 256 images x 2 epochs, 8 steps per epoch
    assert sorted(line for line in job.stdout.splitlines() if " of 2: " in line) == [
        "rank 0 of 2: 512 images in 16 steps", "rank 1 of 2: 512 images in 16 steps"]
    # one run directory holding one event file and nothing else: only rank 0 wrote
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == event_files(run_dir)
    assert len(event_files(run_dir)) == 1
    # the logged numbers cover both ranks: 2 x 512 images
    scalars = read_scalars(run_dir)["."]
    assert scalars["images seen"][-1] == (16, 1024)
    assert [step for step, _ in scalars["images seen"]] == [4, 8, 12, 16]
    assert [value for _, value in scalars["images seen"]] == [256, 512, 768, 1024]
    assert all(0 <= value <= 1 for _, value in scalars["training accuracy"])
    rows = {(d, t): what for d, _, t, what in summary_rows(run_dir)}
    assert rows == {
        ("(run)", ""): "1 event file",
        ("Scalars", "images seen"): "4 points, steps 4..16",
        ("Scalars", "test accuracy"): "2 points, steps 8..16",
        ("Scalars", "training accuracy"): "4 points, steps 4..16",
        ("Scalars", "training loss"): "4 points, steps 4..16",
        ("Text", "setup/text_summary"): "1 point, step 0",
    }
    assert processes_mentioning(str(run_dir)) == []  # no process outlived the job


def test_a_run_dir_that_cannot_be_written_stops_every_process_quickly(tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the run directory should be")
    job, seconds = run_job(2, ["--run-dir", str(blocker / "run"), "--train-size", "64"])
    assert job.returncode != 0
    assert "rank 0: error: Cannot write TensorBoard runs to" in job.stderr
    assert "Pass --run-dir with a folder you can write to" in job.stderr
    assert seconds < TIMEOUT / 2  # rank 1 was stopped, not left waiting for its timeout
    assert processes_mentioning(str(blocker)) == []


def test_uneven_shards_are_refused_with_what_to_do():
    x, y = torch.zeros(10, 1, 28, 28), torch.arange(10)
    assert [shard[1].tolist() for shard in (distributed.shard(x, y, r, 2) for r in range(2))] == [
        [0, 1, 2, 3, 4], [5, 6, 7, 8, 9]]
    with pytest.raises(ValueError, match="cannot be split evenly over 3 processes.*--train-size 9"):
        distributed.shard(x, y, 0, 3)


@pytest.fixture
def one_of_two_ranks(monkeypatch):
    """The environment torchrun gives rank 0 of a two-process job, with no rank 1 coming."""
    monkeypatch.setenv("RANK", "0")
    monkeypatch.setenv("LOCAL_RANK", "0")
    monkeypatch.setenv("WORLD_SIZE", "2")
    monkeypatch.setenv("MASTER_ADDR", "127.0.0.1")
    monkeypatch.setenv("MASTER_PORT", str(distributed.free_port()))


def test_uneven_split_fails_before_joining(one_of_two_ranks, tmp_path, capsys):
    assert distributed.main(["--run-dir", str(tmp_path / "run"), "--train-size", "1001"]) == 1
    err = capsys.readouterr().err
    assert "rank 0: error: 1001 training images cannot be split evenly over 2" in err
    assert not (tmp_path / "run").exists()


def test_missing_processes_give_up_after_the_timeout(one_of_two_ranks, tmp_path, capsys):
    start = time.monotonic()
    assert distributed.main(["--run-dir", str(tmp_path / "run"), "--timeout", "2"]) == 1
    assert time.monotonic() - start < 30
    err = capsys.readouterr().err
    assert "the other 1 process(es) did not join within 2 s" in err and "torchrun" in err
    assert not (tmp_path / "run").exists()


def test_missing_data_says_how_to_get_it(tmp_path, no_local_copy):
    env = {**os.environ, "COURSE_DIR": str(tmp_path), "FASHION_MNIST_DIR": str(no_local_copy)}
    for name in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT"):
        env.pop(name, None)
    job = subprocess.run([sys.executable, "-m", "helpers.distributed", "--train-size", "64"],
                         env=env, capture_output=True, text=True, timeout=TIMEOUT)
    assert job.returncode == 1
    assert "Not started by torchrun: training as a single process." in job.stdout
    assert "Fashion-MNIST is not available" in job.stderr
    assert "from helpers.data import ensure_fashion_mnist; ensure_fashion_mnist()" in job.stderr
    assert not (tmp_path / "data").exists() and not (tmp_path / "runs").exists()


def test_bad_arguments_are_refused_by_the_parser(capsys):
    with pytest.raises(SystemExit) as exit_:
        distributed.parse_args(["--epochs", "0"])
    assert exit_.value.code == 2 and "--epochs must be at least 1" in capsys.readouterr().err


def test_chapter_07_runs_standalone_in_an_empty_course_folder(tmp_path):
    """A fresh kernel and no data/ or runs/ yet: the notebook and the processes it starts
    find the data through the same course folder, and leave exactly one run."""
    from test_notebooks import ROOT, execute_alone

    nb = execute_alone(ROOT / "notebooks" / "07_distributed.ipynb", tmp_path)
    printed = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code"
                      for o in c.outputs)
    assert "rank 0 of 2: 8000 images in 126 steps\nrank 1 of 2: 8000 images in 126 steps" in printed
    assert "images seen at step 126: 16,000" in printed
    runs = list((tmp_path / "runs" / "07_distributed").iterdir())
    assert len(runs) == 1 and list((tmp_path / "runs").iterdir()) == [runs[0].parent]
    assert [p for p in runs[0].rglob("*")] == event_files(runs[0])
