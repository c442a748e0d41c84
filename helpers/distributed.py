"""What chapter 07's training script needs besides its own logic: options, checks, messages.

The script itself (``train_ddp.py``, written by the chapter) sets up the process group,
wraps the model in `DistributedDataParallel`, all-reduces the numbers and lets rank 0 log
them. This module holds what would distract there: the environment for a job on this
machine only, the script's options, each process's device, the data, equal
slices, and one clear line instead of a traceback (or a hang) when a job is started wrongly.

>>> loopback_env()["OMP_NUM_THREADS"]
'1'
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import torch
import torch.distributed as dist

from helpers._runtime.checks import (
    TORCHRUN_VARIABLES,
    check_even_split,
    check_job_args,
    check_whole,
    what_went_wrong,
)
from helpers._runtime.datafiles import DataNotFoundError, ensure_fashion_mnist
from helpers.paths import course_dir

__all__ = ["TORCHRUN_VARIABLES", "explained_failures", "loopback_env", "parse_args", "process_device",
           "ready_data", "shard"]


def loopback_env(threads_per_process: int = 1) -> dict[str, str]:
    """Environment for a job on this machine only: gloo talks over the loopback interface,
    and each process uses ``threads_per_process`` threads so N processes share N cores.

    >>> loopback_env()["OMP_NUM_THREADS"]
    '1'
    """
    check_whole("threads_per_process", threads_per_process, least=1)
    env = dict(os.environ, OMP_NUM_THREADS=str(threads_per_process))
    if sys.platform.startswith("linux"):
        env["GLOO_SOCKET_IFNAME"] = "lo"
    elif sys.platform == "darwin":
        env["GLOO_SOCKET_IFNAME"] = "lo0"
    return env


def shard(images: torch.Tensor, labels: torch.Tensor, rank: int, world_size: int
          ) -> tuple[torch.Tensor, torch.Tensor]:
    """Rank ``rank``'s equal, contiguous slice of the data.

    Every process must take the same number of steps: a process with one batch more
    would wait forever for the others in the gradient all-reduce. So the data must split
    evenly.

    >>> x, y = shard(torch.zeros(10, 1, 28, 28), torch.arange(10), rank=1, world_size=2)
    >>> y.tolist()
    [5, 6, 7, 8, 9]
    """
    check_even_split(len(images), world_size)  # or one process would wait forever
    per_rank = len(images) // world_size
    part = slice(rank * per_rank, (rank + 1) * per_rank)
    return images[part], labels[part]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The training script's options, checked (``--help`` lists them).

    >>> parse_args(["--epochs", "1"]).epochs
    1
    """
    parser = argparse.ArgumentParser(
        description="Train the tutorial's Net on Fashion-MNIST in several processes; "
                    "rank 0 writes the TensorBoard run.")
    parser.add_argument("--run-dir", type=Path, default=None,
                        help="where rank 0 writes the run (default: runs/07_distributed/<time>)")
    parser.add_argument("--train-size", type=int, default=8000,
                        help="training images in all, split evenly over the processes")
    parser.add_argument("--test-size", type=int, default=2000, help="test images")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=64, help="images per step per process")
    parser.add_argument("--lr", type=float, default=3e-3, help="Adam's learning rate")
    parser.add_argument("--log-every", type=int, default=10, help="steps between logged points")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--timeout", type=float, default=60,
                        help="seconds a process waits for the others before it gives up")
    args = parser.parse_args(argv)
    check_job_args(parser, args)  # a job that can run, or the usage line and what is wrong
    if args.run_dir is None:
        args.run_dir = course_dir() / "runs" / "07_distributed" / f"{datetime.now():%Y%m%d-%H%M%S}"
    return args


def process_device() -> torch.device:
    """This process's GPU (number ``LOCAL_RANK``) when every process on this machine has one,
    else the CPU, said once by local rank 0 when there are GPUs but too few.

    >>> process_device()  # doctest: +SKIP
    device(type='cpu')
    """
    processes_here = int(os.environ.get("LOCAL_WORLD_SIZE", "1"))
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    gpus = torch.cuda.device_count() if torch.cuda.is_available() else 0
    if gpus and gpus < processes_here:
        if local_rank == 0:
            print(f"{processes_here} processes but {gpus} GPU(s) here: training on the CPU "
                  "(one process per GPU: --nproc-per-node=gpu).", flush=True)
        return torch.device("cpu")
    if not gpus:
        return torch.device("cpu")
    device = torch.device(f"cuda:{local_rank}")
    torch.cuda.set_device(device)
    return device


def ready_data() -> None:
    """Make Fashion-MNIST ready from the course's data folder or a local copy, never by a
    download (one process per machine calls it), or say how to make it ready.

    >>> ready_data()  # doctest: +SKIP
    """
    try:
        ensure_fashion_mnist(download=False)
    except DataNotFoundError as err:
        raise DataNotFoundError(
            f"{err}\nMake the data ready before training: "
            'python -c "from helpers.data import ensure_fashion_mnist; ensure_fashion_mnist()"'
        ) from None


@contextmanager
def explained_failures(args: argparse.Namespace) -> Iterator[None]:
    """Around a training script's ``main``: a job started wrongly ends this process with one
    line on stderr saying what to do (exit code 1), never a hang or a page of traceback;
    the process group is closed on the way out.

    >>> with explained_failures(parse_args([])):  # doctest: +SKIP
    ...     main(args)
    """
    try:
        yield
    except Exception as err:
        message = what_went_wrong(err, args, started=dist.is_initialized())
        if dist.is_initialized():
            dist.destroy_process_group()
        if message is None:
            raise
        rank = os.environ.get("RANK", "?")
        sys.stderr.write(f"rank {rank}: error: {message}\n")
        sys.stderr.flush()
        sys.exit(1)
