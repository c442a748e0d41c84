"""Fashion-MNIST's four files, found on this machine before any download, and checked.

Looked for in this order, so the data loads offline when a copy exists:

1. the four unpacked ``*-ubyte`` files under ``<root>/FashionMNIST/raw/``;
2. the original ``*.gz`` files in ``$FASHION_MNIST_DIR`` or, if that is not set,
   ``/usr/share/datasets/fashion-mnist`` (Debian package ``dataset-fashion-mnist``),
   unpacked into the data root;
3. torchvision's download.

No torch until a download is needed: the tooling (``make data``) imports this module too.
"""

from __future__ import annotations

import contextlib
import gzip
import io
import os
import shutil
import struct
from pathlib import Path

from helpers.paths import course_dir

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


def default_data_root() -> Path:
    """``data/`` at the course's root, wherever the notebook runs from.

    >>> default_data_root().name
    'data'"""
    return course_dir() / "data"


def check_idx_file(path: Path, magic: int, size: int) -> None:
    """Raise `CorruptDataError` naming ``path`` if its size or IDX magic number is wrong."""
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


def raw_dir(root: Path) -> Path:
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
    """Where the original ``.gz`` files are looked for: ``$FASHION_MNIST_DIR`` or Debian's copy."""
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
        f"  1. unpacked in {raw_dir(root)}/, or\n"
        f"  2. as .gz files in ${LOCAL_COPY_ENV} (now: {source}); on Debian/Ubuntu: "
        f"sudo apt-get install {APT_PACKAGE}, or\n"
        "  3. downloaded by torchvision: connect to the internet and run this cell again."
    )


def ensure_fashion_mnist(root: str | Path | None = None, download: bool = True) -> Path:
    """Make the four unpacked Fashion-MNIST files ready under ``root``; return the root."""
    root = Path(root) if root is not None else default_data_root()
    raw = raw_dir(root)
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


def normalise_pixels(pixels):
    """Raw 0..255 pixels (a uint8 tensor) as floats in [-1, 1], as the tutorial's transform
    makes them.

    >>> import torch
    >>> normalise_pixels(torch.tensor([0, 255], dtype=torch.uint8)).tolist()
    [-1.0, 1.0]"""
    return pixels.float().div_(255).sub_(0.5).div_(0.5)


def load_cifar10_files(root, train: bool, transform, download: bool):
    """torchvision's CIFAR-10 in ``root`` (default: ``data/``), downloaded once, or a clear
    `DataNotFoundError`: it has no offline package."""
    from torchvision import datasets

    root = Path(root) if root is not None else default_data_root()
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            return datasets.CIFAR10(str(root), train=train, transform=transform, download=download)
    except (OSError, RuntimeError) as err:
        raise DataNotFoundError(
            f"CIFAR-10 is not in {root}/ and could not be downloaded ({err}). It has no offline "
            "package: connect to the internet once, or use DATASET = 'fashion-mnist'.") from None
