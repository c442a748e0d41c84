"""Data-parallel training of the course's `Net` with ``torch.distributed``; only rank 0 logs.

Launch it with ``torchrun``: one process per CPU core or GPU, here two on the CPU::

    torchrun --nnodes=1 --nproc-per-node=2 --rdzv-backend=c10d \\
        --rdzv-endpoint=127.0.0.1:29400 -m helpers.distributed --run-dir runs/07_distributed

Each process trains a replica of the model on its own slice of the data;
`DistributedDataParallel` averages the gradients, so the replicas stay identical. Losses
and counts are summed over all processes before rank 0, and only rank 0, writes them.
The backend is ``nccl`` with a GPU per process, else ``gloo``. Started without ``torchrun``
it trains as a single process.

Example:
    >>> torchrun_command(2, ["--epochs", "1"], port=29400)[-4:]
    ['-m', 'helpers.distributed', '--epochs', '1']
"""

from __future__ import annotations

import argparse
import os
import socket
import sys
from contextlib import nullcontext
from datetime import timedelta
from pathlib import Path
from typing import TextIO

import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel
from torch.utils.tensorboard import SummaryWriter

from helpers.board import LogDirError, new_run_dir
from helpers.data import (
    CorruptDataError,
    DataNotFoundError,
    ensure_fashion_mnist,
    load_tensors,
    make_loader,
    select_n_random,
)
from helpers.model import Net
from helpers.train import evaluate


class JoinError(RuntimeError):
    """The processes of a job did not all start, or lost each other."""



def free_port() -> int:
    """A port on 127.0.0.1 that nothing listens on, picked by the system.

    Example:
        >>> 0 < free_port() < 65536
        True
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]

def torchrun_command(nproc: int, script_args: list[str], port: int | None = None) -> list[str]:
    """The ``torchrun`` command line that starts ``nproc`` processes of this module on this machine.

    It runs ``python -m torch.distributed.run``, which is ``torchrun`` for the Python that
    runs this code, with the rendezvous on 127.0.0.1 (``port``: a free one if None).

    Example:
        >>> for arg in torchrun_command(2, [], port=29400)[3:]:
        ...     print(arg)
        --nnodes=1
        --nproc-per-node=2
        --rdzv-backend=c10d
        --rdzv-endpoint=127.0.0.1:29400
        -m
        helpers.distributed
    """
    if isinstance(script_args, str):
        raise TypeError(f"Pass the script's arguments as a list, e.g. {script_args.split()!r}.")
    if not isinstance(nproc, int) or nproc < 1:
        raise ValueError(f"nproc must be a whole number >= 1 (processes to start), got {nproc!r}.")
    if port is not None and (isinstance(port, bool) or not isinstance(port, int)
                             or not 1024 <= port <= 65535):
        raise ValueError(f"port must be a whole number from 1024 to 65535, got {port!r}; "
                         "leave it out for a free one.")
    port = port if port is not None else free_port()
    return [sys.executable, "-m", "torch.distributed.run", "--nnodes=1",
            f"--nproc-per-node={nproc}", "--rdzv-backend=c10d",
            f"--rdzv-endpoint=127.0.0.1:{port}", "-m", "helpers.distributed", *script_args]


def loopback_env(threads_per_process: int = 1) -> dict[str, str]:
    """Environment for a run on this machine only: gloo talks over the loopback interface,
    and each process uses ``threads_per_process`` threads so N processes share N cores.

    Example:
        >>> loopback_env()["OMP_NUM_THREADS"]
        '1'
    """
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

    Example:
        >>> x, y = shard(torch.zeros(10, 1, 28, 28), torch.arange(10), rank=1, world_size=2)
        >>> y.tolist()
        [5, 6, 7, 8, 9]
    """
    if len(images) % world_size:
        raise ValueError(
            f"{len(images)} training images cannot be split evenly over {world_size} processes, "
            "and uneven slices would leave one process waiting for the others forever. "
            f"Use a multiple of {world_size}, "
            f"e.g. --train-size {len(images) // world_size * world_size}."
        )
    per_rank = len(images) // world_size
    part = slice(rank * per_rank, (rank + 1) * per_rank)
    return images[part], labels[part]


def say(line: str, stream: TextIO | None = None) -> None:
    """Print ``line`` in a single write, so the lines of processes that share one terminal
    or pipe never run into each other.

    Example:
        >>> say("rank 0 of 2: ready")
        rank 0 of 2: ready
    """
    stream = stream or sys.stdout
    stream.write(line + "\n")
    stream.flush()


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m helpers.distributed",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--run-dir", type=Path, default=None,
                        help="where rank 0 writes the run (default: runs/07_distributed-<time>)")
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
    for name in ("train_size", "test_size", "epochs", "batch_size", "log_every"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    for name, most in (("train_size", 60_000), ("test_size", 10_000)):
        if getattr(args, name) > most:
            parser.error(f"--{name.replace('_', '-')} can be at most {most:,}, the images "
                         "Fashion-MNIST has for it")
    if not args.timeout > 0:
        parser.error("--timeout must be positive")
    if not args.lr > 0:
        parser.error(f"--lr must be a positive learning rate, e.g. 3e-3, got {args.lr:g}")
    return args


def open_writer(run_dir: Path | None) -> SummaryWriter:
    """Rank 0's writer: a new run directory, or ``run_dir``, which must be empty or new."""
    if run_dir is None:
        return SummaryWriter(str(new_run_dir("07_distributed")))
    try:
        run_dir.mkdir(parents=True, exist_ok=True)
        if any(run_dir.iterdir()):
            raise LogDirError(f"{run_dir} already holds files: give each run a new directory.")
        return SummaryWriter(str(run_dir))
    except LogDirError:
        raise
    except OSError as err:
        raise LogDirError(
            f"Cannot write TensorBoard runs to {run_dir}: {err.strerror or err}. "
            "Pass --run-dir with a folder you can write to."
        ) from None


def train(args: argparse.Namespace, rank: int, world_size: int, device: torch.device) -> None:
    """Train one replica on this rank's slice; rank 0 logs numbers summed over all ranks."""
    if int(os.environ.get("LOCAL_RANK", "0")) == 0:  # one process per machine unpacks the data
        try:
            ensure_fashion_mnist(download=False)
        except DataNotFoundError as err:
            raise DataNotFoundError(
                f"{err}\nMake the data ready before training: "
                'python -c "from helpers.data import ensure_fashion_mnist; ensure_fashion_mnist()"'
            ) from None
    dist.barrier()  # the others wait until it is there
    (images, labels), _ = load_tensors("fashion-mnist", train=True, download=False)
    images, labels = select_n_random(images, labels, n=args.train_size, seed=args.seed)
    my_images, my_labels = shard(images, labels, rank, world_size)
    (test_images, test_labels), _ = load_tensors("fashion-mnist", train=False, download=False)
    if args.test_size > len(test_images):
        raise ValueError(f"--test-size {args.test_size} is more than the "
                         f"{len(test_images)} test images.")
    mine = slice(rank, args.test_size, world_size)  # every world_size-th test image
    my_test = (test_images[mine], test_labels[mine])

    torch.manual_seed(args.seed)  # the same initial weights everywhere (DDP broadcasts rank 0's)
    model = DistributedDataParallel(Net().to(device))
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    loader = make_loader((my_images.to(device), my_labels.to(device)), args.batch_size,
                         seed=args.seed + rank)

    # Only rank 0 opens a writer; the others never touch the run directory.
    with open_writer(args.run_dir) if rank == 0 else nullcontext() as writer:
        if writer is not None:
            writer.add_text("setup", f"{world_size} processes ({dist.get_backend()}), "
                            f"{len(my_images)} training images and batches of "
                            f"{args.batch_size} each")
        step, seen = 0, 0
        totals = torch.zeros(3, dtype=torch.float64, device=device)  # loss sum, correct, images
        for _ in range(args.epochs):
            for i, (x, y) in enumerate(loader, 1):
                optimizer.zero_grad()
                outputs = model(x)
                loss = F.cross_entropy(outputs, y)
                loss.backward()  # DDP all-reduces the gradients here: every replica gets the mean
                optimizer.step()
                step += 1
                totals += torch.tensor([loss.item() * len(y), (outputs.argmax(1) == y).sum().item(),
                                        len(y)], dtype=torch.float64, device=device)
                if step % args.log_every == 0 or i == len(loader):  # the same steps on every rank
                    dist.all_reduce(totals)  # sum over ranks: the numbers describe all of them
                    seen += int(totals[2])
                    if writer is not None:
                        writer.add_scalar("training loss", (totals[0] / totals[2]).item(), step)
                        writer.add_scalar("training accuracy", (totals[1] / totals[2]).item(), step)
                        writer.add_scalar("images seen", seen, step)
                        writer.flush()
                    totals.zero_()
            correct = torch.tensor([evaluate(model.module, my_test) * len(my_test[1]),
                                    len(my_test[1])], dtype=torch.float64, device=device)
            dist.all_reduce(correct)  # correct answers and test images of all ranks
            if writer is not None:
                writer.add_scalar("test accuracy", (correct[0] / correct[1]).item(), step)
                writer.flush()
    say(f"rank {rank} of {world_size}: {len(my_images) * args.epochs} images in {step} steps")
    if rank == 0:
        say(f"rank 0 wrote {seen:,} images seen in all to {args.run_dir or writer.log_dir}")


def main(argv: list[str] | None = None) -> int:
    """Run one process of the job: join the others, train, leave. Returns the exit code."""
    args = parse_args(argv)
    if "RANK" not in os.environ:  # started without torchrun: a job of one process
        say("Not started by torchrun: training as a single process.")
        os.environ.update(RANK="0", WORLD_SIZE="1", LOCAL_RANK="0",
                          MASTER_ADDR="127.0.0.1", MASTER_PORT=str(free_port()))
    rank, world_size = int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"])
    processes_here = int(os.environ.get("LOCAL_WORLD_SIZE", "1"))
    cuda = torch.cuda.is_available() and torch.cuda.device_count() >= processes_here
    if torch.cuda.is_available() and not cuda and rank == 0:
        say(f"{processes_here} processes but {torch.cuda.device_count()} GPU(s) here: "
              "training on the CPU (one process per GPU: --nproc-per-node=gpu).")
    device = torch.device(f"cuda:{os.environ.get('LOCAL_RANK', '0')}" if cuda else "cpu")
    try:
        shard(torch.zeros(args.train_size), torch.zeros(args.train_size), rank, world_size)
        if cuda:
            torch.cuda.set_device(device)
        try:
            dist.init_process_group("nccl" if cuda else "gloo",
                                    timeout=timedelta(seconds=args.timeout))
        except dist.DistError as err:
            raise JoinError(
                f"the other {world_size - 1} process(es) did not join within {args.timeout:g} s "
                f"({str(err).splitlines()[0]}). Start all of them together with torchrun, "
                "e.g. torchrun --nproc-per-node=2 -m helpers.distributed"
            ) from None
        try:
            train(args, rank, world_size, device)
        finally:
            dist.destroy_process_group()
    except (ValueError, JoinError, dist.DistError, LogDirError, DataNotFoundError,
            CorruptDataError) as err:
        say(f"rank {rank}: error: {err}", sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
