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
from helpers.compare import check_setting, loss_and_accuracy, sweep_problems
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
def test_a_sweep_run_name_must_be_a_plain_name(tmp_path, name):
    with pytest.raises(ValueError, match="must be a plain name"):
        check_setting(tmp_path / "sweep", name, {"lr": 0.01, "batch_size": 16})
    assert not (tmp_path / "escaped").exists()


def test_training_a_setting_twice_refuses_to_mix_two_runs(tmp_path):
    sweep = tmp_path / "sweep"
    check_setting(sweep, "lr0.01_bs16", {"lr": 0.01, "batch_size": 16})
    with SummaryWriter(log_dir=sweep / "lr0.01_bs16") as writer:
        writer.add_scalar("loss/train", 1.0, 1)
    with pytest.raises(FileExistsError, match="would mix two runs.*makes RUN_DIR again"):
        check_setting(sweep, "lr0.01_bs16", {"lr": 0.01, "batch_size": 16})
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
    with pytest.raises(TypeError, match="train must be True .*or False"):
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
    from helpers.board import format_table
    from helpers.data import make_transform, to_tensors

    with pytest.raises(ValueError, match="needs 3 cells"):
        format_table([("a", "b")], ("x", "y", "z"))
    with pytest.raises(ValueError, match="got '1'"):
        make_transform("1")
    x, y = torch.zeros(4, 1, 28, 28), torch.arange(4)
    with pytest.raises(TypeError, match="already \\(images, labels\\) tensors"):
        to_tensors((x, y))
    with pytest.raises(ValueError, match="max_cols must be a whole number"):
        plot_classes_preds(Net(), x, y, CLASSES, max_cols=0)


def test_a_sweep_setting_is_checked_before_it_trains(tmp_path):
    for lr in ("0.01", -0.01, 0):
        with pytest.raises(ValueError, match="lr must be a positive number"):
            check_setting(tmp_path / "sweep", "bad", {"lr": lr, "batch_size": 16})
    (tmp_path / "file").write_text("")
    with pytest.raises(NotADirectoryError, match="is a file: pass the sweep's folder"):
        check_setting(tmp_path / "file", "bad", {"lr": 0.01, "batch_size": 16})
    assert not (tmp_path / "sweep").exists()


def test_more_mix_ups_get_their_fix(tmp_path):
    from torchvision.datasets import FakeData

    from helpers.data import make_transform
    from helpers.plots import matplotlib_imshow

    with pytest.raises(ValueError, match=r"img\.permute\(2, 0, 1\)"):
        matplotlib_imshow(torch.zeros(28, 28, 3))
    with pytest.raises(ValueError, match="seed must be a whole number, got '0'"):
        make_loader((torch.zeros(2, 1, 28, 28), torch.arange(2)), seed="0")
    net = Net()
    fake = FakeData(4, (1, 28, 28), transform=make_transform(1))
    with pytest.raises(TypeError, match="fit takes batches, not a dataset"):
        fit(net, fake, torch.optim.SGD(net.parameters(), 0.1), progress=False)


# --- labels, class names, transforms and raw pixels ---------------------------------------


@pytest.mark.parametrize(("labels", "match"), [
    (["Coat", "Bag"], r"got names such as 'Coat': use classes\.index\(name\)"),
    (torch.tensor([0.0, 1.0]), r"use labels\.long\(\)"),
    (torch.eye(10)[:2], r"labels\.argmax\(dim=1\)"),
])
def test_labels_that_are_not_class_numbers_say_how_to_get_them(labels, match):
    from helpers.data import select_n_random

    x = torch.zeros(2, 1, 28, 28)
    with pytest.raises(ValueError, match=match):
        plot_classes_preds(Net(), x, labels, CLASSES)
    if isinstance(labels, list):  # any numbers may be sampled, but names are a mistake
        with pytest.raises(ValueError, match=match):
            select_n_random(x, labels, n=1)


def test_containers_and_probabilities_of_the_wrong_kind_say_what_to_pass():
    from torchvision.datasets import FakeData

    from helpers.data import make_transform, select_n_random
    from helpers.train import accuracy, check_probs_and_labels, evaluate, per_class_accuracy, predict_probs

    fake = FakeData(4, (1, 28, 28), transform=make_transform(1))
    with pytest.raises(TypeError, match=r"use images, labels = to_tensors\(dataset\)"):
        select_n_random(fake, torch.arange(4), n=2)
    with pytest.raises(TypeError, match=r"make_loader\(dataset, batch_size=1000, shuffle=False\)"):
        predict_probs(Net(), fake)
    with pytest.raises(ValueError, match=r"one-hot rows use labels\.argmax\(dim=1\)"):
        evaluate(Net(), (torch.zeros(3, 1, 28, 28), torch.eye(10, dtype=torch.long)[:3]))
    with pytest.raises(ValueError, match="probabilities of shape \\(2, 2\\) but 3 labels"):
        accuracy(torch.tensor([[0.9, 0.1], [0.2, 0.8]]), torch.tensor([0, 0, 1]))
    nan = torch.full((2, 10), float("nan"))
    with pytest.raises(ValueError, match="training diverged") as caught:
        check_probs_and_labels(nan, torch.tensor([0, 1]), 10)
    assert "softmax" not in str(caught.value)  # the wrong advice for a diverged model
    probs = torch.softmax(torch.randn(40, 10), dim=1)  # plain lists and numpy arrays are fine
    labels = torch.arange(40) % 10
    assert per_class_accuracy(probs.numpy(), labels.tolist(), CLASSES) == per_class_accuracy(
        probs, labels, CLASSES)


def test_the_other_datasets_class_names_are_refused():
    from helpers.data import CIFAR10_CLASSES

    with pytest.raises(ValueError, match="CIFAR-10's class names, but the images have 1 channel"):
        plot_classes_preds(Net(), torch.zeros(2, 1, 28, 28), [0, 1], CIFAR10_CLASSES)
    with pytest.raises(ValueError, match="Fashion-MNIST's class names, but the images have 3"):
        plot_classes_preds(Net(3, 32), torch.zeros(2, 3, 32, 32), [0, 1], CLASSES)


def test_transforms_and_raw_pixels_of_the_real_data(tmp_path):
    from torchvision import transforms

    from helpers.data import load_dataset, make_transform, to_tensors
    from helpers.plots import matplotlib_imshow

    with pytest.raises(ValueError, match=r"do(es)? not fit these 1x28x28 images.*make_transform\(1\)"):
        load_dataset("fashion-mnist", train=False, transform=make_transform(3))
    raw = load_dataset("fashion-mnist", train=False, transform=None)[0]
    with pytest.raises(TypeError, match="gives Image images, not tensors.*make_transform\\(1\\)"):
        make_loader(raw, batch_size=4)
    # the dataset's own transform is applied, not replaced by the tutorial's
    only_tensor = load_dataset("fashion-mnist", train=False, transform=transforms.ToTensor())[0]
    images, labels = to_tensors(torch.utils.data.Subset(only_tensor, range(50)))
    assert images.min() >= 0 and images.max() <= 1
    mine, _ = to_tensors(only_tensor)
    assert torch.equal(mine[:50], images) and len(mine) == 10_000
    # raw uint8 pixels and PIL images are shown as they are, not as a white square
    for picture in (raw.data[0], raw[0][0]):
        shown = matplotlib_imshow(picture, one_channel=True).images[0].get_array()
        expected = raw.data[0].float() / 255
        assert abs(shown - expected.numpy()).max() < 1e-6


# --- training and sweeps ------------------------------------------------------------------


def test_a_model_or_scheduler_that_does_not_fit_fails_before_training():
    x, y = torch.zeros(16, 1, 28, 28), torch.arange(16) % 10
    cifar_sized = nn.Sequential(nn.Flatten(), nn.Linear(3 * 32 * 32, 10))
    with pytest.raises(ValueError, match=r"cannot take these images of shape \(1, 28, 28\).*IMAGE_SHAPES"):
        fit(cifar_sized, make_loader((x, y)), torch.optim.SGD(cifar_sized.parameters(), 0.1),
            progress=False)
    net = Net()
    before = [p.clone() for p in net.parameters()]
    optimizer = torch.optim.Adam(net.parameters(), 0.01)
    loader = make_loader((x, y), batch_size=4)
    one_epoch = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=0.01, total_steps=len(loader))
    with pytest.raises(ValueError, match=r"allows 4 steps but this training takes 12.*total_steps="):
        fit(net, loader, optimizer, epochs=3, scheduler=one_epoch, progress=False)
    assert all(torch.equal(a, b) for a, b in zip(before, net.parameters()))


def test_hparams_that_are_not_one_plain_value_are_refused_before_training(tmp_path):
    with pytest.raises(TypeError, match="hparam 'lr' is a list.*one run per value"):
        check_setting(tmp_path / "sweep", "a", {"lr": [0.01, 0.1], "batch_size": 16})
    with pytest.raises(TypeError, match="hparams must be a dict of settings"):
        check_setting(tmp_path / "sweep", "a", {})
    assert not (tmp_path / "sweep").exists()


def test_the_distributed_scripts_arguments_name_the_flag_and_the_limit(capsys):
    from helpers.distributed import parse_args

    for argv, match in ((["--train-size", "70000"], "--train-size can be at most 60,000"),
                        (["--test-size", "20000"], "--test-size can be at most 10,000"),
                        (["--lr", "-1"], "--lr must be a positive learning rate")):
        with pytest.raises(SystemExit):
            parse_args(argv)
        assert match in capsys.readouterr().err


def _lambdas(tmp_path):
    from helpers.board import event_files as files
    from helpers.board import format_table
    from helpers.data import load_dataset, select_n_random, to_tensors
    from helpers.inline import prepare_tensorboard_magic
    from helpers.train import checkpoint_path

    x, y = torch.zeros(4, 1, 28, 28), torch.arange(4)
    net = Net()
    (tmp_path / "file").write_text("")
    return [
        (lambda: files(tmp_path / "typo"), "No run folder .*typo"),
        (lambda: format_table([("a", "1", "LOST")], ("x", "y")), "needs 2 cells.*LOST"),
        (lambda: load_dataset("fashion-mnist", train="test")[0], "train must be True .* or False"),
        (lambda: to_tensors(None), r"takes a dataset, e\.g\. load_dataset\(DATASET\)\[0\]"),
        (lambda: make_loader((x, y), batch_size=True), "batch_size must be a whole number"),
        (lambda: make_loader(None), "takes \\(images, labels\\) tensors or a dataset, got None"),
        (lambda: make_loader((x,)), "got a tuple of 1"),
        (lambda: select_n_random(x, y, n=2, seed="0"), "seed must be a whole number"),
        (lambda: net(x.double()), r"float64 but the model is torch.float32.*images\.to\(torch\.float32\)"),
        (lambda: plot_classes_preds(net, x[:0], [], CLASSES), "No images to plot"),
        (lambda: fit(net, make_loader((x, y)), None, progress=False), "needs an optimizer"),
        (lambda: fit(net, make_loader((x.double(), y)), torch.optim.SGD(net.parameters(), 0.1),
                     progress=False), r"float64 but the model is torch.float32"),
        (lambda: save_weights(net, 123), "as a path"),
        (lambda: checkpoint_path(None), "file name"),
        (lambda: sweep_problems(tmp_path / "file", ["a"]), "is a file: pass the sweep's folder"),
        (lambda: prepare_tensorboard_magic(123), "Pass the folder to show"),
        (lambda: prepare_tensorboard_magic(tmp_path / "file"), "is a file: show its folder"),
    ]


def test_the_last_mix_ups_of_the_audit_each_say_what_to_do(tmp_path):
    for call, match in _lambdas(tmp_path):
        with pytest.raises((TypeError, ValueError, OSError), match=match):
            call()


def test_a_damaged_projector_config_is_reported_not_a_parse_error(tmp_path):
    with SummaryWriter(str(tmp_path)) as writer:
        writer.add_embedding(torch.zeros(3, 2), metadata=["a", "b", "c"])
    (tmp_path / "projector_config.pbtxt").write_text("embeddings {{{ broken")
    assert "DAMAGED projector_config.pbtxt" in summarize(tmp_path)


def test_an_empty_loader_is_refused_before_fit_trains_nothing():
    net = Net()
    with pytest.raises(ValueError, match="no batches to train on"):  # e.g. a filter kept nothing
        fit(net, [], torch.optim.SGD(net.parameters(), 0.1), progress=False)
    subset = torch.utils.data.Subset(torch.utils.data.TensorDataset(torch.zeros(4, 1, 28, 28),
                                                                    torch.arange(4)), [])
    with pytest.raises(ValueError, match="no batches to train on"):
        fit(net, torch.utils.data.DataLoader(subset, batch_size=2),
            torch.optim.SGD(net.parameters(), 0.1), progress=False)


def test_twelve_class_names_for_ten_outputs_are_refused():
    twelve = [*CLASSES, "Hat", "Scarf"]
    with pytest.raises(ValueError, match="10 outputs but 12 class names"):
        plot_classes_preds(Net(), torch.zeros(2, 1, 28, 28), torch.tensor([0, 1]), twelve)


def test_an_image_of_nans_is_refused_not_drawn_blank():
    from helpers.plots import matplotlib_imshow

    image = torch.full((1, 28, 28), float("nan"))
    with pytest.raises(ValueError, match="784 NaN or infinite value"):
        matplotlib_imshow(image, one_channel=True)
    image[0, 0, 0] = 0.0
    with pytest.raises(ValueError, match="783 NaN"):
        matplotlib_imshow(image, one_channel=True)


def test_the_rarer_mix_ups_each_say_what_to_do(tmp_path):
    from torchvision.datasets import FakeData

    from helpers.board import read_scalars
    from helpers.data import load_dataset, select_n_random, to_tensors
    from helpers.distributed import loopback_env, shard
    from helpers.plots import matplotlib_imshow
    from helpers.train import evaluate, predict_probs

    x, y = torch.zeros(4, 1, 28, 28), torch.arange(4)
    net = Net()
    (tmp_path / "file").write_text("")
    (tmp_path / "folder.pt").mkdir()
    mixed = [(torch.zeros(1, 28, 28), 0), (torch.zeros(1, 32, 32), 1)]
    calls = [
        (lambda: select_n_random(x, [0, 1, 2, 3], n=2), "labels must be a tensor"),
        (lambda: evaluate(net, (x, FakeData(4))), "must be a tensor of class numbers, got a dataset"),
        (lambda: to_tensors([]), "The dataset is empty"),
        (lambda: to_tensors(FakeData(2, (1, 28, 28))), "gives Image images, not tensors"),
        (lambda: to_tensors(mixed), "different shapes"),
        (lambda: plot_classes_preds(nn.Sequential(nn.Flatten(), nn.Linear(784, 10)), x[0], [0], CLASSES),
         r"Expected a batch of images \(N, C, H, W\)"),
        (lambda: save_weights(net, tmp_path / "folder.pt"), "is a folder: pass a file name"),
        (lambda: sweep_problems(tmp_path / "missing", ["a"]), "No sweep folder"),
        (lambda: loopback_env(0), "threads_per_process must be a whole number >= 1"),
        (lambda: shard(x[:3], y[:3], rank=0, world_size=2), "cannot be split evenly over 2"),
        (lambda: load_dataset("fashion-mnist", root=tmp_path / "file"), "is a file: pass the folder"),
        (lambda: fit(net, [(x, y)], torch.optim.SGD(net.parameters(), 0.1), writer=SummaryWriter(
            tmp_path / "run"), progress=False), "Pass classes="),
        (lambda: predict_probs(net, []), "No batches to predict"),
        (lambda: read_scalars(tmp_path / "file"), "is a file"),
        (lambda: matplotlib_imshow(torch.zeros(2, 3, 28, 28)), "one image of shape"),
    ]
    for call, match in calls:
        with pytest.raises((TypeError, ValueError, OSError), match=match):
            call()
