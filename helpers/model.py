"""The tutorial's small convolutional network, for 1x28x28 and 3x32x32 images.

>>> import torch
>>> Net()(torch.zeros(2, 1, 28, 28)).shape
torch.Size([2, 10])
>>> Net(in_channels=3, image_size=32)(torch.zeros(1, 3, 32, 32)).shape
torch.Size([1, 10])
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import torch
import torch.nn.functional as F
from torch import nn

from helpers._runtime.checks import check_input, check_sizes

__all__ = ["Net", "check_input", "check_sizes", "device_of", "evaluating", "pick_device"]


class Net(nn.Module):
    """Two conv layers and three linear layers, as in the PyTorch TensorBoard tutorial.

    The size of the flattened features is derived from ``image_size`` (16*4*4 for
    Fashion-MNIST, 16*5*5 for CIFAR-10), so the same class serves both datasets. Taught in
    chapter 02, which defines the same code (tests/test_one_source.py).

    >>> net = Net()
    >>> sum(p.numel() for p in net.parameters())
    44426
    """

    def __init__(self, in_channels=1, image_size=28, num_classes=10):
        super().__init__()
        check_sizes(in_channels, image_size, num_classes)  # whole numbers, images >= 16x16
        self.input_shape = (in_channels, image_size, image_size)
        self.conv1 = nn.Conv2d(in_channels, 6, 5)
        self.pool = nn.MaxPool2d(2, 2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        side = ((image_size - 4) // 2 - 4) // 2  # conv 5x5, pool 2, conv 5x5, pool 2: 28 -> 4
        self.fc1 = nn.Linear(16 * side * side, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, num_classes)

    def forward(self, x):
        check_input(self, x)  # a batch N x C x H x W as built for, or a clear error
        x = self.pool(F.relu(self.conv1(x)))
        x = self.pool(F.relu(self.conv2(x)))
        x = torch.flatten(x, 1)  # the tutorial's x.view(-1, 16 * 4 * 4), for any batch and size
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        x = self.fc3(x)
        return x


def device_of(net: nn.Module) -> torch.device:
    """The device the model's parameters live on.

    >>> device_of(Net())
    device(type='cpu')
    """
    return next(net.parameters()).device


@contextmanager
def evaluating(net: nn.Module) -> Iterator[nn.Module]:
    """Run ``net`` in eval mode without gradients, then restore the mode it had.

    >>> net = Net().train()
    >>> with evaluating(net):
    ...     net.training
    False
    >>> net.training
    True
    """
    was_training = net.training
    net.eval()
    try:
        with torch.no_grad():
            yield net
    finally:
        net.train(was_training)


def pick_device() -> torch.device:
    """The GPU when there is one, else the CPU.

    >>> pick_device().type in {"cuda", "mps", "cpu"}
    True
    """
    if torch.cuda.is_available():
        return torch.device("cuda")
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")
