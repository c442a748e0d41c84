"""helpers.board: reading runs back, and summarize() against what was written."""

from __future__ import annotations

import pytest
import torch
from torch.utils.tensorboard import SummaryWriter
from torch.utils.tensorboard.summary import hparams

from helpers.board import event_files, read_scalars, summarize, summary_rows
from helpers.data import CLASSES
from helpers.model import Net
from helpers.plots import plot_classes_preds


def test_writer_is_a_context_manager_with_one_event_file(tmp_path):
    with SummaryWriter(log_dir=tmp_path / "demo" / "run") as writer:
        for step in range(3):
            writer.add_scalar("loss", 1.0 / (step + 1), step)
        writer.flush()
        writer.add_scalar("loss", 0.1, 3)
    run = next((tmp_path / "demo").iterdir())
    assert len(event_files(run)) == 1
    points = [(0, 1.0), (1, 0.5), (2, pytest.approx(1 / 3)), (3, pytest.approx(0.1))]
    assert read_scalars(run) == {".": {"loss": points}}


@pytest.fixture
def full_run(tmp_path):
    """A run with one of everything the course writes."""
    torch.manual_seed(0)
    net = Net()
    images, labels = torch.randn(8, 1, 28, 28), torch.arange(8)
    run = tmp_path / "run"
    with SummaryWriter(str(run)) as w:
        for step in (100, 200, 300):
            w.add_scalar("training loss", 1.0 / step, step)
        w.add_image("grid", torch.rand(3, 20, 30), 0)
        w.add_figure("predictions vs. actuals", plot_classes_preds(net, images[:4], labels[:4], CLASSES), 100)
        w.add_figure("predictions vs. actuals", plot_classes_preds(net, images[:4], labels[:4], CLASSES), 200)
        w.add_graph(net, images[:1])
        w.add_histogram("fc3.weight", net.fc3.weight, 1)
        w.add_histogram("fc3.weight", net.fc3.weight, 2)
        w.add_text("notes", "lr=0.01", 0)
        probs, labels_20 = torch.softmax(torch.randn(20, 10), 1), torch.arange(20) % 10
        for i, name in enumerate(CLASSES):  # as chapter 05 writes them
            w.add_pr_curve(name, labels_20 == i, probs[:, i], global_step=0)
        w.add_embedding(images.view(8, -1), metadata=[CLASSES[i] for i in labels], label_img=images)
        exp, ssi, sei = hparams({"lr": 0.01, "optimizer": "adam"}, {"hparam/accuracy": 0.9})
        for summary in (exp, ssi, sei):
            w.file_writer.add_summary(summary)
    return run


def test_summarize_reports_every_dashboard_exactly(full_run):
    rows = {(d, t): what for d, r, t, what in summary_rows(full_run)}
    assert rows[("(run)", "")] == "1 event file"
    assert rows[("Scalars", "training loss")] == "3 points, steps 100..300"
    assert rows[("Images", "grid")] == "1 image, 30x20 px, step 0"
    assert rows[("Images", "predictions vs. actuals")].startswith("2 images, ")
    assert rows[("Graphs", "Net")].startswith("model graph, ")
    assert rows[("Histograms", "fc3.weight")] == "2 points, steps 1..2"
    assert rows[("Text", "notes/text_summary")] == "1 point, step 0"
    assert {t for d, t in rows if d == "PR Curves"} == set(CLASSES)
    assert rows[("PR Curves", "Shirt")] == "1 point, step 0, 127 thresholds"
    assert rows[("Projector", "default:00000")] == (
        "8 points x 784 dims, labels for 8 rows, sprite of 28x28 thumbnails")
    assert rows[("HParams", "session")] == "lr=0.01, optimizer=adam"
    assert rows[("HParams", "experiment")] == "metrics: hparam/accuracy"


def test_summarize_is_a_deterministic_table(full_run):
    text = summarize(full_run)
    assert text == summarize(full_run)
    lines = text.splitlines()
    assert lines[0].split() == ["dashboard", "run", "tag", "what", "TensorBoard", "shows"]
    assert set(lines[1]) <= {"-", " "}
    assert str(full_run) not in text


def test_summarize_keeps_every_event_not_a_sample(tmp_path):
    with SummaryWriter(str(tmp_path)) as w:
        for step in range(1500):
            w.add_scalar("loss", 1.0, step)
        for step in range(15):
            w.add_image("img", torch.zeros(1, 4, 4), step)
    rows = {t: what for _, _, t, what in summary_rows(tmp_path)}
    assert rows["loss"] == "1500 points, steps 0..1499"
    assert rows["img"] == "15 images, 4x4 px, steps 0..14"


def test_summarize_names_runs_relative_to_the_logdir(tmp_path):
    for name in ("lr0.1", "lr0.01"):
        with SummaryWriter(str(tmp_path / name)) as w:
            w.add_scalar("loss", 1.0, 0)
    runs = [r for d, r, _, _ in summary_rows(tmp_path) if d == "Scalars"]
    assert runs == ["lr0.01", "lr0.1"]
    assert set(read_scalars(tmp_path)) == {"lr0.01", "lr0.1"}


def test_summarize_counts_event_files_of_reopened_writers(tmp_path):
    for _ in range(2):  # the tutorial's pitfall: close, then write again
        w = SummaryWriter(str(tmp_path))
        w.add_scalar("loss", 1.0, 0)
        w.close()
    assert "2 event files" in summarize(tmp_path)


def test_summarize_explains_an_empty_or_missing_logdir(tmp_path):
    with pytest.raises(FileNotFoundError, match="flushed"):
        summarize(tmp_path)
    with pytest.raises(FileNotFoundError, match="No folder .*writer.log_dir"):
        summarize(tmp_path / "missing")
