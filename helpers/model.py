"""The tutorial's small convolutional network, for 1x28x28 and 3x32x32 images.

Example:
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


def check_sizes(in_channels, image_size, num_classes) -> None:
    """Raise a clear error unless `Net` can be built for these sizes: whole numbers >= 1,
    and images of at least 16 x 16 pixels (two 5 x 5 convolutions and two poolings).

    Example:
        >>> check_sizes(1, 12, 10)
        Traceback (most recent call last):
        ...
        ValueError: image_size must be at least 16 for this network, got 12
    """
    for name, value in (("in_channels", in_channels), ("image_size", image_size),
                        ("num_classes", num_classes)):
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise TypeError(f"{name} must be a whole number >= 1, got {value!r}: for a "
                            "dataset's images use Net(*IMAGE_SHAPES[DATASET]).")
    if image_size < 16:
        raise ValueError(f"image_size must be at least 16 for this network, got {image_size}")


def check_input(net: nn.Module, x: torch.Tensor) -> None:
    """Raise a clear `ValueError` unless ``x`` is a batch ``net`` was built for: shape
    ``(N, *net.input_shape)`` and the dtype of its weights. Skipped while ``add_graph``
    traces the model, which records every operation, checks included.

    Example:
        >>> check_input(Net(), torch.zeros(2, 1, 28, 28, dtype=torch.float64))  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        ValueError: The images are torch.float64 but the model is torch.float32: ...
    """
    if torch.jit.is_tracing():
        return
    check_batch(x, net.input_shape)
    dtype = next(net.parameters()).dtype
    if x.dtype != dtype:
        raise ValueError(f"The images are {x.dtype} but the model is {dtype}: convert them with "
                         f"images.to({dtype}) (numpy makes float64 by default).")


class Net(nn.Module):
    """Two conv layers and three linear layers, as in the PyTorch TensorBoard tutorial.

    The size of the flattened features is derived from ``image_size`` (16*4*4 for
    Fashion-MNIST, 16*5*5 for CIFAR-10), so the same class serves both datasets. Taught in
    chapter 02, which defines the same code (tests/test_one_source.py).

    Example:
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


def check_batch(images: torch.Tensor, shape: tuple[int, int, int]) -> None:
    """Raise a clear `ValueError` unless ``images`` is a batch of shape ``(N, *shape)``, N >= 1.

    Example:
        >>> check_batch(torch.zeros(1, 28, 28), (1, 28, 28))  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        ValueError: Expected a batch of images of shape (N, 1, 28, 28), got (1, 28, 28). ...
    """
    if not isinstance(images, torch.Tensor):
        raise TypeError(f"Expected a batch of images as a tensor, got a {type(images).__name__}: "
                        "use torch.stack(list_of_images), or torch.as_tensor(array).")
    if not images.dtype.is_floating_point:
        raise ValueError(f"Expected float images, got {images.dtype} (raw pixels?): convert the "
                         "dataset with to_tensors(dataset), or use its transform.")
    got = tuple(images.shape)
    if len(got) == 4 and got[1:] == tuple(shape) and got[0] >= 1:
        return
    hint = ""
    if got == tuple(shape) or got == tuple(shape[1:]):
        hint = " A single image needs a batch dimension: image.unsqueeze(0)."
        if len(got) == 2:
            hint = " A single image needs channel and batch dimensions: image[None, None]."
    elif len(got) == 4 and got[-1] == shape[0] and got[1:3] == tuple(shape[1:]):
        hint = " The channels come last: move them with images.permute(0, 3, 1, 2)."
    elif len(got) == 4 and got[1] != shape[0]:
        hint = (f" The images have {got[1]} channel(s) but the model expects {shape[0]}:"
                " build it with Net(in_channels=..., image_size=...) to match the dataset.")
    elif len(got) == 4 and got[0] == 0:
        hint = " The batch is empty: check the slice or loader that made it."
    elif len(got) == 4 and got[1] == shape[0]:
        hint = (f" The images are {got[2]}x{got[3]} but the model expects {shape[1]}x{shape[2]}:"
                " build it with Net(*IMAGE_SHAPES[DATASET]) for the dataset you load.")
    raise ValueError(f"Expected a batch of images of shape (N, {', '.join(map(str, shape))}), "
                     f"got {got}.{hint}")


def class_indices(labels, what: str = "labels") -> torch.Tensor:
    """``labels`` as a 1-D long tensor of class numbers, or a clear error saying how to get one.

    Example:
        >>> class_indices([0, 3]).tolist()
        [0, 3]
        >>> class_indices(["Coat"])  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        ValueError: labels must be class numbers (0, 1, ...), got names such as 'Coat': ...
    """
    if isinstance(labels, torch.utils.data.Dataset):
        raise TypeError(f"{what} must be a tensor of class numbers, got a dataset: use "
                        "images, labels = to_tensors(dataset).")
    if isinstance(labels, list | tuple) and labels and isinstance(labels[0], str):
        raise ValueError(f"{what} must be class numbers (0, 1, ...), got names such as "
                         f"{labels[0]!r}: use classes.index(name) for each name.")
    labels = torch.as_tensor(labels)
    if labels.dtype.is_floating_point or labels.dtype == torch.bool:
        whole = labels.dtype != torch.bool and bool((labels == labels.round()).all())
        raise ValueError(f"{what} must be whole class numbers, got {labels.dtype}: "
                         + ("use labels.long()." if whole and labels.dim() == 1 else
                            "for one-hot rows use labels.argmax(dim=1)." if labels.dim() == 2 else
                            "use class numbers, e.g. labels.long() for True/False as 1/0."
                            if labels.dtype == torch.bool else "round them to class numbers first."))
    if labels.dim() == 2:
        raise ValueError(f"{what} must be one class number per image, got shape "
                         f"{tuple(labels.shape)}: for one-hot rows use labels.argmax(dim=1).")
    return labels.long().reshape(-1)


def device_of(net: nn.Module) -> torch.device:
    """The device the model's parameters live on.

    Example:
        >>> device_of(Net())
        device(type='cpu')
    """
    return next(net.parameters()).device


@contextmanager
def evaluating(net: nn.Module) -> Iterator[nn.Module]:
    """Run ``net`` in eval mode without gradients, then restore the mode it had.

    Example:
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

    Example:
        >>> pick_device().type in {"cuda", "mps", "cpu"}
        True
    """
    if torch.cuda.is_available():
        return torch.device("cuda")
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")
