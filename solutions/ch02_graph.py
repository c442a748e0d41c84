"""Chapter 02's exercises, solved."""

import warnings
from datetime import datetime

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.tensorboard import SummaryWriter

from helpers.model import Net
from helpers.paths import course_dir


class NetWithDropout(Net):
    """The tutorial's Net with Dropout(0.2) after fc1."""

    def __init__(self, in_channels=1, image_size=28, num_classes=10):
        super().__init__(in_channels, image_size, num_classes)
        self.dropout = nn.Dropout(0.2)

    def forward(self, x):
        x = self.pool(F.relu(self.conv1(x)))
        x = self.pool(F.relu(self.conv2(x)))
        x = torch.flatten(x, 1)
        x = F.relu(self.fc1(x))
        x = self.dropout(x)
        x = F.relu(self.fc2(x))
        x = self.fc3(x)
        return x


def log_graph(model: nn.Module, batch: torch.Tensor, name: str) -> None:
    """The chapter's add_graph cell, into a new run of this chapter's folder."""
    run_dir = course_dir() / "runs" / "02_graph" / f"{datetime.now():%Y%m%d-%H%M%S}-{name}"
    writer = SummaryWriter(log_dir=run_dir)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*torch.jit.trace", category=FutureWarning)
        writer.add_graph(model, batch)
    writer.close()


def exercise_1() -> None:
    """A Dropout node appears between fc1 and fc2 in the Graphs tab."""
    log_graph(NetWithDropout(), torch.zeros(1, 1, 28, 28), "dropout")


def exercise_2() -> None:
    """Net(3, 32) traced with a CIFAR-10-shaped batch: the edges carry 3x32x32 shapes."""
    log_graph(Net(3, 32), torch.zeros(1, 3, 32, 32), "cifar")
