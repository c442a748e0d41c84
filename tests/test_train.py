"""helpers.train: probabilities, accuracy, the training loop (chapter 04's: test_one_loop), weights."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch.utils.tensorboard import SummaryWriter

from helpers.board import load_run, summary_rows
from helpers.data import CLASSES, make_loader
from helpers.model import Net
from helpers.train import (
    accuracy,
    check_probs_and_labels,
    evaluate,
    fit,
    load_weights,
    per_class_accuracy,
    predict_probs,
    save_weights,
)


def test_predict_probs_is_one_softmax_per_batch_in_eval_mode():
    torch.manual_seed(0)
    net = Net().train()
    x, y = torch.randn(7, 1, 28, 28), torch.arange(7)
    probs, labels = predict_probs(net, make_loader((x, y), batch_size=3, shuffle=False))
    with torch.no_grad():
        expected = F.softmax(net.eval()(x), dim=1)
    net.train()
    assert probs.shape == (7, 10) and torch.allclose(probs, expected, atol=1e-6)
    assert torch.equal(labels, y) and net.training and not probs.requires_grad


def test_predict_probs_of_a_batch_of_one_and_of_nothing():
    probs, _ = predict_probs(Net(), [(torch.zeros(1, 1, 28, 28), torch.tensor([3]))])
    assert probs.shape == (1, 10)
    with pytest.raises(ValueError, match="empty"):
        predict_probs(Net(), [])


@pytest.mark.parametrize("probs,labels,match", [
    (torch.full((3, 10), 1.2), torch.tensor([0, 1, 2]), "in \\[0, 1\\].*softmax"),
    (torch.full((3, 10), -0.1), torch.tensor([0, 1, 2]), "in \\[0, 1\\]"),
    (torch.full((3, 10), float("nan")), torch.tensor([0, 1, 2]), "NaN or infinite.*diverged"),
    (torch.full((3, 10), 0.1), torch.tensor([0, 1, 10]), "from 0 to 9"),
    (torch.full((3, 10), 0.1), torch.tensor([0, -1, 2]), "from 0 to 9"),
    (torch.full((3, 10), 0.1), torch.tensor([0, 1]), "one label per row"),
    (torch.full((3, 9), 0.1), torch.tensor([0, 1, 2]), "shape \\(N, 10\\)"),
    (torch.full((3, 10), 0.1), torch.tensor([0.0, 1.0, 2.0]), "integers"),
])
def test_pr_curve_inputs_are_checked(probs, labels, match):
    with pytest.raises(ValueError, match=match):  # what chapter 05 checks before add_pr_curve
        check_probs_and_labels(probs, labels, len(CLASSES))


def test_accuracy_and_per_class_accuracy():
    probs = torch.tensor([[0.9, 0.1], [0.6, 0.4], [0.3, 0.7]])
    labels = torch.tensor([0, 1, 1])
    assert accuracy(probs, labels) == pytest.approx(2 / 3)
    assert per_class_accuracy(probs, labels, ["a", "b"]) == {"a": 1.0, "b": 0.5}


def test_fit_learns_logs_and_flushes(tmp_path):
    torch.manual_seed(0)
    y = torch.randint(0, 2, (256,))
    x = torch.randn(256, 1, 28, 28) * 0.5 + (y * 2 - 1).view(-1, 1, 1, 1) * 0.5  # a learnable rule
    net = Net()
    with SummaryWriter(str(tmp_path)) as w:
        result = fit(net, make_loader((x, y), batch_size=16), torch.optim.Adam(net.parameters(), 3e-3),
                     epochs=3, writer=w, log_every=8, figure_every=16, test_data=(x, y),
                     classes=CLASSES, progress=False)
    assert result.steps == 48 and result.images == 768
    assert result.test_accuracy[-1] > 0.8
    rows = {(d, t): what for d, _, t, what in summary_rows(tmp_path)}
    assert rows[("Scalars", "loss/train")] == "6 points, steps 8..48"
    assert rows[("Scalars", "accuracy/train")] == "6 points, steps 8..48"
    assert rows[("Scalars", "optimizer/learning rate")] == "6 points, steps 8..48"  # fixed: 3e-3
    assert rows[("Scalars", "accuracy/test")] == "3 points, steps 16..48"
    assert rows[("Images", "predictions vs. actuals")].startswith("3 images")
    losses = [e.value for e in load_run(tmp_path).Scalars("loss/train")]
    assert losses[-1] < losses[0]  # accumulated over the interval, and falling


def test_fit_rejects_bad_settings():
    net = Net()
    with pytest.raises(ValueError, match="at least 1"):
        fit(net, [], torch.optim.SGD(net.parameters(), 0.1), log_every=0)


def test_fit_steps_the_scheduler_and_logs_the_learning_rate(tmp_path):
    torch.manual_seed(0)
    x, y = torch.randn(64, 1, 28, 28), torch.randint(0, 10, (64,))
    net = Net()
    optimizer = torch.optim.Adam(net.parameters(), lr=0.01)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=0.01, total_steps=8)
    with SummaryWriter(str(tmp_path)) as w:
        fit(net, make_loader((x, y), batch_size=8), optimizer, writer=w, log_every=2,
            figure_every=100, classes=CLASSES, progress=False, scheduler=scheduler)
    rates = [e.value for e in load_run(tmp_path).Scalars("optimizer/learning rate")]
    assert len(rates) == 4 and max(rates) > 10 * rates[-1]  # up, then annealed towards 0
    assert scheduler.last_epoch == 8


def test_weights_round_trip_with_weights_only(tmp_path):
    net = Net()
    path = save_weights(net, tmp_path / "w.pt")
    other = load_weights(Net(), path)
    assert all(torch.equal(a, b) for a, b in zip(net.state_dict().values(), other.state_dict().values()))
    with pytest.raises(FileNotFoundError, match="run chapter 04 first"):
        load_weights(Net(), tmp_path / "missing.pt")


def test_evaluate_in_chunks_matches_whole():
    torch.manual_seed(0)
    net = Net()
    x, y = torch.randn(25, 1, 28, 28), torch.randint(0, 10, (25,))
    assert evaluate(net, (x, y), batch_size=4) == pytest.approx(evaluate(net, (x, y), batch_size=100))
