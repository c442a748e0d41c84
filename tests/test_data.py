"""helpers.data: finding Fashion-MNIST offline and online, loaders, random selection."""

from __future__ import annotations

import gzip
import shutil

import pytest
import torch
from plugins.data_files import idx_bytes
from torchvision.datasets import FakeData

from helpers import data
from helpers._runtime import datafiles
from helpers.data import (
    CLASSES,
    CorruptDataError,
    DataNotFoundError,
    ensure_fashion_mnist,
    load_dataset,
    make_loader,
    make_transform,
    select_n_random,
    to_tensors,
)


def test_ten_class_names_in_label_order():
    assert len(CLASSES) == 10 and CLASSES[0] == "T-shirt/top" and CLASSES[9] == "Ankle Boot"


def test_transform_scales_pixels_to_minus_one_one():
    from PIL import Image

    black, white = Image.new("L", (28, 28), 0), Image.new("L", (28, 28), 255)
    assert data.make_transform(1)(black).min() == -1 and data.make_transform(1)(white).max() == 1
    assert make_transform(3)(Image.new("RGB", (32, 32))).shape == (3, 32, 32)
    with pytest.raises(ValueError, match="channels must be 1"):
        make_transform(2)


def test_real_fashion_mnist_loads_offline(tmp_path, monkeypatch, offline, real_copy):
    monkeypatch.setenv(datafiles.LOCAL_COPY_ENV, str(real_copy))
    train = load_dataset("fashion-mnist", train=True, root=tmp_path, download=False)[0]
    test = load_dataset("fashion-mnist", train=False, root=tmp_path)[0]
    assert (len(train), len(test)) == (60_000, 10_000)
    image, label = train[0]
    assert image.shape == (1, 28, 28) and -1 <= image.min() < image.max() <= 1
    assert CLASSES[label] == "Ankle Boot"  # the first training image of Fashion-MNIST
    assert torch.bincount(torch.as_tensor(test.targets)).tolist() == [1000] * 10


def test_unpacked_files_are_used_without_any_copy(tmp_path, no_local_copy, offline):
    raw = tmp_path / "FashionMNIST" / "raw"
    raw.mkdir(parents=True)
    for name in datafiles.RAW_FILES:
        (raw / name).write_bytes(idx_bytes(name))
    assert len(load_dataset("fashion-mnist", train=False, root=tmp_path)[0]) == 10_000


def test_local_copy_from_environment_variable_is_unpacked(tmp_path, monkeypatch, fake_gz_copy, offline):
    monkeypatch.setenv(datafiles.LOCAL_COPY_ENV, str(fake_gz_copy))
    assert ensure_fashion_mnist(tmp_path) == tmp_path
    for name, (_, size) in datafiles.RAW_FILES.items():
        assert (tmp_path / "FashionMNIST" / "raw" / name).stat().st_size == size
    assert not list((tmp_path / "FashionMNIST" / "raw").glob(".*partial"))


def test_offline_without_any_copy_gives_one_clear_error(tmp_path, no_local_copy, offline):
    with pytest.raises(DataNotFoundError) as info:
        load_dataset("fashion-mnist", root=tmp_path)[0]
    message = str(info.value)
    for name in datafiles.RAW_FILES:
        assert name in message
    assert "FASHION_MNIST_DIR" in message and "dataset-fashion-mnist" in message
    assert "download" in message and "internet" in message
    assert info.value.__cause__ is None and info.value.__suppress_context__  # no urllib traceback


def test_download_false_never_touches_the_network(tmp_path, no_local_copy):
    with pytest.raises(DataNotFoundError, match="download=False"):
        ensure_fashion_mnist(tmp_path, download=False)


@pytest.mark.parametrize("damage", ["truncated", "wrong magic"])
def test_damaged_unpacked_file_is_named_not_used(tmp_path, no_local_copy, offline, damage):
    raw = tmp_path / "FashionMNIST" / "raw"
    raw.mkdir(parents=True)
    for name in datafiles.RAW_FILES:
        (raw / name).write_bytes(idx_bytes(name))
    bad = raw / "t10k-images-idx3-ubyte"
    content = idx_bytes(bad.name)
    bad.write_bytes(content[:1000] if damage == "truncated" else b"\x00\x00\x08\x99" + content[4:])
    with pytest.raises(CorruptDataError, match="t10k-images-idx3-ubyte") as info:
        load_dataset("fashion-mnist", train=False, root=tmp_path)[0]
    assert "Delete it" in str(info.value)


def test_truncated_gz_in_local_copy_is_named(tmp_path, monkeypatch, fake_gz_copy, offline):
    copy = tmp_path / "copy"
    shutil.copytree(fake_gz_copy, copy)
    gz = copy / "train-labels-idx1-ubyte.gz"
    gz.write_bytes(gz.read_bytes()[:40])  # cut mid-stream
    monkeypatch.setenv(datafiles.LOCAL_COPY_ENV, str(copy))
    with pytest.raises(CorruptDataError, match="train-labels-idx1-ubyte.gz") as info:
        ensure_fashion_mnist(tmp_path / "root")
    assert "--reinstall dataset-fashion-mnist" in str(info.value)
    assert not (tmp_path / "root" / "FashionMNIST" / "raw" / "train-labels-idx1-ubyte").exists()


def test_short_file_inside_a_good_gz_is_named(tmp_path, monkeypatch, fake_gz_copy, offline):
    copy = tmp_path / "copy"
    shutil.copytree(fake_gz_copy, copy)
    with gzip.open(copy / "t10k-labels-idx1-ubyte.gz", "wb") as f:
        f.write(idx_bytes("t10k-labels-idx1-ubyte", count=9_000))
    monkeypatch.setenv(datafiles.LOCAL_COPY_ENV, str(copy))
    with pytest.raises(CorruptDataError, match="t10k-labels-idx1-ubyte.gz.*truncated"):
        ensure_fashion_mnist(tmp_path / "root")


def test_data_root_defaults_to_the_course_folder_wherever_python_runs(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("COURSE_DIR")  # the test session's scratch course
    root = datafiles.default_data_root()
    assert root.name == "data" and (root.parent / "helpers" / "__init__.py").exists()
    monkeypatch.setenv("COURSE_DIR", str(tmp_path))
    assert datafiles.default_data_root() == tmp_path / "data"


def test_cifar10_offline_gives_a_clear_error(tmp_path, offline):
    with pytest.raises(DataNotFoundError, match="CIFAR-10 .* no offline package"):
        load_dataset("cifar10", root=tmp_path)[0]


def test_unknown_dataset_name_lists_the_choices():
    with pytest.raises(ValueError, match="fashion-mnist"):
        load_dataset("mnist")


@pytest.mark.parametrize("channels,size", [(1, 28), (3, 32)])
def test_to_tensors_of_any_dataset(channels, size):
    fake = FakeData(6, (channels, size, size), num_classes=10, transform=make_transform(channels))
    images, labels = to_tensors(fake)
    assert images.shape == (6, channels, size, size) and labels.dtype == torch.long
    assert torch.allclose(images[2], fake[2][0])


def test_to_tensors_fast_path_matches_the_transform(fake_gz_copy, tmp_path, monkeypatch, offline):
    raw = tmp_path / "FashionMNIST" / "raw"
    raw.mkdir(parents=True)
    for name in datafiles.RAW_FILES:
        content = bytearray(idx_bytes(name))
        if name == "t10k-images-idx3-ubyte":
            content[16:16 + 784] = bytes(range(256)) * 3 + bytes(16)
        (raw / name).write_bytes(bytes(content))
    monkeypatch.setenv(datafiles.LOCAL_COPY_ENV, str(tmp_path / "none"))
    test = load_dataset("fashion-mnist", train=False, root=tmp_path)[0]
    images, labels = to_tensors(test)
    assert images.shape == (10_000, 1, 28, 28)
    assert torch.allclose(images[0], test[0][0]) and images[0].min() == -1 and images[0].max() == 1


def test_cifar10_fast_path_is_three_channel():
    from torchvision import datasets

    fake = datasets.CIFAR10.__new__(datasets.CIFAR10)
    fake.data = torch.randint(0, 256, (5, 32, 32, 3), dtype=torch.uint8).numpy()
    fake.targets = [0, 1, 2, 3, 4]
    fake.transform, fake.target_transform = make_transform(3), None  # the tutorial's
    images, labels = to_tensors(fake)
    assert images.shape == (5, 3, 32, 32)
    expected = torch.as_tensor(fake.data[1]).permute(2, 0, 1).float() / 255 * 2 - 1
    assert torch.allclose(images[1], expected, atol=1e-6)


def test_loader_from_tensors_is_seeded_and_covers_everything():
    x, y = torch.arange(10).float().view(10, 1, 1, 1), torch.arange(10)
    first = [b[1].tolist() for b in make_loader((x, y), batch_size=4, seed=1)]
    again = [b[1].tolist() for b in make_loader((x, y), batch_size=4, seed=1)]
    other = [b[1].tolist() for b in make_loader((x, y), batch_size=4, seed=2)]
    assert first == again != other
    assert [len(b) for b in first] == [4, 4, 2]
    assert sorted(sum(first, [])) == list(range(10))
    in_order = [b[1].tolist() for b in make_loader((x, y), batch_size=3, shuffle=False)]
    assert in_order == [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9]]


def test_loader_from_dataset_batches_images():
    fake = FakeData(7, (1, 28, 28), transform=make_transform(1))
    batches = list(make_loader(fake, batch_size=1))
    assert len(batches) == 7 and batches[0][0].shape == (1, 1, 28, 28)


@pytest.mark.parametrize("kwargs", [{"batch_size": 0}, {"batch_size": 2.5}, {"num_workers": -1}])
def test_loader_rejects_bad_settings(kwargs):
    with pytest.raises(ValueError, match="must be a whole number"):
        make_loader((torch.zeros(2, 1), torch.zeros(2)), **kwargs)


def test_loader_rejects_mismatched_tensors():
    with pytest.raises(ValueError, match="3 images but 2 labels"):
        make_loader((torch.zeros(3, 1), torch.zeros(2)))


def test_select_n_random_is_seeded_and_keeps_pairs():
    x, y = torch.arange(50).float().view(50, 1), torch.arange(50)
    a_x, a_y = select_n_random(x, y, n=5, seed=3)
    b_x, b_y = select_n_random(x, y, n=5, seed=3)
    assert torch.equal(a_y, b_y) and torch.equal(a_x.view(-1).long(), a_y)
    assert len(set(a_y.tolist())) == 5
    assert len(select_n_random(x, y, n=50)[1]) == 50


@pytest.mark.parametrize("n,error,match", [
    (51, ValueError, "between 1 and the number of images \\(50\\)"),
    (0, ValueError, "between 1"),
    (2.5, TypeError, "whole number"),
    (True, TypeError, "whole number"),
])
def test_select_n_random_validates_n(n, error, match):
    with pytest.raises(error, match=match):
        select_n_random(torch.zeros(50, 1), torch.zeros(50), n=n)


def test_select_n_random_rejects_mismatched_lengths():
    with pytest.raises(ValueError, match="50 images but 49 labels"):
        select_n_random(torch.zeros(50, 1), torch.zeros(49), n=3)


@pytest.mark.parametrize("train", [False, True])
def test_load_tensors_reads_the_files_as_torchvision_and_the_tutorials_transform_do(train):
    from helpers.data import load_tensors, to_tensors

    (images, labels), classes = load_tensors("fashion-mnist", train=train)
    expected_images, expected_labels = to_tensors(load_dataset("fashion-mnist", train=train)[0])
    assert torch.equal(images, expected_images) and torch.equal(labels, expected_labels)
    assert classes == CLASSES and images.dtype == torch.float32 and labels.dtype == torch.long
    with pytest.raises(TypeError, match="train must be True .*or False"):
        load_tensors("fashion-mnist", train="test")


def test_the_chapters_helpers_load_without_torchvision():
    # torchvision's import pulls in torch._dynamo (about a second): only chapters that use
    # it (01's make_grid, CIFAR-10) should pay for it
    import subprocess
    import sys

    code = ("import sys, helpers.board, helpers.compare, helpers.data, helpers.debugging, "
            "helpers.distributed, helpers.embedding, helpers.exercises, helpers.inline, "
            "helpers.plots, helpers.train; helpers.data.load_tensors('fashion-mnist', train=False); "
            "print('torchvision' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False", out.stderr
