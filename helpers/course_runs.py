"""A small copy of the course's runs, written in seconds with the chapters' own code.

Each chapter's run is written with the same helpers and the same TensorBoard calls as its
notebook, with less training. The tests point a real TensorBoard at these runs, and
``python -m helpers.screenshots`` photographs them for the README and the chapters.

Example:
    >>> from helpers.course_runs import write_course_runs
    >>> runs = write_course_runs("/tmp/course-runs")  # doctest: +SKIP
    >>> sorted(runs)  # doctest: +SKIP
    ['00_setup', '01_write_images', '02_graph', '03_projector', '04_training', '05_pr_curves', ...]
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch
import torchvision

from helpers import distributed
from helpers.board import make_writer, new_run_dir, read_scalars
from helpers.compare import train_setting
from helpers.data import load_dataset, make_loader, select_n_random, to_tensors
from helpers.model import Net
from helpers.train import add_pr_curves, fit, predict_probs

N_POINTS = 100         # chapter 03: random training images in the projector
BATCH_SIZE = 128       # chapter 04's batch size
TRAIN_IMAGES = 16_384  # chapter 04 trains 5 epochs of 60,000 images; 128 steps show the same curves
LOG_EVERY = 8          # steps between two points of the loss curve
FIGURE_EVERY = 32      # ... and between two figures (TensorBoard keeps at most 10 images per tag)
SWEEP_SETTINGS = ((0.001, 128), (0.001, 32), (0.01, 128), (0.1, 128))  # chapter 06's (lr, batch)
SWEEP_IMAGES = 1024    # chapter 06 trains each setting on 8,000 images
SWEEP_TEST_IMAGES = 500       # ... tested on 1,000
SWEEP_LOG_EVERY_IMAGES = 128  # 8 points per run, as in chapter 06
DISTRIBUTED_IMAGES = 2048     # chapter 07 trains on 8,000 images ...
DISTRIBUTED_EPOCHS = 2        # ... for two epochs
SEED = 0


@dataclass
class CourseData:
    """What the chapters share: Fashion-MNIST in memory, the model chapter 04 trains and
    chapter 06's sweep."""

    train_set: torch.utils.data.Dataset
    classes: tuple[str, ...]
    train: tuple[torch.Tensor, torch.Tensor]
    test: tuple[torch.Tensor, torch.Tensor]
    net: Net | None = None
    sweep: Path | None = None


def load_course_data() -> CourseData:
    """The real Fashion-MNIST (train and test) as the chapters load it.

    Example:
        >>> data = load_course_data()  # doctest: +SKIP
        >>> tuple(data.train[0].shape)  # doctest: +SKIP
        (60000, 1, 28, 28)
    """
    train_set, classes = load_dataset("fashion-mnist", train=True)
    test_set, _ = load_dataset("fashion-mnist", train=False)
    return CourseData(train_set, tuple(classes), to_tensors(train_set), to_tensors(test_set))


def write_setup(root: Path, data: CourseData) -> Path:
    """Chapter 00: the scalar ``setup/square``, steps 0..10."""
    with make_writer("00_setup", root) as writer:
        for step in range(11):
            writer.add_scalar("setup/square", step**2, global_step=step)
    return Path(writer.log_dir)


def write_images(root: Path, data: CourseData) -> Path:
    """Chapter 01: a grid of four training images."""
    images, _ = next(iter(make_loader(data.train_set, batch_size=4, shuffle=True, seed=SEED)))
    with make_writer("01_write_images", root) as writer:
        writer.add_image("four_fashion_mnist_images", torchvision.utils.make_grid(images) / 2 + 0.5)
    return Path(writer.log_dir)


def write_graph(root: Path, data: CourseData) -> Path:
    """Chapter 02: the graph of ``Net``, traced with a batch of four images."""
    torch.manual_seed(SEED)
    images, _ = next(iter(make_loader(data.train_set, batch_size=4, seed=SEED)))
    with make_writer("02_graph", root) as writer, warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*torch.jit.trace", category=FutureWarning)
        writer.add_graph(Net(), images)
    return Path(writer.log_dir)


def write_projector(root: Path, data: CourseData) -> Path:
    """Chapter 03: ``N_POINTS`` random training images with labels and thumbnails."""
    images, labels = select_n_random(*data.train, n=N_POINTS, seed=SEED)
    with make_writer("03_projector", root) as writer:
        writer.add_embedding(images.reshape(len(images), -1),
                             metadata=[data.classes[i] for i in labels], label_img=images / 2 + 0.5)
    return Path(writer.log_dir)


def write_training(root: Path, data: CourseData) -> Path:
    """Chapter 04: ``TRAIN_IMAGES`` images of training, logging loss, accuracy, figures and the
    device."""
    torch.manual_seed(SEED)
    data.net = Net()
    optimizer = torch.optim.Adam(data.net.parameters(), lr=3e-3)
    train = tuple(t[:TRAIN_IMAGES] for t in data.train)
    with make_writer("04_training", root) as writer:
        result = fit(data.net, make_loader(train, batch_size=BATCH_SIZE, seed=SEED), optimizer,
                     writer=writer, log_every=LOG_EVERY, figure_every=FIGURE_EVERY,
                     test_data=data.test, classes=data.classes, progress=False)
        writer.add_text("device", f"cpu, {result.steps} steps")
    return Path(writer.log_dir)


def write_pr_curves(root: Path, data: CourseData) -> Path:
    """Chapter 05: one PR curve per class, from chapter 04's model on the test set."""
    if data.net is None:
        raise RuntimeError("Write chapter 04's run first: chapter 05 uses its trained model.")
    probs, labels = predict_probs(data.net, make_loader(data.test, batch_size=1000, shuffle=False))
    with make_writer("05_pr_curves", root) as writer:
        add_pr_curves(writer, probs, labels, data.classes)
    return Path(writer.log_dir)


def write_comparing_runs(root: Path, data: CourseData) -> Path:
    """Chapter 06: the sweep, one run per setting in ``SWEEP_SETTINGS``, each trained by the
    chapter's `train_setting` on ``SWEEP_IMAGES`` images (notes, losses, accuracies,
    histograms and hparams)."""
    sweep = new_run_dir("06_comparing_runs", root)
    train = select_n_random(*data.train, n=SWEEP_IMAGES, seed=SEED)
    test = tuple(t[:SWEEP_TEST_IMAGES] for t in data.test)
    domains = {"lr": sorted({lr for lr, _ in SWEEP_SETTINGS}),
               "batch_size": sorted({bs for _, bs in SWEEP_SETTINGS})}
    for lr, batch_size in SWEEP_SETTINGS:
        train_setting(sweep, sweep_run_name(lr, batch_size), lr, batch_size, train, test,
                      log_every_images=SWEEP_LOG_EVERY_IMAGES, domains=domains)
    data.sweep = sweep
    return sweep


def write_add_scalars(root: Path, data: CourseData) -> Path:
    """Chapter 06: the best setting's training and test loss in one chart (``add_scalars``),
    read back from the sweep."""
    if data.sweep is None:
        raise RuntimeError("Write chapter 06's sweep first: its best run's losses are shown.")
    scalars = read_scalars(data.sweep)
    best = max(scalars, key=lambda name: scalars[name]["test accuracy"][-1][1])
    test_loss = dict(scalars[best]["test loss"])
    with make_writer("06_add_scalars", root) as writer:
        for step, train_loss in scalars[best]["training loss"]:
            writer.add_scalars("loss", {"train": train_loss, "test": test_loss[step]}, step)
    return Path(writer.log_dir)


def write_distributed(root: Path, data: CourseData) -> Path:
    """Chapter 07: `helpers.distributed`'s training and rank 0's logging, run in this process
    as a job of one process (``torchrun`` starts two in the chapter: the same code, the same
    tags)."""
    run_dir = new_run_dir("07_distributed", root)
    argv = ["--run-dir", str(run_dir), "--train-size", str(DISTRIBUTED_IMAGES),
            "--epochs", str(DISTRIBUTED_EPOCHS), "--test-size", str(SWEEP_TEST_IMAGES),
            "--seed", str(SEED)]
    environ, excepthook = dict(os.environ), sys.excepthook
    try:
        out = io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
            code = distributed.main(argv)
    finally:  # main() sets RANK, WORLD_SIZE, ... and torch.distributed prefixes tracebacks
        os.environ.clear()
        os.environ.update(environ)
        sys.excepthook = excepthook
    if code:
        raise RuntimeError(f"helpers.distributed failed ({code}):\n{out.getvalue()}")
    return run_dir


def sweep_run_name(lr: float, batch_size: int) -> str:
    """Chapter 06's name for a setting's run.

    Example:
        >>> sweep_run_name(0.001, 32)
        'lr0.001_bs32'
    """
    return f"lr{lr:g}_bs{batch_size}"


Writer = Callable[[Path, CourseData], Path]

CHAPTER_RUNS: dict[str, Writer] = {
    "00_setup": write_setup,
    "01_write_images": write_images,
    "02_graph": write_graph,
    "03_projector": write_projector,
    "04_training": write_training,
    "05_pr_curves": write_pr_curves,
    "06_comparing_runs": write_comparing_runs,
    "06_add_scalars": write_add_scalars,
    "07_distributed": write_distributed,
}
"""Each chapter's run name and the function that writes it, in chapter order."""


def write_course_runs(root: str | Path, data: CourseData | None = None) -> dict[str, Path]:
    """Write every chapter's run under ``root``; return ``{run name: run directory}``.

    Takes a few seconds on a 2-core CPU, training on one thread.

    Example:
        >>> runs = write_course_runs("/tmp/course-runs")  # doctest: +SKIP
        >>> runs["04_training"].name  # doctest: +SKIP
        '20261124-190000'
    """
    root = Path(root)
    data = data or load_course_data()
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # these small batches gain little from more; a busy CPU loses a lot
    try:
        return {name: write(root, data) for name, write in CHAPTER_RUNS.items()}
    finally:
        torch.set_num_threads(threads)
