"""Datasets, transforms and loaders for the course.

Fashion-MNIST's files come from this machine when a copy exists (see
`helpers._runtime.datafiles`), so the chapters load it offline.

>>> (images, labels), classes = load_tensors("fashion-mnist", train=False)  # doctest: +SKIP
>>> tuple(images.shape), classes[labels[0]]  # doctest: +SKIP
((10000, 1, 28, 28), 'Ankle Boot')
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import torch
from torch.utils.data import (
    BatchSampler,
    DataLoader,
    Dataset,
    RandomSampler,
    SequentialSampler,
    TensorDataset,
)

from helpers._runtime.checks import (
    check_channels,
    check_dataset_items,
    check_loader_inputs,
    check_selection,
    check_split,
    check_transform,
)
from helpers._runtime.datafiles import (
    CIFAR10_CLASSES,
    CLASSES,
    CorruptDataError,
    DataNotFoundError,
    ensure_fashion_mnist,
    load_cifar10_files,
    normalise_pixels,
    raw_dir,
)
from helpers._runtime.threads import SharingLoader

if TYPE_CHECKING:  # torchvision is imported where it is used: chapters without it start faster
    from torchvision import transforms

Data = tuple[torch.Tensor, torch.Tensor]
"""Images and their labels, in memory: what `load_tensors` gives and `make_loader` takes."""

__all__ = ["CIFAR10_CLASSES", "CLASSES", "CorruptDataError", "Data", "DataNotFoundError",
           "IMAGE_SHAPES", "check_channels", "check_selection", "ensure_fashion_mnist",
           "load_dataset", "load_tensors", "make_loader", "make_transform", "select_n_random",
           "to_tensors"]


def make_transform(channels=1):
    """The tutorial's transform: to a tensor, then scale pixels from [0, 1] to [-1, 1].

    Taught in chapter 01, which defines the same code (tests/test_one_source.py).

    >>> make_transform(1)(__import__("PIL.Image").Image.new("L", (28, 28))).shape
    torch.Size([1, 28, 28])
    """
    from torchvision import transforms  # here, not at the top: importing it takes a second or two

    check_channels(channels)  # 1 or 3, or a clear error
    return transforms.Compose([
        transforms.ToTensor(),  # a PIL image -> a C x H x W tensor of floats in [0, 1]
        transforms.Normalize((0.5,) * channels, (0.5,) * channels),  # (x - 0.5) / 0.5: [-1, 1]
    ])


TUTORIAL = "tutorial"
"""Stands for the tutorial's transform, `make_transform` (``ToTensor`` + ``Normalize``)."""


class _PerDataset(dict):
    """A dict by dataset name that names the choices when asked for another one."""

    def __missing__(self, name):
        raise ValueError(f"Unknown dataset {name!r}; choose one of {tuple(self)}.")


IMAGE_SHAPES: dict[str, tuple[int, int]] = _PerDataset({"fashion-mnist": (1, 28), "cifar10": (3, 32)})
"""(channels, side) of each dataset's images, for ``Net(*IMAGE_SHAPES[DATASET])``."""


def load_dataset(
    name: str,
    train: bool = True,
    root: str | Path | None = None,
    transform: transforms.Compose | str | None = TUTORIAL,
    download: bool = True,
) -> tuple[Dataset, tuple[str, ...]]:
    """The dataset switch of the notebooks, with its class names: torchvision's
    ``FashionMNIST(root, train=train, transform=transform)`` (its files found on this
    machine first), or ``CIFAR10`` (downloaded once); by default with the tutorial's
    transform, `make_transform`.

    >>> data, classes = load_dataset("fashion-mnist", train=False)  # doctest: +SKIP
    >>> len(data), classes[0]  # doctest: +SKIP
    (10000, 'T-shirt/top')
    """
    check_split(train, root)  # True or False, and a folder, or a clear error
    channels, side = IMAGE_SHAPES[name]  # or a clear error naming the datasets
    if transform == TUTORIAL:
        transform = make_transform(channels)
    if transform is not None:
        check_transform(transform, channels, side)  # it makes tensors of these images
    from torchvision import datasets

    if name == "cifar10":
        return load_cifar10_files(root, train, transform, download), CIFAR10_CLASSES
    root = ensure_fashion_mnist(root, download=download)
    return datasets.FashionMNIST(str(root), train=train, transform=transform), CLASSES


def _standard_transform(dataset: Dataset) -> bool:
    """True if the dataset's first image comes out as the tutorial's transform makes it."""
    image = dataset[0][0]
    if not isinstance(image, torch.Tensor) or dataset.target_transform is not None:
        return False
    raw = torch.as_tensor(dataset.data[0])
    raw = raw.unsqueeze(0) if raw.dim() == 2 else raw.permute(2, 0, 1)
    return image.shape == raw.shape and torch.allclose(image, normalise_pixels(raw), atol=1e-5)


def load_tensors(
    name: str, train: bool = True, root: str | Path | None = None, download: bool = True
) -> tuple[tuple[torch.Tensor, torch.Tensor], tuple[str, ...]]:
    """A whole dataset as ``(images, labels)`` tensors, normalised as the tutorial's transform
    does (to [-1, 1], N x C x H x W), with its class names: what `to_tensors` makes of
    `load_dataset`, but Fashion-MNIST is read straight from its four files, without
    loading torchvision.

    >>> (images, labels), classes = load_tensors("fashion-mnist", train=False)  # doctest: +SKIP
    >>> tuple(images.shape), classes[labels[0]]  # doctest: +SKIP
    ((10000, 1, 28, 28), 'Ankle Boot')
    """
    if name != "fashion-mnist":
        dataset, classes = load_dataset(name, train=train, root=root, download=download)
        return to_tensors(dataset), classes
    check_split(train, root)
    raw = raw_dir(ensure_fashion_mnist(root, download=download))
    prefix = "train" if train else "t10k"
    pixels = (raw / f"{prefix}-images-idx3-ubyte").read_bytes()[16:]
    labels = (raw / f"{prefix}-labels-idx1-ubyte").read_bytes()[8:]
    images = normalise_pixels(torch.frombuffer(bytearray(pixels), dtype=torch.uint8).view(-1, 1, 28, 28))
    return (images, torch.frombuffer(bytearray(labels), dtype=torch.uint8).long()), CLASSES


def to_tensors(dataset: Dataset) -> tuple[torch.Tensor, torch.Tensor]:
    """All images (normalised to [-1, 1], shape N x C x H x W) and labels as two tensors.

    Fashion-MNIST and CIFAR-10 with the tutorial's transform are converted in one
    vectorised step from their raw arrays, so a whole epoch then runs from memory; other
    datasets and transforms are applied item by item.

    >>> from torchvision.datasets import FakeData
    >>> x, y = to_tensors(FakeData(5, (1, 28, 28), transform=make_transform(1)))
    >>> tuple(x.shape), tuple(y.shape)
    ((5, 1, 28, 28), (5,))
    """
    vision = sys.modules.get("torchvision.datasets")  # loaded already if dataset is one of them
    if vision and isinstance(dataset, (vision.MNIST, vision.CIFAR10)) and _standard_transform(dataset):
        images = torch.as_tensor(dataset.data)
        images = images.unsqueeze(1) if images.dim() == 3 else images.permute(0, 3, 1, 2)
        images = normalise_pixels(images).contiguous()
        return images, torch.as_tensor(dataset.targets, dtype=torch.long)
    check_dataset_items(dataset)  # a non-empty dataset, not tensors already
    items = [dataset[i] for i in range(len(dataset))]
    check_dataset_items(dataset, items)  # tensors of one shape
    images = torch.stack([torch.as_tensor(image) for image, _ in items])
    return images, torch.as_tensor([int(label) for _, label in items], dtype=torch.long)


def make_loader(
    data: Dataset | tuple[torch.Tensor, torch.Tensor],
    batch_size: int = 32,
    shuffle: bool = True,
    seed: int = 0,
    num_workers: int = 0,
) -> DataLoader:
    """A `DataLoader` with seeded shuffling that trains well on a busy CPU too.

    Pass ``(images, labels)`` tensors (see `to_tensors`) for the fast path: whole
    batches are sliced from memory, no per-image Python work. Pass a dataset for the
    tutorial's classic per-image loading. ``num_workers=0`` is the safe default in
    notebooks; the same seed always gives the same order. While other programs keep the
    CPU busy, torch trains with fewer threads (see `helpers._runtime.threads`).

    >>> x, y = torch.zeros(10, 1, 28, 28), torch.arange(10)
    >>> [len(b[1]) for b in make_loader((x, y), batch_size=4)]
    [4, 4, 2]
    """
    check_loader_inputs(data, batch_size, seed, num_workers)  # a clear message for wrong input
    generator = torch.Generator().manual_seed(seed)
    if isinstance(data, list | tuple):
        images, labels = (torch.as_tensor(t) for t in data)  # numpy arrays and lists too
        dataset = TensorDataset(images, labels)
        sampler = RandomSampler(dataset, generator=generator) if shuffle else SequentialSampler(dataset)
        return SharingLoader(
            dataset,
            sampler=BatchSampler(sampler, batch_size=batch_size, drop_last=False),
            batch_size=None,
            num_workers=num_workers,
        )
    return SharingLoader(
        data, batch_size=batch_size, shuffle=shuffle, generator=generator, num_workers=num_workers
    )


def select_n_random(data, labels, n=100, seed=0):
    """``n`` random images and their labels, the same ones for the same seed.

    Taught in chapter 03, which defines the same code (tests/test_one_source.py).

    >>> x, y = select_n_random(torch.zeros(50, 1, 28, 28), torch.arange(50), n=3)
    >>> tuple(x.shape), y.tolist()
    ((3, 1, 28, 28), [44, 39, 7])
    """
    check_selection(data, labels, n, seed)  # tensors of one length, 1 <= n <= len(data)
    perm = torch.randperm(len(data), generator=torch.Generator().manual_seed(seed))
    return data[perm[:n]], labels[perm[:n]]  # pick n, rather than shuffling all the images first
