"""What a learner can plausibly get wrong gets a clear message, and nothing is silently mixed.

Damaged checkpoints, a sweep cell run twice, run names that are paths, two processes saving
at once, too few class names, an unknown dataset, a damaged event file; and the numbers
the course logs are the true ones (the test loss of a very wrong, very sure model).
"""

from __future__ import annotations

import math
import os
import subprocess
import sys

import pytest
import torch
from torch import nn
from torch.utils.tensorboard import SummaryWriter

from helpers.board import summarize
from helpers.compare import loss_and_accuracy, sweep_problems, train_setting
from helpers.data import CLASSES, IMAGE_SHAPES, make_loader
from helpers.model import Net
from helpers.plots import plot_classes_preds
from helpers.train import WeightsError, checkpoint_path, fit, load_weights, save_weights

# --- checkpoints --------------------------------------------------------------------------


@pytest.fixture
def saved(tmp_path):
    return save_weights(Net(), tmp_path / "net.pt")


def damaged(saved, how: str):
    data = saved.read_bytes()
    blobs = {"empty": b"", "random bytes": os.urandom(4096), "truncated": data[: len(data) // 2]}
    saved.write_bytes(blobs[how])
    return saved


@pytest.mark.parametrize("how", ["empty", "random bytes", "truncated"])
def test_a_damaged_checkpoint_says_delete_it_and_never_advises_unsafe_loading(saved, how):
    with pytest.raises(WeightsError) as caught:
        load_weights(Net(), damaged(saved, how))
    message = str(caught.value)
    assert "is damaged or not a weights file" in message and "run chapter 04 again" in message
    assert "weights_only=False" not in message and "Traceback" not in message
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


def test_a_whole_pickled_model_is_refused_without_running_it(tmp_path):
    path = tmp_path / "model.pt"
    torch.save(Net(), path)
    with pytest.raises(WeightsError, match="whole pickled model.*never loads those") as caught:
        load_weights(Net(), path)
    assert "weights_only=False" not in str(caught.value)


def test_weights_of_another_architecture_name_the_mismatch(tmp_path):
    path = save_weights(Net(3, 32), tmp_path / "cifar.pt")
    with pytest.raises(WeightsError, match=r"another model than this Net \(.*size mismatch"):
        load_weights(Net(1, 28), path)


def test_a_folder_or_a_file_without_weights_says_what_it_is(tmp_path):
    with pytest.raises(WeightsError, match="is a folder, not a weights file"):
        load_weights(Net(), tmp_path)
    torch.save({"step": 3}, tmp_path / "notes.pt")
    with pytest.raises(WeightsError, match="does not hold a model's weights"):
        load_weights(Net(), tmp_path / "notes.pt")


def test_the_default_checkpoint_is_the_one_the_chapters_save():
    dataset = "fashion-mnist"  # chapter 04: save_weights(net, checkpoint_path(f"{DATASET}_net.pt"))
    assert checkpoint_path() == checkpoint_path(f"{dataset}_net.pt")


SAVER = """
import sys
from helpers.model import Net
from helpers.train import save_weights
for _ in range(60):
    save_weights(Net(), sys.argv[1])
"""


def test_two_processes_saving_one_checkpoint_never_collide(tmp_path):
    path = tmp_path / "net.pt"
    jobs = [subprocess.Popen([sys.executable, "-c", SAVER, str(path)], stderr=subprocess.PIPE,
                             text=True) for _ in range(2)]
    errors = [job.communicate(timeout=300)[1] for job in jobs]
    assert [job.returncode for job in jobs] == [0, 0], errors
    load_weights(Net(), path)  # whole
    assert [p.name for p in tmp_path.iterdir()] == ["net.pt"]  # no temporary file left


# --- a sweep ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tiny():
    torch.manual_seed(0)
    x, y = torch.randn(64, 1, 28, 28), torch.randint(0, 10, (64,))
    return (x[:48], y[:48]), (x[48:], y[48:])


@pytest.mark.parametrize("name", ["../escaped", "/tmp/absolute", "", "a/b"])
def test_a_sweep_run_name_must_be_a_plain_name(tmp_path, tiny, name):
    with pytest.raises(ValueError, match="must be a plain name"):
        train_setting(tmp_path / "sweep", name, 0.01, 16, *tiny)
    assert not (tmp_path / "escaped").exists()


def test_training_a_setting_twice_refuses_to_mix_two_runs(tmp_path, tiny):
    sweep = tmp_path / "sweep"
    train_setting(sweep, "lr0.01_bs16", 0.01, 16, *tiny)
    with pytest.raises(FileExistsError, match="would mix two runs.*makes RUN_DIR again"):
        train_setting(sweep, "lr0.01_bs16", 0.01, 16, *tiny)
    assert sweep_problems(sweep, ["lr0.01_bs16"]) == []


def test_sweep_problems_names_a_run_written_twice(tmp_path):
    for _ in range(2):
        with SummaryWriter(str(tmp_path / "lr0.01_bs16")) as writer:
            writer.add_scalar("test accuracy", 0.5, 1)
    assert sweep_problems(tmp_path, ["lr0.01_bs16"]) == [
        "mixed runs: lr0.01_bs16 has 2 event files (trained twice?)"]


class Sure(nn.Module):
    """A model that is certain of class 0 (logits 0 and -100): wrong on every other label."""

    def forward(self, images):
        logits = torch.full((len(images), 10), -100.0)
        logits[:, 0] = 0.0
        return logits


def test_the_logged_test_loss_is_the_true_cross_entropy_however_large():
    images, labels = torch.zeros(4, 1, 28, 28), torch.tensor([0, 1, 1, 1])
    loss, accuracy = loss_and_accuracy(Sure(), (images, labels))
    assert loss == pytest.approx(3 * 100 / 4, rel=1e-4)  # far above a clamp's 27.6 per image
    assert accuracy == 0.25 and math.isfinite(loss)


# --- class names, datasets, event files -----------------------------------------------------


def test_too_few_class_names_fail_before_training_not_at_the_first_figure(tmp_path):
    x, y = torch.randn(32, 1, 28, 28), torch.randint(0, 3, (32,))
    net = Net()
    before = [p.detach().clone() for p in net.parameters()]
    with SummaryWriter(str(tmp_path)) as writer, pytest.raises(ValueError, match=(
            "10 outputs but 3 class names")):
        fit(net, make_loader((x, y), batch_size=8), torch.optim.SGD(net.parameters(), 0.1),
            writer=writer, log_every=1, figure_every=1000, classes=CLASSES[:3], progress=False)
    assert all(torch.equal(a, b) for a, b in zip(before, net.parameters()))  # nothing trained
    with pytest.raises(ValueError, match="one name per output"):
        plot_classes_preds(net, x[:4], torch.tensor([0, 1, 2, 0]), CLASSES[:3])


def test_an_unknown_dataset_names_the_choices():
    choices = r"choose one of \('fashion-mnist', 'cifar10'\)"
    with pytest.raises(ValueError, match=rf"Unknown dataset 'mnist'; {choices}"):
        IMAGE_SHAPES["mnist"]


@pytest.mark.parametrize("damage", ["cut short", "corrupted"])
def test_a_damaged_event_file_is_named_in_the_summary(tmp_path, damage):
    with SummaryWriter(str(tmp_path)) as writer:
        for step in range(50):
            writer.add_scalar("loss", 1.0 / (step + 1), step)
    [path] = list(tmp_path.glob("events.out.tfevents.*"))
    data = bytearray(path.read_bytes())
    if damage == "cut short":
        del data[-7:]
    else:
        data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    table = summarize(tmp_path)
    assert f"DAMAGED {path.name}: only its first" in table and "points are missing" in table


# --- reading runs back, and what a learner passes by mistake --------------------------------


def test_reading_a_folder_that_is_not_a_run_says_what_to_pass(tmp_path):
    from helpers.board import load_run, read_scalars

    for read in (summarize, read_scalars, load_run):
        with pytest.raises(FileNotFoundError, match="No folder .*writer.log_dir"):
            read(tmp_path / "runz")
        with pytest.raises(TypeError, match="Pass a run folder"):
            read(None)
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match="No TensorBoard event files"):
        read_scalars(tmp_path / "empty")
    with SummaryWriter(str(tmp_path / "run")) as writer:
        writer.add_scalar("loss", 1.0, 0)
    assert "Scalars" in summarize(writer)  # a writer stands for its folder
    [path] = (tmp_path / "run").glob("events.*")
    with pytest.raises(NotADirectoryError, match="is a file: pass the folder"):
        summarize(path)


def test_read_scalars_warns_about_mixed_and_damaged_runs(tmp_path):
    from helpers.board import read_scalars

    for _ in range(2):
        with SummaryWriter(str(tmp_path)) as writer:
            writer.add_scalar("loss", 1.0, 0)
    with pytest.warns(UserWarning, match="2 event files: two writers"):
        read_scalars(tmp_path)


def test_loading_into_something_that_is_not_a_model_is_not_called_damage(saved):
    with pytest.raises(TypeError, match="pass the model first"):
        load_weights(Net().state_dict(), saved)
    assert saved.exists()
    with pytest.raises(TypeError, match="pass the model itself"):
        save_weights(Net().state_dict(), saved)


@pytest.mark.parametrize(("labels", "match"), [
    (torch.arange(1, 9) % 11 + 2, "class numbers 0..9"),
    (torch.zeros(8), "use labels.long()"),
])
def test_bad_labels_fail_before_training(labels, match):
    net = Net()
    with pytest.raises(ValueError, match=match):
        fit(net, [(torch.zeros(8, 1, 28, 28), labels)], torch.optim.SGD(net.parameters(), 0.1),
            progress=False)


def test_an_optimizer_of_another_model_is_named():
    net = Net()
    with pytest.raises(ValueError, match="holds none of this model's parameters"):
        fit(net, [], torch.optim.SGD(Net().parameters(), 0.1), progress=False)


def test_one_string_where_a_list_belongs_is_refused(tmp_path):
    from helpers.distributed import torchrun_command

    with pytest.raises(TypeError, match=r"as a list, e\.g\. \['--epochs', '1'\]"):
        torchrun_command(2, "--epochs 1")
    with pytest.raises(ValueError, match="nproc must be a whole number >= 1"):
        torchrun_command(0, [])
    with pytest.raises(TypeError, match="as a list"):
        sweep_problems(tmp_path, "lr0.01_bs128")


def test_loaders_take_what_a_learner_has_and_refuse_what_is_wrong():
    import numpy as np

    from helpers.data import load_dataset

    x, y = torch.zeros(6, 1, 28, 28), torch.arange(6)
    assert len(list(make_loader([x, y], batch_size=4))) == 2  # a list works like a tuple
    assert len(list(make_loader((x.numpy(), np.arange(6)), batch_size=4))) == 2
    with pytest.raises(ValueError, match="Pass \\(images, labels\\)"):
        make_loader((y, x))
    with pytest.raises(ValueError, match="are empty"):
        make_loader((x[:0], y[:0]))
    with pytest.raises(TypeError, match="train must be True or False"):
        load_dataset("fashion-mnist", train="False")


@pytest.mark.parametrize(("make", "match"), [
    (lambda: Net(IMAGE_SHAPES["fashion-mnist"]), r"Net\(\*IMAGE_SHAPES\[DATASET\]\)"),
    (lambda: Net(1, 28.0), "image_size must be a whole number"),
    (lambda: Net()(torch.zeros(2, 1, 28, 28, dtype=torch.uint8)), "to_tensors"),
    (lambda: Net()(torch.zeros(2, 1, 28, 28).numpy()), "as a tensor"),
    (lambda: Net()(torch.zeros(2, 28, 28, 1)), r"permute\(0, 3, 1, 2\)"),
    (lambda: Net(3, 32)(torch.zeros(2, 3, 28, 28)), "28x28 but the model expects 32x32"),
])
def test_a_model_given_the_wrong_thing_says_what_to_do(make, match):
    with pytest.raises((TypeError, ValueError), match=match):
        make()


def test_evaluating_and_predicting_with_the_wrong_container_say_which_to_use():
    from helpers.train import evaluate, predict_probs

    x, y = torch.zeros(4, 1, 28, 28), torch.arange(4)
    with pytest.raises(TypeError, match="use evaluate"):
        predict_probs(Net(), (x, y))
    with pytest.raises(TypeError, match="for a loader use predict_probs"):
        evaluate(Net(), make_loader((x, y)))
    with pytest.raises(ValueError, match="batch_size must be a whole number"):
        evaluate(Net(), (x, y), batch_size=0)
    with pytest.raises(ValueError, match="4 test images but 3 labels"):
        evaluate(Net(), (x, y[:3]))
    net = Net()
    with pytest.raises(TypeError, match="must be whole numbers"):
        fit(net, make_loader((x, y)), torch.optim.SGD(net.parameters(), 0.1), epochs="3")


def test_writers_tables_and_figures_say_what_they_need(tmp_path):
    from helpers.board import format_table, make_writer
    from helpers.data import make_transform, to_tensors

    with pytest.raises(TypeError, match="picks the run's folder itself"):
        make_writer("demo", root=tmp_path, log_dir=str(tmp_path))
    with pytest.raises(ValueError, match="needs 3 cells"):
        format_table([("a", "b")], ("x", "y", "z"))
    with pytest.raises(ValueError, match="got '1'"):
        make_transform("1")
    x, y = torch.zeros(4, 1, 28, 28), torch.arange(4)
    with pytest.raises(TypeError, match="already \\(images, labels\\) tensors"):
        to_tensors((x, y))
    with pytest.raises(ValueError, match="max_cols must be a whole number"):
        plot_classes_preds(Net(), x, y, CLASSES, max_cols=0)


def test_a_sweep_setting_is_checked_before_it_trains(tmp_path, tiny):
    for lr in ("0.01", -0.01, 0):
        with pytest.raises(ValueError, match="lr must be a positive number"):
            train_setting(tmp_path / "sweep", "bad", lr, 16, *tiny)
    (train_x, train_y), (test_x, test_y) = tiny
    with pytest.raises(ValueError, match="test_data has 16 images and 15 labels"):
        train_setting(tmp_path / "sweep", "bad", 0.01, 16, (train_x, train_y), (test_x, test_y[:15]))
    (tmp_path / "file").write_text("")
    with pytest.raises(NotADirectoryError, match="is a file: pass the sweep's folder"):
        train_setting(tmp_path / "file", "bad", 0.01, 16, *tiny)
    assert not (tmp_path / "sweep").exists()


def test_more_mix_ups_get_their_fix(tmp_path):
    from torchvision.datasets import FakeData

    from helpers.data import make_transform
    from helpers.plots import matplotlib_imshow
    from helpers.train import add_pr_curves

    with pytest.raises(ValueError, match=r"img\.permute\(2, 0, 1\)"):
        matplotlib_imshow(torch.zeros(28, 28, 3))
    with pytest.raises(TypeError, match="needs a SummaryWriter first"):
        add_pr_curves(None, torch.full((2, 10), 0.1), torch.tensor([0, 1]), CLASSES)
    with pytest.raises(ValueError, match="seed must be a whole number, got '0'"):
        make_loader((torch.zeros(2, 1, 28, 28), torch.arange(2)), seed="0")
    net = Net()
    fake = FakeData(4, (1, 28, 28), transform=make_transform(1))
    with pytest.raises(TypeError, match="fit takes batches, not a dataset"):
        fit(net, fake, torch.optim.SGD(net.parameters(), 0.1), progress=False)
