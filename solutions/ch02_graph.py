"""Chapter 02's exercises, solved."""

import warnings

import torch
from torch import nn

from helpers.board import make_writer
from helpers.model import Net


class NetWithDropout(Net):
    """The tutorial's Net with Dropout(0.2) after fc1."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.dropout = nn.Dropout(0.2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.pool(torch.relu(self.conv1(x)))
        x = self.pool(torch.relu(self.conv2(x)))
        x = self.dropout(torch.relu(self.fc1(torch.flatten(x, 1))))
        return self.fc3(torch.relu(self.fc2(x)))


def exercise_1() -> None:
    """A Dropout node appears between fc1 and fc2 in the Graphs tab."""
    with make_writer("02_graph") as writer, warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # torch.jit.trace's deprecation notice
        writer.add_graph(NetWithDropout(), torch.zeros(1, 1, 28, 28))


def exercise_2() -> None:
    """Net(3, 32) traced with a CIFAR-10-shaped batch: the edges carry 3x32x32 shapes."""
    with make_writer("02_graph") as writer, warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        writer.add_graph(Net(3, 32), torch.zeros(1, 3, 32, 32))
