"""helpers.compare: a sweep makes one clean run per setting, with HParams, histograms and notes."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch.utils.tensorboard import SummaryWriter

from helpers.board import event_files, find_runs, load_run, read_scalars, summary_rows
from helpers.compare import (
    add_hparams_to_run,
    every_n_steps,
    log_histograms,
    loss_and_accuracy,
    sweep_problems,
    train_setting,
)
from helpers.model import Net


@pytest.fixture(scope="module")
def tiny_data():
    """A learnable rule on synthetic images: label 1 is brighter than label 0."""
    torch.manual_seed(0)
    y = torch.randint(0, 2, (96,))
    x = torch.randn(96, 1, 28, 28) * 0.5 + (y * 2 - 1).view(-1, 1, 1, 1) * 0.5
    return (x[:64], y[:64]), (x[64:], y[64:])


SETTINGS = {"lr0.01_bs16": (0.01, 16), "lr0.001_bs32": (0.001, 32), "lr1_bs16": (1.0, 16)}


@pytest.fixture(scope="module")
def sweep(tmp_path_factory, tiny_data):
    sweep_dir = tmp_path_factory.mktemp("sweep")
    train, test = tiny_data
    domains = {"lr": [0.001, 0.01, 1.0], "batch_size": [16, 32]}
    metrics = {name: train_setting(sweep_dir, name, lr, bs, train, test, epochs=2,
                                   log_every_images=32, domains=domains)
               for name, (lr, bs) in SETTINGS.items()}
    return sweep_dir, metrics


def test_a_sweep_makes_exactly_one_run_directory_per_setting(sweep):
    sweep_dir, _ = sweep
    assert sorted(p.name for p in sweep_dir.iterdir()) == sorted(SETTINGS)
    assert find_runs(sweep_dir) == sorted(sweep_dir / name for name in SETTINGS)
    assert all(len(event_files(sweep_dir / name)) == 1 for name in SETTINGS)
    assert sweep_problems(sweep_dir, list(SETTINGS)) == []


def test_each_run_has_curves_histograms_notes_and_hparams(sweep):
    sweep_dir, _ = sweep
    rows = {(r, d, t): what for d, r, t, what in summary_rows(sweep_dir)}
    # batch size 16: 4 steps per epoch, a point every 2 steps; batch size 32: every step
    assert rows[("lr0.01_bs16", "Scalars", "test loss")] == "4 points, steps 2..8"
    assert rows[("lr0.01_bs16", "Scalars", "training loss")] == "4 points, steps 2..8"
    assert rows[("lr0.001_bs32", "Scalars", "test accuracy")] == "4 points, steps 1..4"
    assert rows[("lr0.01_bs16", "Histograms", "weights/fc1")] == "5 points, steps 0..8"
    assert rows[("lr0.01_bs16", "Histograms", "gradients/conv1")] == "4 points, steps 2..8"
    assert ("lr0.01_bs16", "Histograms", "gradients/conv1.bias") not in rows
    assert rows[("lr0.01_bs16", "Text", "notes/text_summary")] == "1 point, step 0"
    assert rows[("lr0.01_bs16", "HParams", "session")] == "batch_size=16, lr=0.01"
    assert rows[("lr1_bs16", "HParams", "session")] == "batch_size=16, lr=1"
    assert rows[("lr0.001_bs32", "HParams", "experiment")] == "metrics: test accuracy, test loss"


def test_the_hparams_metrics_are_the_last_logged_values(sweep, tiny_data):
    sweep_dir, metrics = sweep
    scalars = read_scalars(sweep_dir)
    for name in SETTINGS:
        for tag in ("test accuracy", "test loss"):
            assert scalars[name][tag][-1][1] == pytest.approx(metrics[name][tag])
    assert metrics["lr0.01_bs16"]["test accuracy"] > 0.8  # it really trained


def test_a_far_too_large_learning_rate_kills_layers_visibly(sweep):
    sweep_dir, _ = sweep
    acc = load_run(sweep_dir / "lr1_bs16")
    last = acc.Histograms("gradients/fc1")[-1].histogram_value
    first = acc.Histograms("weights/fc1")[0].histogram_value
    exploded = acc.Histograms("weights/fc1")[-1].histogram_value
    assert last.min == last.max == 0  # dead: no gradient reaches fc1 any more
    assert exploded.max - exploded.min > 10 * (first.max - first.min)


def test_plain_add_hparams_leaves_a_stray_run_that_the_check_finds(tmp_path):
    with SummaryWriter(str(tmp_path / "lr0.01_bs16")) as writer:
        writer.add_scalar("test accuracy", 0.5, 1)
        writer.add_hparams({"lr": 0.01}, {"test accuracy": 0.5})
    problems = sweep_problems(tmp_path, ["lr0.01_bs16"])
    assert len(problems) == 1 and problems[0].startswith("stray run: lr0.01_bs16/")


def test_add_hparams_to_run_writes_into_the_runs_own_event_file(tmp_path):
    with SummaryWriter(str(tmp_path)) as writer:
        writer.add_scalar("test accuracy", 0.5, 1)
        add_hparams_to_run(writer, {"lr": 0.01, "optimizer": "adam"}, {"test accuracy": 0.5})
    assert find_runs(tmp_path) == [tmp_path] and len(event_files(tmp_path)) == 1
    rows = {(d, t): what for d, _, t, what in summary_rows(tmp_path)}
    assert rows[("HParams", "session")] == "lr=0.01, optimizer=adam"
    assert rows[("Scalars", "test accuracy")] == "1 point, step 1"  # no extra copy of the metric


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


def test_histograms_of_gradients_only_once_there_are_gradients(tmp_path):
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


def test_every_n_steps_stops_after_remove():
    net = Net()
    optimizer = torch.optim.SGD(net.parameters(), lr=0.1)
    calls = []
    handle = every_n_steps(optimizer, 3, calls.append)
    for _ in range(7):
        optimizer.step()
    handle.remove()
    for _ in range(3):
        optimizer.step()
    assert calls == [3, 6]
