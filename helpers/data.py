"""Datasets, transforms and loaders for the course.

Fashion-MNIST is found in this order, so it loads offline when a copy exists:

1. the four unpacked ``*-ubyte`` files under ``<root>/FashionMNIST/raw/``;
2. the original ``*.gz`` files in ``$FASHION_MNIST_DIR`` or, if that is not set,
   ``/usr/share/datasets/fashion-mnist`` (Debian package ``dataset-fashion-mnist``),
   unpacked into the data root;
3. torchvision's download.

Example:
    >>> from helpers.data import load_fashion_mnist, CLASSES
    >>> train = load_fashion_mnist(train=True)  # doctest: +SKIP
    >>> len(train), CLASSES[train[0][1]]  # doctest: +SKIP
    (60000, 'Ankle Boot')
"""

from __future__ import annotations

import contextlib
import gzip
import io
import os
import shutil
import struct
import sys
from collections.abc import Sequence
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

from helpers.model import class_indices
from helpers.paths import course_dir
from helpers.threads import adjust_threads

if TYPE_CHECKING:  # torchvision is imported where it is used: chapters without it start faster
    from torchvision import datasets, transforms

CLASSES: tuple[str, ...] = (
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle Boot",
)
"""Fashion-MNIST's ten class names, in label order (the tutorial's spelling)."""

CIFAR10_CLASSES: tuple[str, ...] = (
    "plane", "car", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck",
)
"""CIFAR-10's ten class names, in label order (the tutorial's spelling)."""

LOCAL_COPY_ENV = "FASHION_MNIST_DIR"
DEBIAN_COPY = Path("/usr/share/datasets/fashion-mnist")
APT_PACKAGE = "dataset-fashion-mnist"

# name -> (IDX magic number, expected size in bytes)
RAW_FILES: dict[str, tuple[int, int]] = {
    "train-images-idx3-ubyte": (2051, 16 + 60_000 * 28 * 28),
    "train-labels-idx1-ubyte": (2049, 8 + 60_000),
    "t10k-images-idx3-ubyte": (2051, 16 + 10_000 * 28 * 28),
    "t10k-labels-idx1-ubyte": (2049, 8 + 10_000),
}


class DataNotFoundError(RuntimeError):
    """Fashion-MNIST could be found neither locally nor downloaded."""


class CorruptDataError(RuntimeError):
    """A data file exists but is truncated or not an IDX file."""


def check_channels(channels) -> None:
    """Raise a clear `ValueError` unless ``channels`` is 1 (Fashion-MNIST) or 3 (CIFAR-10).

    Example:
        >>> check_channels(2)
        Traceback (most recent call last):
        ...
        ValueError: channels must be 1 (Fashion-MNIST) or 3 (CIFAR-10), got 2
    """
    if channels not in (1, 3) or isinstance(channels, bool):
        raise ValueError(f"channels must be 1 (Fashion-MNIST) or 3 (CIFAR-10), got {channels!r}")


def make_transform(channels=1):
    """The tutorial's transform: to a tensor, then scale pixels from [0, 1] to [-1, 1].

    Taught in chapter 01, which defines the same code (tests/test_one_source.py).

    Example:
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


def check_class_names(classes: Sequence[str], channels: int) -> None:
    """Raise a clear `ValueError` if ``classes`` are the other dataset's names for these images.

    Example:
        >>> check_class_names(CIFAR10_CLASSES, channels=1)  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        ValueError: These are CIFAR-10's class names, but the images have 1 channel(s) ...
    """
    for names, dataset, other, wrong in ((CIFAR10_CLASSES, "CIFAR-10", "Fashion-MNIST", 1),
                                         (CLASSES, "Fashion-MNIST", "CIFAR-10", 3)):
        if tuple(classes) == names and channels == wrong:
            raise ValueError(f"These are {dataset}'s class names, but the images have {channels} "
                             f"channel(s) like {other}'s: pass the classes that "
                             "load_dataset(DATASET) returns with the images.")


def check_transform(transform, channels: int, side: int) -> None:
    """Raise a clear `ValueError` unless ``transform`` turns one of the dataset's images
    (``channels`` x ``side`` x ``side``) into a tensor.

    Example:
        >>> check_transform(make_transform(3), 1, 28)  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        ValueError: The transform does not fit these 1x28x28 images ...
    """
    from PIL import Image

    blank = Image.new("L" if channels == 1 else "RGB", (side, side))
    fix = f"use make_transform({channels})"
    try:
        out = transform(blank)
    except (RuntimeError, ValueError, TypeError) as err:
        raise ValueError(f"The transform does not fit these {channels}x{side}x{side} images "
                         f"({str(err).splitlines()[0]}): {fix}.") from None
    if not isinstance(out, torch.Tensor):
        raise ValueError(f"The transform gives {type(out).__name__} images, not tensors: {fix}, "
                         "which ends with ToTensor and Normalize.")


def default_data_root() -> Path:
    """``data/`` at the course's root, wherever the notebook runs from.

    Example:
        >>> default_data_root().name
        'data'
    """
    return course_dir() / "data"


def check_idx_file(path: Path, magic: int, size: int) -> None:
    """Raise `CorruptDataError` naming ``path`` if its size or IDX magic number is wrong.

    Example:
        >>> labels = Path("data/FashionMNIST/raw/t10k-labels-idx1-ubyte")
        >>> check_idx_file(labels, 2049, 10008)  # doctest: +SKIP
    """
    actual = path.stat().st_size
    with path.open("rb") as f:
        head = f.read(4)
    found = struct.unpack(">i", head)[0] if len(head) == 4 else None
    if found != magic:
        raise CorruptDataError(
            f"{path} is not a Fashion-MNIST IDX file (magic number {found}, expected {magic}). "
            "Delete it so the course can fetch a good copy."
        )
    if actual != size:
        raise CorruptDataError(
            f"{path} is truncated or damaged: {actual:,} bytes, expected {size:,}. "
            "Delete it so the course can fetch a good copy."
        )


def _raw_dir(root: Path) -> Path:
    return root / "FashionMNIST" / "raw"


def _unpacked_ok(raw: Path) -> bool:
    """True if all four files are there and sound; a damaged one is deleted and named."""
    present = [name for name in RAW_FILES if (raw / name).exists()]
    if not present:
        return False
    for name in present:
        magic, size = RAW_FILES[name]
        check_idx_file(raw / name, magic, size)
    return len(present) == len(RAW_FILES)


def local_copy_dir() -> Path:
    """Where the original ``.gz`` files are looked for: ``$FASHION_MNIST_DIR`` or Debian's copy.

    Example:
        >>> str(local_copy_dir())  # doctest: +SKIP
        '/usr/share/datasets/fashion-mnist'
    """
    return Path(os.environ[LOCAL_COPY_ENV]) if os.environ.get(LOCAL_COPY_ENV) else DEBIAN_COPY


def _unpack_local_copy(source: Path, raw: Path) -> bool:
    """Unpack the four ``.gz`` files of ``source`` into ``raw``; False if any is missing."""
    if not all((source / f"{name}.gz").is_file() for name in RAW_FILES):
        return False
    raw.mkdir(parents=True, exist_ok=True)
    for name, (magic, size) in RAW_FILES.items():
        target = raw / name
        if target.exists():
            continue
        partial = raw / f".{name}.partial"
        try:
            with gzip.open(source / f"{name}.gz", "rb") as src, partial.open("wb") as dst:
                shutil.copyfileobj(src, dst, length=1 << 20)
        except (OSError, EOFError) as err:
            partial.unlink(missing_ok=True)
            raise CorruptDataError(
                f"{source / (name + '.gz')} cannot be unpacked ({err}). "
                f"Reinstall the copy (apt-get install --reinstall {APT_PACKAGE}) or unset {LOCAL_COPY_ENV}."
            ) from None
        try:
            check_idx_file(partial, magic, size)
        except CorruptDataError as err:
            partial.unlink()
            raise CorruptDataError(f"{source / (name + '.gz')} holds a damaged file: {err}") from None
        partial.rename(target)
    return True


def _not_found_message(root: Path, source: Path, reason: str) -> str:
    files = "\n".join(f"    {name}" for name in RAW_FILES)
    return (
        "Fashion-MNIST is not available: it is not on this machine and the download failed "
        f"({reason}).\n"
        f"The course looks for the four files\n{files}\n"
        f"  1. unpacked in {_raw_dir(root)}/, or\n"
        f"  2. as .gz files in ${LOCAL_COPY_ENV} (now: {source}); on Debian/Ubuntu: "
        f"sudo apt-get install {APT_PACKAGE}, or\n"
        "  3. downloaded by torchvision: connect to the internet and run this cell again."
    )


def ensure_fashion_mnist(root: str | Path | None = None, download: bool = True) -> Path:
    """Make the four unpacked Fashion-MNIST files ready under ``root``; return the root.

    Example:
        >>> ensure_fashion_mnist()  # doctest: +SKIP
        PosixPath('.../data')
    """
    root = Path(root) if root is not None else default_data_root()
    raw = _raw_dir(root)
    if _unpacked_ok(raw):
        return root
    source = local_copy_dir()
    if _unpack_local_copy(source, raw):
        return root
    if not download:
        raise DataNotFoundError(_not_found_message(root, source, "download=False"))
    try:
        root.mkdir(parents=True, exist_ok=True)
        from torchvision import datasets

        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            for train in (True, False):
                datasets.FashionMNIST(str(root), train=train, download=True)
    except (OSError, RuntimeError) as err:
        reason = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise DataNotFoundError(_not_found_message(root, source, reason)) from None
    if not _unpacked_ok(raw):
        raise DataNotFoundError(_not_found_message(root, source, "the download was incomplete"))
    return root


def load_fashion_mnist(
    train: bool = True,
    root: str | Path | None = None,
    transform: transforms.Compose | str | None = TUTORIAL,
    download: bool = True,
) -> datasets.FashionMNIST:
    """The real Fashion-MNIST training (60,000) or test (10,000) set, offline when possible.

    Example:
        >>> test = load_fashion_mnist(train=False)  # doctest: +SKIP
        >>> test[0][0].shape  # doctest: +SKIP
        torch.Size([1, 28, 28])
    """
    if not isinstance(train, bool):
        raise TypeError(f"train must be True (60,000 training images) or False (10,000 test "
                        f"images), got {train!r}.")
    if transform == TUTORIAL:
        transform = make_transform(1)
    if transform is not None:
        check_transform(transform, 1, 28)
    root = ensure_fashion_mnist(root, download=download)
    from torchvision import datasets

    return datasets.FashionMNIST(str(root), train=train, transform=transform, download=False)


def load_cifar10(
    train: bool = True,
    root: str | Path | None = None,
    download: bool = True,
    transform: transforms.Compose | str | None = TUTORIAL,
) -> datasets.CIFAR10:
    """CIFAR-10 (3x32x32, ten classes), by default with the 3-channel tutorial transform;
    needs a download once.

    Example:
        >>> load_cifar10(train=False)[0][0].shape  # doctest: +SKIP
        torch.Size([3, 32, 32])
    """
    root = Path(root) if root is not None else default_data_root()
    if transform == TUTORIAL:
        transform = make_transform(3)
    if transform is not None:
        check_transform(transform, 3, 32)
    from torchvision import datasets

    try:
        with contextlib.redirect_stdout(io.StringIO()):
            return datasets.CIFAR10(str(root), train=train, transform=transform, download=download)
    except (OSError, RuntimeError) as err:
        raise DataNotFoundError(
            f"CIFAR-10 is not in {root}/ and could not be downloaded ({err}). It has no offline "
            "package: connect to the internet once, or use DATASET = 'fashion-mnist'."
        ) from None


DATASETS = ("fashion-mnist", "cifar10")
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
) -> tuple[Dataset, tuple[str, ...]]:
    """The dataset switch of the notebooks: ``'fashion-mnist'`` or ``'cifar10'``, with class names.

    torchvision's ``FashionMNIST(root, train=train, transform=transform)`` (or ``CIFAR10``),
    its files found on this machine first (`ensure_fashion_mnist`); by default with the
    tutorial's transform, `make_transform`.

    Example:
        >>> data, classes = load_dataset("fashion-mnist", train=False)  # doctest: +SKIP
        >>> len(data), classes[0]  # doctest: +SKIP
        (10000, 'T-shirt/top')
    """
    if not isinstance(train, bool):
        raise TypeError(f"train must be True or False, got {train!r}.")
    if root is not None and Path(root).is_file():
        raise NotADirectoryError(f"root {root} is a file: pass the folder the data goes in.")
    if name == "fashion-mnist":
        return load_fashion_mnist(train=train, root=root, transform=transform), CLASSES
    if name == "cifar10":
        return load_cifar10(train=train, root=root, transform=transform), CIFAR10_CLASSES
    raise ValueError(f"Unknown dataset {name!r}; choose one of {DATASETS}.")


def normalise_pixels(pixels: torch.Tensor) -> torch.Tensor:
    """Raw 0..255 pixels as floats in [-1, 1], as the tutorial's transform makes them.

    Example:
        >>> normalise_pixels(torch.tensor([0, 255], dtype=torch.uint8)).tolist()
        [-1.0, 1.0]
    """
    return pixels.float().div_(255).sub_(0.5).div_(0.5)


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

    Example:
        >>> (images, labels), classes = load_tensors("fashion-mnist", train=False)  # doctest: +SKIP
        >>> tuple(images.shape), classes[labels[0]]  # doctest: +SKIP
        ((10000, 1, 28, 28), 'Ankle Boot')
    """
    if name != "fashion-mnist":
        dataset, classes = load_dataset(name, train=train, root=root)
        return to_tensors(dataset), classes
    if not isinstance(train, bool):
        raise TypeError(f"train must be True or False, got {train!r}.")
    raw = _raw_dir(ensure_fashion_mnist(root, download=download))
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

    Example:
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
    if not hasattr(dataset, "__getitem__") or not hasattr(dataset, "__len__"):
        raise TypeError(f"to_tensors takes a dataset, e.g. load_dataset(DATASET)[0], got "
                        f"{type(dataset).__name__}.")
    if isinstance(dataset, tuple | list) and len(dataset) == 2 \
            and all(isinstance(t, torch.Tensor) for t in dataset):
        raise TypeError("These are already (images, labels) tensors: use them directly.")
    if len(dataset) == 0:
        raise ValueError("The dataset is empty: check how it was loaded or selected.")
    items = [dataset[i] for i in range(len(dataset))]
    if not isinstance(items[0][0], torch.Tensor):
        raise TypeError(f"The dataset gives {type(items[0][0]).__name__} images, not tensors: "
                        "load it with a transform, e.g. transform=make_transform(1).")
    shapes = {tuple(image.shape) for image, _ in items}
    if len(shapes) > 1:
        raise ValueError(f"The images have different shapes {sorted(shapes)[:3]}: resize them to "
                         "one size in the dataset's transform.")
    images = torch.stack([torch.as_tensor(image) for image, _ in items])
    return images, torch.as_tensor([int(label) for _, label in items], dtype=torch.long)


class SharingLoader(DataLoader):
    """A `DataLoader` that fits torch's threads to a busy CPU as it goes (`helpers.threads`)."""

    def __iter__(self):
        for batch in super().__iter__():
            adjust_threads()
            yield batch


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
    CPU busy, torch trains with fewer threads (see `helpers.threads`).

    Example:
        >>> x, y = torch.zeros(10, 1, 28, 28), torch.arange(10)
        >>> [len(b[1]) for b in make_loader((x, y), batch_size=4)]
        [4, 4, 2]
    """
    if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size < 1:
        raise ValueError(f"batch_size must be a whole number >= 1, got {batch_size!r}")
    if not isinstance(num_workers, int) or num_workers < 0:
        raise ValueError(f"num_workers must be a whole number >= 0, got {num_workers!r}")
    if not isinstance(seed, int) or isinstance(seed, bool):
        raise ValueError(f"seed must be a whole number, got {seed!r}")
    generator = torch.Generator().manual_seed(seed)
    if data is None or (isinstance(data, list | tuple) and len(data) != 2):
        raise TypeError("make_loader takes (images, labels) tensors or a dataset, got "
                        + ("None" if data is None else f"a {type(data).__name__} of {len(data)}")
                        + ": e.g. make_loader(to_tensors(dataset)).")
    if isinstance(data, list | tuple):
        images, labels = (torch.as_tensor(t) for t in data)  # numpy arrays and lists too
        if images.dim() < 2 or labels.dim() != 1:
            raise ValueError(f"Pass (images, labels): images of shape (N, ...) and one label per "
                             f"image, got shapes {tuple(images.shape)} and {tuple(labels.shape)}.")
        if len(labels) == 0:
            raise ValueError("(images, labels) are empty: there is nothing to load.")
        if len(images) != len(labels):
            raise ValueError(f"{len(images)} images but {len(labels)} labels: they must match.")
        dataset = TensorDataset(images, labels)
        sampler = RandomSampler(dataset, generator=generator) if shuffle else SequentialSampler(dataset)
        return SharingLoader(
            dataset,
            sampler=BatchSampler(sampler, batch_size=batch_size, drop_last=False),
            batch_size=None,
            num_workers=num_workers,
        )
    if isinstance(data, Dataset) and len(data) and not isinstance(data[0][0], torch.Tensor):
        raise TypeError(f"The dataset gives {type(data[0][0]).__name__} images, not tensors, so "
                        "they cannot be batched: load it with a transform, e.g. "
                        "transform=make_transform(1).")
    return SharingLoader(
        data, batch_size=batch_size, shuffle=shuffle, generator=generator, num_workers=num_workers
    )


def check_selection(data, labels, n, seed) -> None:
    """Raise a clear error unless ``select_n_random`` can pick ``n`` of the ``data`` with
    their ``labels``: tensors of the same length, 1 <= n <= len(data), a whole-number seed.

    Example:
        >>> check_selection(torch.zeros(5, 1, 28, 28), torch.zeros(4), n=2, seed=0)
        Traceback (most recent call last):
        ...
        ValueError: 5 images but 4 labels: they must match.
    """
    if isinstance(data, Dataset):
        raise TypeError("select_n_random takes tensors, not a dataset: use "
                        "images, labels = to_tensors(dataset) first.")
    if isinstance(labels, list | tuple) and labels and isinstance(labels[0], str):
        class_indices(labels)  # names where class numbers belong: says how to convert them
    for name, value in (("data", data), ("labels", labels)):
        if not isinstance(value, torch.Tensor):
            raise TypeError(f"{name} must be a tensor, got a {type(value).__name__}: use "
                            f"torch.as_tensor({name}).")
    if len(data) != len(labels):
        raise ValueError(f"{len(data)} images but {len(labels)} labels: they must match.")
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"n must be a whole number, got {n!r}")
    if not 1 <= n <= len(data):
        raise ValueError(f"n must be between 1 and the number of images ({len(data)}), got {n}.")
    if not isinstance(seed, int) or isinstance(seed, bool):
        raise TypeError(f"seed must be a whole number, got {seed!r}")


def select_n_random(data, labels, n=100, seed=0):
    """``n`` random images and their labels, the same ones for the same seed.

    Taught in chapter 03, which defines the same code (tests/test_one_source.py).

    Example:
        >>> x, y = select_n_random(torch.zeros(50, 1, 28, 28), torch.arange(50), n=3)
        >>> tuple(x.shape), y.tolist()
        ((3, 1, 28, 28), [44, 39, 7])
    """
    check_selection(data, labels, n, seed)  # tensors of one length, 1 <= n <= len(data)
    perm = torch.randperm(len(data), generator=torch.Generator().manual_seed(seed))
    return data[perm[:n]], labels[perm[:n]]  # pick n, rather than shuffling all the images first
