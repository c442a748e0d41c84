"""Chapter 06's sweep makes one clean run per setting, with curves, histograms, notes and HParams.

The code under test is the chapter's own: its setup cell's imports and the cell that defines
`log_histograms` and `train_setting`, run here on small synthetic data instead of the
chapter's 8,000 images.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
import torch
import torch.nn.functional as F
from torch.utils.tensorboard import SummaryWriter

from coursetools.course import chapter_path
from helpers.board import event_files, find_runs, load_run, read_scalars, summary_rows
from helpers.compare import loss_and_accuracy, sweep_problems
from helpers.model import Net


def chapter_namespace(sweep_dir: Path, train_data, test_data) -> dict:
    """The names chapter 06 defines in its setup cell and its `train_setting` cell, with the
    sweep folder and the data set as the chapter's cells before them would."""
    cells = [c.source for c in nbformat.read(chapter_path("06_comparing_runs"),
                                             as_version=4).cells if c.cell_type == "code"]
    setup = next(s for s in cells if "from torch.utils.tensorboard import SummaryWriter" in s)
    definitions = next(s for s in cells if "def train_setting(" in s)
    namespace: dict = {}
    exec(setup, namespace)
    namespace.update(DEVICE=torch.device("cpu"), RUN_DIR=sweep_dir, train_data=train_data,
                     test_data=test_data)
    exec(definitions, namespace)
    return namespace


@pytest.fixture(scope="module")
def tiny_data():
    """A learnable rule on synthetic images: label 1 is brighter than label 0."""
    torch.manual_seed(0)
    y = torch.randint(0, 2, (160,))
    x = torch.randn(160, 1, 28, 28) * 0.5 + (y * 2 - 1).view(-1, 1, 1, 1) * 0.5
    return (x[:128], y[:128]), (x[128:], y[128:])


SETTINGS = {"lr0.01_bs16": (0.01, 16), "lr0.001_bs32": (0.001, 32), "lr1_bs16": (1.0, 16)}


@pytest.fixture(scope="module")
def sweep(tmp_path_factory, tiny_data):
    sweep_dir = tmp_path_factory.mktemp("sweep")
    chapter = chapter_namespace(sweep_dir, *tiny_data)
    metrics = {name: chapter["train_setting"](name, lr, bs, log_every_images=32)
               for name, (lr, bs) in SETTINGS.items()}
    return sweep_dir, metrics


def test_a_sweep_makes_exactly_one_run_directory_per_setting(sweep):
    sweep_dir, _ = sweep
    assert sorted(p.name for p in sweep_dir.iterdir()) == sorted(SETTINGS)
    assert find_runs(sweep_dir) == sorted(sweep_dir / name for name in SETTINGS)
    assert all(len(event_files(sweep_dir / name)) == 1 for name in SETTINGS)
    assert sweep_problems(sweep_dir, list(SETTINGS)) == []


def test_each_run_has_grouped_curves_histograms_notes_and_hparams(sweep):
    sweep_dir, _ = sweep
    rows = {(r, d, t): what for d, r, t, what in summary_rows(sweep_dir)}
    # batch size 16: 8 steps, a point every 2 steps; batch size 32: 4 steps, a point at each
    for tag in ("loss/train", "loss/test", "accuracy/train", "accuracy/test"):
        assert rows[("lr0.01_bs16", "Scalars", tag)] == "4 points, steps 2..8"
        assert rows[("lr0.001_bs32", "Scalars", tag)] == "4 points, steps 1..4"
    assert rows[("lr0.01_bs16", "Histograms", "weights/fc1")] == "5 points, steps 0..8"
    assert rows[("lr0.01_bs16", "Histograms", "gradients/conv1")] == "4 points, steps 2..8"
    assert ("lr0.01_bs16", "Histograms", "gradients/conv1.bias") not in rows
    assert rows[("lr0.01_bs16", "Text", "notes/text_summary")] == "1 point, step 0"
    assert rows[("lr0.01_bs16", "HParams", "session")] == "batch_size=16, lr=0.01"
    assert rows[("lr1_bs16", "HParams", "session")] == "batch_size=16, lr=1"
    assert rows[("lr0.001_bs32", "HParams", "experiment")] == "metrics: accuracy/test, loss/test"


def test_the_last_batches_are_logged_when_the_epoch_is_not_a_multiple(tmp_path, tiny_data):
    chapter = chapter_namespace(tmp_path, *tiny_data)
    chapter["train_setting"]("lr0.01_bs48", 0.01, 48, log_every_images=96)  # 3 steps, a point every 2
    scalars = read_scalars(tmp_path)
    assert [s for s, _ in scalars["lr0.01_bs48"]["loss/train"]] == [2, 3]
    assert [s for s, _ in scalars["lr0.01_bs48"]["accuracy/test"]] == [2, 3]


def test_the_hparams_metrics_are_the_last_logged_values(sweep):
    sweep_dir, metrics = sweep
    scalars = read_scalars(sweep_dir)
    for name in SETTINGS:
        assert sorted(metrics[name]) == ["accuracy/test", "loss/test"]
        for tag, value in metrics[name].items():
            assert scalars[name][tag][-1][1] == pytest.approx(value)
    assert metrics["lr0.01_bs16"]["accuracy/test"] > 0.8  # it really trained


def test_the_train_curves_are_means_over_the_batches_since_the_last_point(sweep, tiny_data):
    sweep_dir, _ = sweep
    scalars = read_scalars(sweep_dir)
    # one point per batch with batch size 32: the values are that batch's own loss and accuracy
    (x, y), _ = tiny_data
    accuracy = [v for _, v in scalars["lr0.001_bs32"]["accuracy/train"]]
    assert all(round(v * 32) == pytest.approx(v * 32, abs=1e-4) for v in accuracy)
    assert all(0 < v < 10 for _, v in scalars["lr0.001_bs32"]["loss/train"])


def test_a_far_too_large_learning_rate_kills_layers_visibly(sweep):
    sweep_dir, _ = sweep
    acc = load_run(sweep_dir / "lr1_bs16")
    last = acc.Histograms("gradients/fc1")[-1].histogram_value
    first = acc.Histograms("weights/fc1")[0].histogram_value
    exploded = acc.Histograms("weights/fc1")[-1].histogram_value
    assert last.min == last.max == 0  # dead: no gradient reaches fc1 any more
    assert exploded.max - exploded.min > 10 * (first.max - first.min)


def test_a_diverged_setting_is_logged_up_to_where_it_broke(tmp_path, tiny_data):
    chapter = chapter_namespace(tmp_path, *tiny_data)
    metrics = chapter["train_setting"]("huge", 1e6, 16, log_every_images=16)
    assert not metrics["loss/test"] < 1e6  # huge, or NaN
    acc = load_run(tmp_path / "huge")
    assert len(acc.Scalars("loss/test")) == 8  # every point, NaN included
    counts = {tag: len(acc.Histograms(tag)) for tag in acc.Tags()["histograms"]}
    assert counts["weights/fc1"] >= 1 and min(counts.values()) < 8  # some stop where they broke


def test_plain_add_hparams_leaves_a_stray_run_that_the_check_finds(tmp_path):
    with SummaryWriter(str(tmp_path / "lr0.01_bs16")) as writer:
        writer.add_scalar("accuracy/test", 0.5, 1)
        writer.add_hparams({"lr": 0.01}, {"accuracy/test": 0.5})
    problems = sweep_problems(tmp_path, ["lr0.01_bs16"])
    assert len(problems) == 1 and problems[0].startswith("stray run: lr0.01_bs16/")
    [extra] = [run for run in find_runs(tmp_path) if run.name != "lr0.01_bs16"]
    assert [(e.step, e.value) for e in load_run(extra).Scalars("accuracy/test")] == [(0, 0.5)]


def test_the_chapters_hparams_stay_in_the_runs_own_event_file(sweep):
    sweep_dir, _ = sweep
    acc = load_run(sweep_dir / "lr0.01_bs16")
    steps = [e.step for e in acc.Scalars("accuracy/test")]
    assert steps == [2, 4, 6, 8]  # no extra copy of the metric at step 0


def test_a_setting_is_refused_before_it_trains(tmp_path, tiny_data):
    chapter = chapter_namespace(tmp_path, *tiny_data)
    with pytest.raises(ValueError, match="must be a plain name"):
        chapter["train_setting"]("../escaped", 0.01, 16)
    chapter["train_setting"]("lr0.01_bs16", 0.01, 16)
    with pytest.raises(FileExistsError, match="would mix two runs.*makes RUN_DIR again"):
        chapter["train_setting"]("lr0.01_bs16", 0.01, 16)
    assert sweep_problems(tmp_path, ["lr0.01_bs16"]) == []


def test_sweep_problems_names_what_is_missing_or_stray(tmp_path):
    for name in ("a", "b", "c"):
        with SummaryWriter(str(tmp_path / name)) as writer:
            writer.add_scalar("x", 1.0, 0)
            if name == "a":
                writer.add_scalars("loss", {"train": 1.0, "test": 2.0}, 0)
    (tmp_path / "notes.txt").write_text("left over")
    (tmp_path / "d").mkdir()
    problems = sweep_problems(tmp_path, ["a", "b", "e"])
    assert problems == ["missing run: e", "stray: c", "stray: d", "stray: notes.txt",
                        "stray run: a/loss_test", "stray run: a/loss_train"]
    allowed = ["a/loss_train", "a/loss_test"]
    assert sweep_problems(tmp_path, ["a", "b", "c", "d", "notes.txt"], allowed) == [
        "missing run: d", "missing run: notes.txt"]


def test_histograms_of_gradients_only_once_there_are_gradients(tmp_path, tiny_data):
    log_histograms = chapter_namespace(tmp_path, *tiny_data)["log_histograms"]
    net = Net()
    with SummaryWriter(str(tmp_path)) as writer:
        log_histograms(writer, net, 0)
        F.cross_entropy(net(torch.zeros(2, 1, 28, 28)), torch.tensor([0, 1])).backward()
        log_histograms(writer, net, 1)
    tags = load_run(tmp_path).Tags()["histograms"]
    layers = ["conv1", "conv2", "fc1", "fc2", "fc3"]
    expected = [f"weights/{n}" for n in layers] + [f"gradients/{n}" for n in layers]
    assert sorted(tags) == sorted(expected)
    assert len(load_run(tmp_path).Histograms("gradients/fc3")) == 1


def test_loss_and_accuracy_match_cross_entropy():
    torch.manual_seed(0)
    net = Net()
    x, y = torch.randn(20, 1, 28, 28), torch.randint(0, 10, (20,))
    loss, acc = loss_and_accuracy(net, (x, y))
    with torch.no_grad():
        logits = net(x)
    assert loss == pytest.approx(F.cross_entropy(logits, y).item(), rel=1e-5)
    assert acc == pytest.approx((logits.argmax(1) == y).float().mean().item())
