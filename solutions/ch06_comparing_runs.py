"""Chapter 06's exercises, solved."""

import torch

from helpers.board import new_run_dir
from helpers.compare import every_n_steps, loss_and_accuracy, train_setting
from helpers.data import load_dataset, make_loader, select_n_random, to_tensors
from helpers.model import Net
from helpers.train import fit


def _data():
    train = select_n_random(*to_tensors(load_dataset("fashion-mnist", train=True)[0]), n=8000, seed=0)
    test_images, test_labels = to_tensors(load_dataset("fashion-mnist", train=False)[0])
    return train, (test_images[:1000], test_labels[:1000])


def exercise_1() -> None:
    """A fifth setting: add (0.003, 32) to SETTINGS and train the sweep again."""
    train, test = _data()
    sweep = new_run_dir("06_comparing_runs")
    train_setting(sweep, "lr0.003_bs32", 0.003, 32, train, test)


def exercise_2() -> None:
    """loss/train and loss/test as two tags of one run: one chart each, steps aligned."""
    from torch.utils.tensorboard import SummaryWriter

    train, test = _data()
    torch.manual_seed(0)
    net = Net()
    optimizer = torch.optim.Adam(net.parameters(), lr=0.001)
    with SummaryWriter(str(new_run_dir("06_comparing_runs") / "two_tags")) as writer:
        def log(step: int) -> None:
            writer.add_scalar("loss/train", loss_and_accuracy(net, train)[0], step)
            writer.add_scalar("loss/test", loss_and_accuracy(net, test)[0], step)
        handle = every_n_steps(optimizer, 50, log)
        fit(net, make_loader(train, batch_size=32), optimizer, progress=False)
        handle.remove()
