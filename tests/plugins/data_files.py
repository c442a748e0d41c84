"""Fashion-MNIST's files for the data tests: synthetic IDX files of the real sizes, the real
copy, no local copy, and a network where every download is refused."""

from __future__ import annotations

import gzip
import os
import struct
from pathlib import Path

import pytest

from helpers._runtime.datafiles import DEBIAN_COPY, LOCAL_COPY_ENV, RAW_FILES
from helpers._runtime.servers import free_port


def idx_bytes(name: str, count: int | None = None) -> bytes:
    """A valid, all-zero IDX file of the real Fashion-MNIST size for ``name``.

    Example:
        >>> len(idx_bytes("t10k-labels-idx1-ubyte")) == RAW_FILES["t10k-labels-idx1-ubyte"][1]
        True
    """
    magic, size = RAW_FILES[name]
    n = count if count is not None else (60_000 if name.startswith("train") else 10_000)
    if magic == 2051:
        return struct.pack(">iiii", magic, n, 28, 28) + bytes(n * 28 * 28)
    return struct.pack(">ii", magic, n) + bytes(n)


@pytest.fixture(scope="session")
def fake_gz_copy(tmp_path_factory) -> Path:
    """A folder with four valid (all-zero) ``.gz`` files, like Debian's copy."""
    folder = tmp_path_factory.mktemp("fake-copy")
    for name in RAW_FILES:
        with gzip.open(folder / f"{name}.gz", "wb", compresslevel=1) as f:
            f.write(idx_bytes(name))
    return folder


@pytest.fixture
def offline(monkeypatch):
    """torchvision's download points at a local port where nothing listens: a real refusal."""
    from torchvision import datasets

    port = free_port()
    monkeypatch.setattr(datasets.FashionMNIST, "mirrors", [f"http://127.0.0.1:{port}/"])
    monkeypatch.setattr(datasets.CIFAR10, "url", f"http://127.0.0.1:{port}/cifar-10-python.tar.gz")


@pytest.fixture
def no_local_copy(monkeypatch, tmp_path):
    """``$FASHION_MNIST_DIR`` points at an empty folder."""
    empty = tmp_path / "no-copy"
    empty.mkdir()
    monkeypatch.setenv(LOCAL_COPY_ENV, str(empty))
    return empty


@pytest.fixture(scope="session")
def real_copy() -> Path:
    """The real Fashion-MNIST ``.gz`` files: ``$FASHION_MNIST_DIR`` or Debian's package."""
    folder = Path(os.environ.get(LOCAL_COPY_ENV) or DEBIAN_COPY)
    if not all((folder / f"{n}.gz").exists() for n in RAW_FILES):
        pytest.fail(
            f"The real Fashion-MNIST is not in {folder}: install it with "
            "`apt-get install dataset-fashion-mnist` or set FASHION_MNIST_DIR."
        )
    return folder
