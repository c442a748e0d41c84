"""Chapter 04's training loop and `helpers.train.fit` are one loop: the chapter's own cell,
taken from the notebook and run here, and `fit`, given the same seed, data, model, optimizer
and scheduler, end with the same weights and log the same points."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import nbformat
import pytest
import torch
import torch.nn.functional as F
from torch.utils.tensorboard import SummaryWriter
from tqdm import tqdm

from coursetools.course import chapter_path
from helpers._runtime import threads
from helpers.board import load_run, read_scalars
from helpers.data import IMAGE_SHAPES, load_tensors, make_loader
from helpers.inline import redraw_frames
from helpers.model import Net
from helpers.plots import plot_classes_preds
from helpers.train import evaluate, fit

CHAPTER = chapter_path("04_training")
Weights = dict[str, torch.Tensor]  # a state_dict
LOOP = "for epoch in range(EPOCHS):"  # how the training cell is found


def loop_cell() -> str:
    """The source of chapter 04's training cell, as the notebook holds it."""
    cells = [c.source for c in nbformat.read(CHAPTER, as_version=4).cells
             if c.cell_type == "code" and LOOP in c.source]
    assert len(cells) == 1, f"{CHAPTER.name} should have one code cell with {LOOP!r}"
    return cells[0]


@pytest.fixture(scope="module")
def small_data() -> dict:
    """The first 512 training and 256 test images of the real Fashion-MNIST."""
    (train_images, train_labels), classes = load_tensors("fashion-mnist", train=True)
    (test_images, test_labels), _ = load_tensors("fashion-mnist", train=False)
    return {"train_images": train_images[:512], "train_labels": train_labels[:512],
            "test_images": test_images[:256], "test_labels": test_labels[:256], "classes": classes}


@pytest.fixture(autouse=True)
def fixed_threads(monkeypatch):
    """One torch thread count for every run (a busy moment would change it mid-run, and with
    it the order of the sums): equal weights then mean equal loops."""
    monkeypatch.setattr(threads, "adjust_threads", torch.get_num_threads)


def chapter_namespace(data: dict, run_dir: Path) -> dict:
    """What the chapter's cells before the loop define, on small data: its settings cell
    with two epochs of 8 batches, a point every 2 steps and a figure every 4."""
    epochs, batch_size, max_learning_rate = 2, 64, 0.01
    torch.manual_seed(0)
    net = Net(*IMAGE_SHAPES["fashion-mnist"]).to("cpu", memory_format=torch.channels_last)
    train_loader = make_loader((data["train_images"], data["train_labels"]), batch_size=batch_size, seed=0)
    optimizer = torch.optim.Adam(net.parameters(), lr=max_learning_rate)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(
        optimizer, max_lr=max_learning_rate, total_steps=epochs * len(train_loader), pct_start=0.1)
    return {
        **data, "sys": sys, "time": time, "torch": torch, "F": F, "tqdm": tqdm,
        "redraw_frames": redraw_frames, "evaluate": evaluate, "plot_classes_preds": plot_classes_preds,
        "DEVICE": torch.device("cpu"), "RUN_DIR": run_dir, "writer": SummaryWriter(log_dir=run_dir),
        "EPOCHS": epochs, "BATCH_SIZE": batch_size, "LOG_EVERY": 2, "FIGURE_EVERY": 4,
        "net": net, "train_loader": train_loader, "optimizer": optimizer, "scheduler": scheduler,
    }


def run_cell(source: str, data: dict, run_dir: Path) -> Weights:
    """Run ``source`` as the chapter's training cell; the model's weights after it."""
    names = chapter_namespace(data, run_dir)
    exec(compile(source, str(CHAPTER), "exec"), names)
    return names["net"].state_dict()


def run_fit(data: dict, run_dir: Path) -> Weights:
    """`fit` on the same names, its defaults otherwise; the model's weights after it."""
    names = chapter_namespace(data, run_dir)
    with names["writer"] as writer:
        fit(names["net"], names["train_loader"], names["optimizer"], epochs=names["EPOCHS"],
            writer=writer, log_every=names["LOG_EVERY"], figure_every=names["FIGURE_EVERY"],
            test_data=(names["test_images"], names["test_labels"]), classes=names["classes"],
            scheduler=names["scheduler"])
    return names["net"].state_dict()



def same_weights(a: Weights, b: Weights) -> bool:
    return a.keys() == b.keys() and all(torch.equal(a[name], b[name]) for name in a)


def logged(run_dir: Path) -> dict:
    """Every scalar series per tag, and the steps of each image tag, in ``run_dir``."""
    images = load_run(run_dir)
    return {"scalars": read_scalars(run_dir)["."],
            "images": {tag: [e.step for e in images.Images(tag)] for tag in images.Tags()["images"]}}


def test_fit_runs_chapter_04s_loop(small_data, tmp_path):
    chapter = run_cell(loop_cell(), small_data, tmp_path / "chapter" / "run")
    fitted = run_fit(small_data, tmp_path / "fit" / "run")
    assert same_weights(chapter, fitted), "fit and chapter 04's loop end with different weights"
    shown, by_fit = logged(tmp_path / "chapter" / "run"), logged(tmp_path / "fit" / "run")
    assert shown == by_fit
    assert sorted(shown["scalars"]) == ["accuracy/test", "accuracy/train", "loss/train",
                                        "optimizer/learning rate"]
    assert [s for s, _ in shown["scalars"]["loss/train"]] == list(range(2, 17, 2))
    assert [s for s, _ in shown["scalars"]["accuracy/test"]] == [8, 16]
    assert shown["images"] == {"predictions vs. actuals": [4, 8, 12, 16]}


@pytest.mark.parametrize(("line", "changed", "differs"), [
    ("scheduler.step()", None, "weights"),  # the learning rate never moves
    ('"accuracy/train"', '"accuracy/training"', "points"),  # another tag
])
def test_a_loop_that_differs_is_told_apart(small_data, tmp_path, line, changed, differs):
    lines = loop_cell().splitlines(keepends=True)
    assert any(line in text for text in lines), f"chapter 04's loop no longer has {line!r}"
    source = "".join(text.replace(line, changed) if changed else text
                     for text in lines if changed or line not in text)
    chapter = run_cell(source, small_data, tmp_path / "chapter" / "run")
    fitted = run_fit(small_data, tmp_path / "fit" / "run")
    if differs == "weights":
        assert not same_weights(chapter, fitted)
    else:
        assert same_weights(chapter, fitted)
        assert logged(tmp_path / "chapter" / "run") != logged(tmp_path / "fit" / "run")
