"""Chapter 06's exercises, solved with the chapter's own code: its data slice, `SETTINGS`,
`RUN_DIR` and `train_setting`, the latter with the optimizer as a setting (exercise 2)."""

import time
from datetime import datetime
from pathlib import Path

import torch
import torch.nn.functional as F
from torch.utils.tensorboard import SummaryWriter
from torch.utils.tensorboard.summary import hparams

from helpers.compare import check_setting, loss_and_accuracy
from helpers.data import IMAGE_SHAPES, load_tensors, make_loader, select_n_random
from helpers.model import Net, pick_device
from helpers.paths import course_dir

DATASET = "fashion-mnist"
DEVICE = pick_device()
SETTINGS = [(0.001, 128), (0.001, 32), (0.01, 128), (0.1, 128)]  # the chapter's four


def data():
    """The chapter's slice: 8,000 training images picked with seed 0, the first 1,000 test images."""
    (train_images, train_labels), _ = load_tensors(DATASET, train=True)
    (test_images, test_labels), _ = load_tensors(DATASET, train=False)
    train_data = select_n_random(train_images.to(DEVICE), train_labels.to(DEVICE), n=8000, seed=0)
    return train_data, (test_images[:1000].to(DEVICE), test_labels[:1000].to(DEVICE))


def new_sweep() -> Path:
    """The chapter's `RUN_DIR` cell: a new sweep folder (a second later if this second's exists)."""
    while True:
        run_dir = course_dir() / "runs" / "06_comparing_runs" / f"{datetime.now():%Y%m%d-%H%M%S}"
        if not run_dir.exists():
            return run_dir
        time.sleep(0.2)


def log_histograms(writer, net, step):
    """A histogram of each layer's weights and, once there are any, of their gradients."""
    for name, param in net.named_parameters():
        if name.endswith(".weight"):  # the biases are left out: a few numbers per layer
            layer = name.removesuffix(".weight")
            for kind, values in (("weights", param), ("gradients", param.grad)):
                if values is not None and values.abs().lt(1e20).all():  # none yet, or diverged
                    writer.add_histogram(f"{kind}/{layer}", values, step)


def train_setting(run_dir, name, lr, batch_size, optimizer="adam", train_test=None,
                  log_every_images=1024):
    """The chapter's `train_setting` with `optimizer` ("adam" or "sgd") as a third setting;
    the sweep folder (`RUN_DIR`) and the data are arguments here, globals in the chapter."""
    train_data, test_data = train_test or data()
    hparam_dict = {"lr": lr, "batch_size": batch_size, "optimizer": optimizer}
    check_setting(run_dir, name, hparam_dict)
    torch.manual_seed(0)
    net = Net(*IMAGE_SHAPES[DATASET]).to(DEVICE)
    if optimizer == "sgd":
        opt = torch.optim.SGD(net.parameters(), lr=lr, momentum=0.9)
    else:
        opt = torch.optim.Adam(net.parameters(), lr=lr)
    loader = make_loader(train_data, batch_size=batch_size, seed=0)
    log_every = max(1, log_every_images // batch_size)

    with SummaryWriter(log_dir=run_dir / name) as writer:
        writer.add_text("notes", f"{optimizer}, lr={lr:g}, batch size {batch_size}, one epoch of "
                        f"{len(train_data[1]):,} training images, tested on {len(test_data[1]):,}.")
        log_histograms(writer, net, 0)
        running_loss, running_correct, running_seen = 0.0, 0, 0
        for step, (images, labels) in enumerate(loader, start=1):
            opt.zero_grad()
            outputs = net(images)
            loss = F.cross_entropy(outputs, labels)
            loss.backward()
            opt.step()

            running_loss += loss.item() * len(labels)
            running_correct += (outputs.argmax(dim=1) == labels).sum().item()
            running_seen += len(labels)
            if step % log_every == 0 or step == len(loader):
                test_loss, test_accuracy = loss_and_accuracy(net, test_data)
                writer.add_scalar("loss/train", running_loss / running_seen, step)
                writer.add_scalar("loss/test", test_loss, step)
                writer.add_scalar("accuracy/train", running_correct / running_seen, step)
                writer.add_scalar("accuracy/test", test_accuracy, step)
                log_histograms(writer, net, step)
                running_loss, running_correct, running_seen = 0.0, 0, 0

        metric_dict = {"accuracy/test": test_accuracy, "loss/test": test_loss}
        for summary in hparams(hparam_dict, metric_dict):
            writer.file_writer.add_summary(summary)
    return metric_dict


def exercise_1(train_test=None) -> None:
    """(0.003, 32) added to SETTINGS, and the sweep run again: a new sweep of five settings."""
    train_test = train_test or data()
    run_dir = new_sweep()
    for lr, batch_size in [*SETTINGS, (0.003, 32)]:
        train_setting(run_dir, f"lr{lr:g}_bs{batch_size}", lr, batch_size, "adam", train_test)


def exercise_2(train_test=None) -> None:
    """The optimizer as a setting of every run of a new sweep: Adam and SGD at lr 0.01, batch 128."""
    train_test = train_test or data()
    run_dir = new_sweep()
    for optimizer in ("adam", "sgd"):
        train_setting(run_dir, f"{optimizer}_lr0.01_bs128", 0.01, 128, optimizer, train_test)
