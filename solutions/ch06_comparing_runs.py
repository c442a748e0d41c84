"""Chapter 06's exercises, solved."""

import torch

from helpers.board import new_run_dir, runs_root
from helpers.compare import every_n_steps, loss_and_accuracy, train_setting
from helpers.data import load_tensors, make_loader, select_n_random
from helpers.model import Net
from helpers.train import fit


def _data():
    train = select_n_random(*load_tensors("fashion-mnist", train=True)[0], n=8000, seed=0)
    test_images, test_labels = load_tensors("fashion-mnist", train=False)[0]
    return train, (test_images[:1000], test_labels[:1000])


def exercise_1() -> None:
    """A fifth setting, (0.003, 32), trained into the chapter's newest sweep (RUN_DIR), so the
    ranking and the HParams views compare it with the other four."""
    train, test = _data()
    sweeps = sorted((runs_root() / "06_comparing_runs").glob("2*"))  # <date>-<time> folders
    sweep = sweeps[-1] if sweeps else new_run_dir("06_comparing_runs")
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
