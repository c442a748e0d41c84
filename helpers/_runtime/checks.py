"""The input checks behind the public helpers: each raises a clear error that says what was
wrong and what to do, so no library's traceback reaches the learner. Every message is
asserted by a test (tests/test_bad_inputs.py and each helper's own tests), so the checks
carry short docstrings without examples.

>>> check_folder_to_show("no/such/folder")  # doctest: +ELLIPSIS
Traceback (most recent call last):
FileNotFoundError: No folder no/such/folder to show in TensorBoard: run the cells ...
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.utils.data import Dataset

from helpers._runtime.datafiles import CIFAR10_CLASSES, CLASSES, normalise_pixels


def check_folder_to_show(logdir) -> Path:
    """``logdir`` as a folder that exists (a `SummaryWriter` stands for its own folder), or a
    clear error."""
    logdir = getattr(logdir, "log_dir", logdir)
    if not isinstance(logdir, str | Path):
        raise TypeError(f"Pass the folder to show, e.g. RUN_DIR.parent, got {logdir!r}.")
    logdir = Path(logdir)
    if logdir.is_file():
        raise NotADirectoryError(f"{logdir} is a file: show its folder ({logdir.parent}).")
    if not logdir.is_dir():
        raise FileNotFoundError(
            f"No folder {logdir} to show in TensorBoard: run the cells above first, "
            "they create it.")
    return logdir


def check_channels(channels) -> None:
    """Raise a clear `ValueError` unless ``channels`` is 1 (Fashion-MNIST) or 3 (CIFAR-10)."""
    if channels not in (1, 3) or isinstance(channels, bool):
        raise ValueError(f"channels must be 1 (Fashion-MNIST) or 3 (CIFAR-10), got {channels!r}")


def check_class_names(classes: Sequence[str], channels: int) -> None:
    """Raise a clear `ValueError` if ``classes`` are the other dataset's names for these images."""
    for names, dataset, other, wrong in ((CIFAR10_CLASSES, "CIFAR-10", "Fashion-MNIST", 1),
                                         (CLASSES, "Fashion-MNIST", "CIFAR-10", 3)):
        if tuple(classes) == names and channels == wrong:
            raise ValueError(f"These are {dataset}'s class names, but the images have {channels} "
                             f"channel(s) like {other}'s: pass the classes that "
                             "load_dataset(DATASET) returns with the images.")


def check_transform(transform, channels: int, side: int) -> None:
    """Raise a clear `ValueError` unless ``transform`` turns one of the dataset's images
    (``channels`` x ``side`` x ``side``) into a tensor."""
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


def check_selection(data, labels, n, seed) -> None:
    """Raise a clear error unless ``select_n_random`` can pick ``n`` of the ``data`` with
    their ``labels``: tensors of the same length, 1 <= n <= len(data), a whole-number seed."""
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


def check_sizes(in_channels, image_size, num_classes) -> None:
    """Raise a clear error unless `Net` can be built for these sizes: whole numbers >= 1,
    and images of at least 16 x 16 pixels (two 5 x 5 convolutions and two poolings)."""
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
    traces the model, which records every operation, checks included."""
    if torch.jit.is_tracing():
        return
    check_batch(x, net.input_shape)
    dtype = next(net.parameters()).dtype
    if x.dtype != dtype:
        raise ValueError(f"The images are {x.dtype} but the model is {dtype}: convert them with "
                         f"images.to({dtype}) (numpy makes float64 by default).")


def check_batch(images: torch.Tensor, shape: tuple[int, int, int]) -> None:
    """Raise a clear `ValueError` unless ``images`` is a batch of shape ``(N, *shape)``, N >= 1."""
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
    """``labels`` as a 1-D long tensor of class numbers, or a clear error saying how to get one."""
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


def check_loader_inputs(data, batch_size, seed, num_workers) -> None:
    """Raise a clear error unless `make_loader` can batch ``data`` as asked."""
    if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size < 1:
        raise ValueError(f"batch_size must be a whole number >= 1, got {batch_size!r}")
    if not isinstance(num_workers, int) or num_workers < 0:
        raise ValueError(f"num_workers must be a whole number >= 0, got {num_workers!r}")
    if not isinstance(seed, int) or isinstance(seed, bool):
        raise ValueError(f"seed must be a whole number, got {seed!r}")
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
    elif isinstance(data, Dataset) and len(data) and not isinstance(data[0][0], torch.Tensor):
        raise TypeError(f"The dataset gives {type(data[0][0]).__name__} images, not tensors, so "
                        "they cannot be batched: load it with a transform, e.g. "
                        "transform=make_transform(1).")


def check_dataset_items(dataset, items: list | None = None) -> None:
    """Raise a clear error unless `to_tensors` can stack ``dataset`` (and, once read, its
    ``items``): a non-empty dataset of tensor images of one shape."""
    if items is None:
        if not hasattr(dataset, "__getitem__") or not hasattr(dataset, "__len__"):
            raise TypeError(f"to_tensors takes a dataset, e.g. load_dataset(DATASET)[0], got "
                            f"{type(dataset).__name__}.")
        if isinstance(dataset, tuple | list) and len(dataset) == 2 \
                and all(isinstance(t, torch.Tensor) for t in dataset):
            raise TypeError("These are already (images, labels) tensors: use them directly.")
        if len(dataset) == 0:
            raise ValueError("The dataset is empty: check how it was loaded or selected.")
        return
    if not isinstance(items[0][0], torch.Tensor):
        raise TypeError(f"The dataset gives {type(items[0][0]).__name__} images, not tensors: "
                        "load it with a transform, e.g. transform=make_transform(1).")
    shapes = {tuple(image.shape) for image, _ in items}
    if len(shapes) > 1:
        raise ValueError(f"The images have different shapes {sorted(shapes)[:3]}: resize them to "
                         "one size in the dataset's transform.")


def check_image(img, one_channel: bool = False) -> torch.Tensor:
    """One image as `matplotlib_imshow` draws it: a float tensor (C, H, W), normalised to
    [-1, 1], or a clear error. Raw pixels (uint8, 0..255, or a PIL image) are
    normalised first; a 2-D image gets its channel dimension."""
    if hasattr(img, "getbands"):  # a PIL image: raw pixels, channels last
        img = torch.as_tensor(np.array(img))
        img = img.permute(2, 0, 1) if img.dim() == 3 else img
    img = torch.as_tensor(img)
    img = normalise_pixels(img) if img.dtype == torch.uint8 else img.float()
    if img.dim() == 2:
        img = img.unsqueeze(0)
    if not torch.isfinite(img).all():
        bad = int((~torch.isfinite(img)).sum())
        raise ValueError(f"The image holds {bad} NaN or infinite value(s) of {img.numel()}, which "
                         "would be drawn as a blank square: a diverged model or a division by "
                         "zero made them; check where the image came from.")
    if img.dim() != 3:
        raise ValueError(
            f"matplotlib_imshow expects one image of shape (C, H, W) or (H, W), got {tuple(img.shape)}."
            " For a batch, first combine it with torchvision.utils.make_grid(images)."
        )
    if not one_channel and img.shape[0] != 3:
        raise ValueError(
            f"A colour image needs 3 channels first, got shape {tuple(img.shape)}: "
            + ("move the channels first with img.permute(2, 0, 1)." if img.shape[-1] == 3
               else "pass one_channel=True for grey images.")
        )
    return img


def output_count(net: nn.Module, images: torch.Tensor) -> int:
    """How many classes ``net`` scores for the first of ``images``, or a clear error if it
    cannot take them."""
    was_training = net.training
    net.eval()
    try:
        with torch.no_grad():
            return net(images[:1]).shape[-1]
    except RuntimeError as err:
        raise ValueError(
            f"The model cannot take these images of shape {tuple(images.shape[1:])} "
            f"({str(err).splitlines()[0]}): build it for this data, e.g. "
            "Net(*IMAGE_SHAPES[DATASET]), or resize the images.") from None
    finally:
        net.train(was_training)


def check_class_count(outputs: int | None, classes: Sequence[str]) -> None:
    """Raise a clear `ValueError` unless there is one class name per output of the model (so a
    figure names whatever the model predicts, and no name is left over); ``None``: unknown."""
    if outputs is not None and len(classes) != outputs:
        raise ValueError(f"The model has {outputs} outputs but {len(classes)} class names were "
                         "given: pass one name per output, e.g. the `classes` that load_dataset "
                         "returns with the images.")


def check_figure_inputs(net: nn.Module, images: torch.Tensor, labels, classes: Sequence[str],
                        max_cols: int = 2) -> None:
    """Raise a clear `ValueError` unless `plot_classes_preds` can draw ``images`` with
    ``labels``: a non-empty batch the model takes, one class number per image, within
    ``classes``, a name for every output of the model, and ``max_cols`` >= 1."""
    if len(images) == 0:
        raise ValueError("No images to plot: the batch is empty; check the slice that made it.")
    if getattr(net, "input_shape", None) is None and images.dim() != 4:  # Net checks its input
        raise ValueError(f"Expected a batch of images (N, C, H, W), got {tuple(images.shape)}: "
                         "a single image needs a batch dimension, image.unsqueeze(0).")
    labels = class_indices(labels).detach().cpu()
    if len(labels) != len(images):
        raise ValueError(f"{len(images)} images but {len(labels)} labels: they must match.")
    if labels.min() < 0 or labels.max() >= len(classes):
        raise ValueError(
            f"Labels must be between 0 and {len(classes) - 1} (one per class name), "
            f"got values from {int(labels.min())} to {int(labels.max())}."
        )
    check_class_names(classes, images.shape[1])
    if not isinstance(max_cols, int) or isinstance(max_cols, bool) or max_cols < 1:
        raise ValueError(f"max_cols must be a whole number >= 1, got {max_cols!r}")
    last = [m.out_features for m in net.modules() if isinstance(getattr(m, "out_features", None), int)]
    check_class_count(last[-1] if last else None, classes)  # the last layer's, without running it


def check_probs_and_labels(probs: torch.Tensor, labels: torch.Tensor, num_classes: int) -> None:
    """Raise a clear `ValueError` unless ``probs`` (N x classes, in [0, 1]) fits ``labels`` (N)."""
    if probs.dim() != 2 or probs.shape[1] != num_classes:
        raise ValueError(
            f"Probabilities must have shape (N, {num_classes}), one column per class, "
            f"got {tuple(probs.shape)}."
        )
    if labels.dim() != 1 or len(labels) != len(probs):
        raise ValueError(
            f"Need one label per row of probabilities: {len(probs)} rows but labels of shape "
            f"{tuple(labels.shape)}."
        )
    if labels.is_floating_point() or labels.dtype == torch.bool:
        raise ValueError(f"Labels must be class indices (integers), got dtype {labels.dtype}.")
    if len(probs) == 0:
        raise ValueError("No probabilities: the test set is empty.")
    if not torch.isfinite(probs).all():
        raise ValueError(
            f"{int((~torch.isfinite(probs)).any(dim=1).sum())} of {len(probs)} rows of "
            "probabilities are NaN or infinite: the model's weights are (training diverged, "
            "e.g. a learning rate too high). Train it again with a smaller learning rate.")
    if probs.min() < 0 or probs.max() > 1:
        raise ValueError(
            f"Probabilities must lie in [0, 1], got values from {probs.min().item():g} to "
            f"{probs.max().item():g}. Apply softmax to the model's outputs first: "
            "F.softmax(logits, dim=1)."
        )
    if labels.min() < 0 or labels.max() >= num_classes:
        raise ValueError(
            f"Labels must be class indices from 0 to {num_classes - 1}, got values from "
            f"{labels.min().item()} to {labels.max().item()}."
        )


def check_first_batch(net: nn.Module, images: torch.Tensor, labels: torch.Tensor,
                      classes: Sequence[str] | None = None) -> None:
    """Raise a clear `ValueError` unless the model takes the first batch of ``images``, its
    ``labels`` are whole class numbers it can output, and (for figures) ``classes`` names
    each of its outputs."""
    outputs = check_labels(net, images, labels)
    if classes is not None:
        check_class_count(outputs, classes)


def check_labels(net: nn.Module, images: torch.Tensor, labels: torch.Tensor) -> int:
    """The model's number of outputs, if ``labels`` are whole class numbers it can output;
    else a clear `ValueError`."""
    if labels.dtype.is_floating_point or labels.dtype == torch.bool or labels.dim() != 1:
        raise ValueError(f"Labels must be one whole class number per image (a 1-D long tensor), "
                         f"got {labels.dtype} of shape {tuple(labels.shape)}: use labels.long(), "
                         "or labels.argmax(dim=1) for one-hot labels.")
    dtype = next(net.parameters()).dtype
    if images.is_floating_point() and images.dtype != dtype:
        raise ValueError(f"The images are {images.dtype} but the model is {dtype}: convert them "
                         f"with images.to({dtype}) (or make_loader((images.to({dtype}), labels))).")
    outputs = output_count(net, images)
    if len(labels) and (labels.min() < 0 or labels.max() >= outputs):
        raise ValueError(f"Labels must be class numbers 0..{outputs - 1} (the model has {outputs} "
                         f"outputs), got {int(labels.min())}..{int(labels.max())}. Count classes "
                         "from 0.")
    return outputs


class WeightsError(ValueError):
    """A weights file that cannot be loaded into the model: what is wrong, and what to do."""


def check_batches(batches, who: str, fix: str = "make_loader(dataset, batch_size=...)") -> None:
    """Raise a clear `TypeError` unless ``batches`` are batches (a loader, a list of
    ``(images, labels)``), not one pair or a dataset."""
    if isinstance(batches, tuple) and len(batches) == 2 and isinstance(batches[0], torch.Tensor):
        raise TypeError(f"{who} takes batches (a loader, or a list of (images, labels)), not one "
                        "(images, labels) pair: wrap it as make_loader((images, labels))"
                        + (", or use evaluate(net, (images, labels))." if who == "predict_probs" else "."))
    if isinstance(batches, Dataset) and not isinstance(batches, torch.utils.data.DataLoader):
        raise TypeError(f"{who} takes batches, not a dataset: wrap it as {fix}, or "
                        "make_loader(to_tensors(dataset), ...) for speed.")


def check_rows_per_label(probs: torch.Tensor, labels) -> torch.Tensor:
    """``labels`` as class numbers, one per row of ``probs``, or a clear `ValueError`."""
    labels = class_indices(labels)
    if probs.dim() != 2 or len(probs) != len(labels) or len(labels) == 0:
        raise ValueError(f"Need one row of probabilities per label: probabilities of shape "
                         f"{tuple(probs.shape)} but {len(labels)} labels.")
    return labels


def check_test_data(data, batch_size) -> tuple[torch.Tensor, torch.Tensor]:
    """``data`` as ``(images, labels)`` of one length, or a clear error."""
    if not (isinstance(data, tuple | list) and len(data) == 2):
        raise TypeError("evaluate takes the test data as (images, labels) tensors, e.g. from "
                        "to_tensors(test_set); for a loader use predict_probs.")
    if not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size must be a whole number >= 1, got {batch_size!r}")
    images, labels = data[0], class_indices(data[1], "test labels")
    if len(images) != len(labels) or len(labels) == 0:
        raise ValueError(f"{len(images)} test images but {len(labels)} labels: they must match "
                         "and not be empty.")
    return images, labels


def check_file_name(name) -> None:
    """Raise a clear `TypeError` unless ``name`` names a file."""
    if not isinstance(name, str | Path) or not str(name):
        raise TypeError(f"Pass the weights' file name, e.g. 'fashion-mnist_net.pt', got {name!r}.")


def check_save_target(net, path) -> Path:
    """``path`` made ready for `save_weights` (its folder created), or a clear error."""
    if not isinstance(net, nn.Module):
        raise TypeError(f"save_weights(model, path): pass the model itself (e.g. net), not a "
                        f"{type(net).__name__}.")
    if not isinstance(path, str | Path):
        raise TypeError(f"Pass the file to save to as a path, e.g. checkpoint_path('my_net.pt'), "
                        f"got {path!r}.")
    path = Path(path)
    if path.is_dir():
        raise IsADirectoryError(f"{path} is a folder: pass a file name, e.g. {path / 'net.pt'}.")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise OSError(f"Cannot save weights to {path}: {err.strerror or err}. Pick a folder you "
                      "can write to.") from None
    return path


def checked_weights(net, path: Path) -> dict[str, torch.Tensor]:
    """The weights in ``path``, read safely (``weights_only=True``: plain tensors only, never
    code from the file), if they fit ``net``; else a clear error that says what to do."""
    if not isinstance(net, nn.Module):
        raise TypeError(f"load_weights(model, path): pass the model first (e.g. Net()), then the "
                        f"file; got a {type(net).__name__} as the model.")
    redo = "Delete it and run chapter 04 again (it saves the weights), or train here."
    if path.is_dir():
        raise WeightsError(f"{path} is a folder, not a weights file: pass the .pt file itself.")
    if not path.exists():
        raise FileNotFoundError(f"No saved weights at {path}: run chapter 04 first, or train here.")
    try:
        state = torch.load(path, map_location=next(net.parameters()).device, weights_only=True)
    except Exception as err:  # noqa: BLE001 - torch's messages would advise unsafe loading
        import zipfile

        pickled_objects = zipfile.is_zipfile(path) and (
            "weights_only" in str(err) or "Unsupported global" in str(err))
        kind = ("holds a whole pickled model or other objects, not plain weights (the course "
                "never loads those: loading them can run code)" if pickled_objects
                else f"is damaged or not a weights file ({type(err).__name__})")
        raise WeightsError(f"{path} {kind}. {redo}") from None
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise WeightsError(f"{path} does not hold a model's weights (a state_dict). {redo}")
    expected = net.state_dict()
    wrong = [f"{name} missing" if name not in state else f"{name} unexpected" if name not in expected
             else f"size mismatch for {name}: {tuple(state[name].shape)} saved, "
                  f"{tuple(expected[name].shape)} here"
             for name in sorted(set(expected) | set(state))
             if name not in state or name not in expected or expected[name].shape != state[name].shape]
    if wrong:
        raise WeightsError(
            f"{path} holds weights of another model than this {type(net).__name__} "
            f"({'; '.join(wrong[:2])}). Pass the model they were saved from, or: {redo}")
    return state


def check_hparams(hparam_dict: dict) -> None:
    """Raise a clear error unless each setting is one plain value (what the HParams tab can
    show in a table cell)."""
    if not isinstance(hparam_dict, dict) or not hparam_dict:
        raise TypeError(f"hparams must be a dict of settings, e.g. {{'lr': 0.01}}, got {hparam_dict!r}")
    for key, value in hparam_dict.items():
        if not isinstance(value, int | float | str | bool):
            raise TypeError(f"hparam {key!r} is a {type(value).__name__} ({value!r}): give one plain "
                            "number, string or bool per run (a sweep has one run per value).")


def check_setting(logdir: str | Path, name: str, hparam_dict: dict) -> None:
    """Raise a clear error, before any training, for a setting that cannot be trained into
    the run ``<logdir>/<name>``: a name that is not a plain folder name, a run folder
    already in use, a setting that is not one plain value, a learning rate that is not
    a positive number."""
    if Path(logdir).is_file():
        raise NotADirectoryError(f"{logdir} is a file: pass the sweep's folder (RUN_DIR).")
    if not isinstance(name, str) or not RUN_NAME.match(name):
        raise ValueError(f"Run name {name!r} must be a plain name of letters, digits, '_', '-' "
                         "or '.', e.g. 'lr0.01_bs128': each setting's run goes directly in the "
                         "sweep's folder.")
    check_hparams(hparam_dict)
    lr = hparam_dict.get("lr", 1)
    if isinstance(lr, bool) or not isinstance(lr, int | float) or not lr > 0:
        raise ValueError(f"lr must be a positive number, e.g. 0.01, got {lr!r}")
    run = Path(logdir) / name
    if run.exists() and any(run.iterdir()):
        raise FileExistsError(
            f"{run} already holds a run: training into it again would mix two runs in one "
            "folder. Run the cell that makes RUN_DIR again first (a new sweep folder), "
            "then this one.")


RUN_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
"""A run's name: letters, digits, '_', '-' or '.', never a path."""


def check_sweep_folder(logdir, names) -> Path:
    """``logdir`` as a folder that exists, with ``names`` a list of run names, or a
    clear error."""
    if isinstance(names, str):
        raise TypeError(f"Pass the run names as a list, e.g. [{names!r}], not one string.")
    logdir = Path(logdir)
    if logdir.is_file():
        raise NotADirectoryError(f"{logdir} is a file: pass the sweep's folder (RUN_DIR).")
    if not logdir.is_dir():
        raise FileNotFoundError(f"No sweep folder {logdir}: run the cells that train the sweep.")
    return logdir


def check_answers(logdir, answers) -> Path:
    """The folder of chapter 08's runs, if ``answers`` is a dict of them; else a clear error."""
    if not isinstance(answers, dict):
        raise TypeError("Pass your answers as a dict, e.g. {'run_1': 'overfitting', ...}.")
    from helpers._runtime.runs import run_folder

    return Path(run_folder(logdir))


TORCHRUN_VARIABLES = ("RANK", "WORLD_SIZE", "LOCAL_RANK", "LOCAL_WORLD_SIZE")
"""What ``torchrun`` tells each process it starts, in its environment."""


def uneven_message(images: int, world_size: int) -> str:
    return (f"{images} training images cannot be split evenly over {world_size} processes, "
            "and uneven slices would leave one process waiting for the others forever. "
            f"Use a multiple of {world_size}, e.g. --train-size {images // world_size * world_size}.")


def within(path: str | os.PathLike | None, folder: Path) -> bool:
    if not path:
        return False
    path, folder = Path(path).absolute(), folder.absolute()
    return path == folder or folder.is_relative_to(path) or path.is_relative_to(folder)


def what_went_wrong(err: BaseException, args, started: bool) -> str | None:
    """One line for a failure of chapter 07's job that a learner can fix, or None for a bug
    to show in full."""
    import torch.distributed as dist

    from helpers._runtime.datafiles import CorruptDataError, DataNotFoundError
    if isinstance(err, KeyError) and err.args and err.args[0] in TORCHRUN_VARIABLES:
        return (f"{err.args[0]} is not set: start this script with torchrun, which starts every "
                "process and tells each its rank, e.g. torchrun --nproc-per-node=2 "
                f"{Path(sys.argv[0]).name}")
    lost = started and isinstance(err, RuntimeError) and any(
        word in str(err).lower() for word in ("peer", "gloo", "nccl"))  # a partner has gone
    if isinstance(err, dist.DistError) or lost:
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        first = re.sub(r"^\[[^\]]*\] ", "", first).split(". ")[0]  # no gloo source line, one sentence
        if not started:
            others = int(os.environ.get("WORLD_SIZE", "2")) - 1
            return (f"the other {others} process(es) did not join within {args.timeout:g} s "
                    f"({first}). Start all of them together with torchrun, "
                    f"e.g. torchrun --nproc-per-node=2 {Path(sys.argv[0]).name}")
        return f"the processes lost each other ({first}): did another one stop? Its message says why."
    if isinstance(err, OSError) and within(getattr(err, "filename", None), args.run_dir):
        return (f"Cannot write TensorBoard runs to {args.run_dir}: {err.strerror or err}. "
                "Pass --run-dir with a folder you can write to.")
    if isinstance(err, ValueError | DataNotFoundError | CorruptDataError):
        return str(err)
    return None


def check_job_args(parser, args) -> None:
    """End the training script with ``parser``'s usage line and a clear message unless its
    options ``args`` make a job that can run (before any process waits for another)."""
    for name in ("train_size", "test_size", "epochs", "batch_size", "log_every"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    for name, most in (("train_size", 60_000), ("test_size", 10_000)):
        if getattr(args, name) > most:
            parser.error(f"--{name.replace('_', '-')} can be at most {most:,}, the images "
                         "Fashion-MNIST has for it")
    if not args.timeout > 0:
        parser.error("--timeout must be positive")
    if not args.lr > 0:
        parser.error(f"--lr must be a positive learning rate, e.g. 3e-3, got {args.lr:g}")
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    if args.train_size % world_size:
        parser.error(uneven_message(args.train_size, world_size))


def check_whole(name: str, value, least: int = 0) -> None:
    """Raise a clear `ValueError` unless ``value`` is a whole number >= ``least``."""
    if not isinstance(value, int) or isinstance(value, bool) or value < least:
        raise ValueError(f"{name} must be a whole number >= {least}, got {value!r}.")


def check_split(train, root=None) -> None:
    """Raise a clear error unless ``train`` is True (the training images) or False (the
    test images), and ``root`` is not a file."""
    if not isinstance(train, bool):
        raise TypeError(f"train must be True (the training images) or False (the test images), "
                        f"got {train!r}.")
    if root is not None and Path(root).is_file():
        raise NotADirectoryError(f"root {root} is a file: pass the folder the data goes in.")


def check_even_split(images: int, world_size: int) -> None:
    """Raise a clear `ValueError` unless ``images`` split evenly over ``world_size`` processes."""
    if images % world_size:
        raise ValueError(uneven_message(images, world_size))


def check_layer(net: nn.Module, layer: str) -> nn.Module:
    """The module of ``net`` named ``layer``, or a clear `ValueError` naming its layers."""
    module = dict(net.named_modules()).get(layer)
    if module is None or layer == "":
        raise ValueError(f"The model has no layer {layer!r}; its layers are "
                         f"{[name for name, _ in net.named_children()]}.")
    return module


def check_points(features: torch.Tensor, labels: torch.Tensor) -> None:
    """Raise a clear `ValueError` unless there is one label per point and two classes at least."""
    if len(features) != len(labels) or len(labels.unique()) < 2:
        raise ValueError(f"Need one label per point and at least two classes, got {len(features)} "
                         f"points and labels {labels.unique().tolist()}.")


def check_matrix(matrix: torch.Tensor, classes: Sequence[str]) -> None:
    """Raise a clear `ValueError` unless ``matrix`` has one row and column per class name."""
    n = len(classes)
    if tuple(matrix.shape) != (n, n):
        raise ValueError(f"Expected a {n}x{n} matrix, one row and column per class name, "
                         f"got {tuple(matrix.shape)}.")


def check_fit_settings(net: nn.Module, train_loader, optimizer, epochs, log_every, figure_every,
                       scheduler, writer, classes) -> None:
    """Raise a clear error unless `fit`'s settings can train ``net``: whole numbers of at
    least 1, batches (not a dataset), an optimizer of this model's parameters, a scheduler
    with enough steps, and class names when a writer draws figures."""
    if not all(isinstance(v, int) for v in (epochs, log_every, figure_every)):
        raise TypeError(f"epochs, log_every and figure_every must be whole numbers, got "
                        f"{epochs!r}, {log_every!r}, {figure_every!r}.")
    if log_every < 1 or figure_every < 1 or epochs < 1:
        raise ValueError("epochs, log_every and figure_every must be at least 1.")
    check_batches(train_loader, "fit")
    if not isinstance(optimizer, torch.optim.Optimizer):
        raise TypeError(f"fit needs an optimizer made for this model, e.g. "
                        f"torch.optim.Adam(net.parameters()), got {type(optimizer).__name__}.")
    mine = {id(p) for p in net.parameters()}
    if not any(id(p) in mine for group in optimizer.param_groups for p in group["params"]):
        raise ValueError("The optimizer holds none of this model's parameters (was it made for "
                         "another Net?): create it after the model, e.g. Adam(net.parameters()).")
    total = getattr(scheduler, "total_steps", None)  # OneCycleLR knows how many steps it allows
    if total is not None and hasattr(train_loader, "__len__"):
        needed = scheduler.last_epoch + epochs * len(train_loader)
        if needed > total:
            raise ValueError(f"The scheduler allows {total} steps but this training takes "
                             f"{needed - scheduler.last_epoch} ({epochs} epoch(s) of "
                             f"{len(train_loader)} batches): create it with total_steps="
                             "epochs * len(loader), or steps_per_epoch=len(loader).")
    if writer is not None and classes is None:
        raise ValueError("Pass classes=... so the predictions figures can name the classes.")
    if hasattr(train_loader, "__len__") and len(train_loader) == 0:
        raise ValueError("The loader gave no batches to train on (is the dataset empty, or "
                         "did a filter keep nothing?): check len(train_loader).")
