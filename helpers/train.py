"""Training with TensorBoard logging, test-set probabilities and PR curves.

Example:
    >>> import torch
    >>> from helpers.model import Net
    >>> probs, labels = predict_probs(Net(), [(torch.zeros(4, 1, 28, 28), torch.tensor([0, 1, 2, 3]))])
    >>> tuple(probs.shape), labels.tolist()
    ((4, 10), [0, 1, 2, 3])
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.tensorboard import SummaryWriter
from tqdm import tqdm

from helpers.data import IMAGE_SHAPES, load_tensors, make_loader, select_n_random
from helpers.model import Net, class_indices, device_of, evaluating
from helpers.paths import course_dir

Batches = Iterable[tuple[torch.Tensor, torch.Tensor]]


def predict_probs(net: nn.Module, batches: Batches) -> tuple[torch.Tensor, torch.Tensor]:
    """Class probabilities (N x classes, on the CPU) and true labels for every batch.

    Runs in eval mode without gradients, with one softmax per batch (not per image).

    Example:
        >>> from helpers.model import Net
        >>> probs, _ = predict_probs(Net(), [(torch.zeros(2, 1, 28, 28), torch.tensor([5, 6]))])
        >>> torch.allclose(probs.sum(dim=1), torch.ones(2))
        True
    """
    if isinstance(batches, tuple) and len(batches) == 2 and isinstance(batches[0], torch.Tensor):
        raise TypeError("predict_probs takes batches (a loader, or a list of (images, labels)), "
                        "not one (images, labels) pair: wrap it as [(images, labels)], or use "
                        "evaluate(net, (images, labels)).")
    if isinstance(batches, torch.utils.data.Dataset):
        raise TypeError("predict_probs takes batches, not a dataset: wrap it as "
                        "make_loader(dataset, batch_size=1000, shuffle=False).")
    device = device_of(net)
    all_probs, all_labels = [], []
    with evaluating(net):
        for images, labels in batches:
            all_probs.append(F.softmax(net(images.to(device)), dim=1).cpu())
            all_labels.append(torch.as_tensor(labels).cpu())
    if not all_probs:
        raise ValueError("No batches to predict: the loader is empty.")
    return torch.cat(all_probs), torch.cat(all_labels)


def accuracy(probs: torch.Tensor, labels: torch.Tensor) -> float:
    """Share of rows whose most probable class is the true label.

    Example:
        >>> accuracy(torch.tensor([[0.9, 0.1], [0.2, 0.8]]), torch.tensor([0, 0]))
        0.5
    """
    labels = class_indices(labels)
    if probs.dim() != 2 or len(probs) != len(labels) or len(labels) == 0:
        raise ValueError(f"Need one row of probabilities per label: probabilities of shape "
                         f"{tuple(probs.shape)} but {len(labels)} labels.")
    return (probs.argmax(dim=1) == labels.to(probs.device)).float().mean().item()


def check_probs_and_labels(probs: torch.Tensor, labels: torch.Tensor, num_classes: int) -> None:
    """Raise a clear `ValueError` unless ``probs`` (N x classes, in [0, 1]) fits ``labels`` (N).

    Example:
        >>> check_probs_and_labels(torch.tensor([[1.5, -0.5]]), torch.tensor([0]), 2)  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        ValueError: Probabilities must lie in [0, 1], got values from -0.5 to 1.5. Apply softmax ...
    """
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


def add_pr_curves(
    writer: SummaryWriter,
    probs: torch.Tensor,
    labels: torch.Tensor,
    classes: Sequence[str],
    global_step: int = 0,
) -> None:
    """One precision-recall curve per class, tagged with the class name.

    For class ``i`` the ground truth is ``labels == i`` (the **true** labels) and the
    score is the predicted probability of class ``i``.

    Example:
        >>> add_pr_curves(writer, probs, labels, CLASSES)  # doctest: +SKIP
    """
    if not isinstance(writer, SummaryWriter):
        raise TypeError(f"add_pr_curves needs a SummaryWriter first (e.g. make_writer(...)), got "
                        f"{type(writer).__name__}.")
    probs, labels = torch.as_tensor(probs).detach().cpu(), torch.as_tensor(labels).detach().cpu()
    check_probs_and_labels(probs, labels, len(classes))
    for i, name in enumerate(classes):
        writer.add_pr_curve(name, labels == i, probs[:, i], global_step=global_step)


def per_class_accuracy(probs: torch.Tensor, labels: torch.Tensor, classes: Sequence[str]) -> dict[str, float]:
    """Accuracy on the images of each true class.

    Example:
        >>> per_class_accuracy(torch.tensor([[0.9, 0.1], [0.6, 0.4]]), torch.tensor([0, 1]), ["a", "b"])
        {'a': 1.0, 'b': 0.0}
    """
    probs, labels = torch.as_tensor(probs), class_indices(labels)
    check_probs_and_labels(probs, labels, len(classes))
    preds = probs.argmax(dim=1)
    return {
        name: (preds[labels == i] == i).float().mean().item() if (labels == i).any() else float("nan")
        for i, name in enumerate(classes)
    }


@dataclass
class FitResult:
    """What `fit` measured."""

    steps: int = 0
    seconds: float = 0.0
    images: int = 0
    test_accuracy: list[float] = field(default_factory=list)

    @property
    def images_per_second(self) -> float:
        return self.images / self.seconds if self.seconds else 0.0


def fit(
    net: nn.Module,
    train_loader: Batches,
    optimizer: torch.optim.Optimizer,
    epochs: int = 1,
    writer: SummaryWriter | None = None,
    log_every: int = 200,
    figure_every: int = 1000,
    test_data: tuple[torch.Tensor, torch.Tensor] | None = None,
    classes: Sequence[str] | None = None,
    progress: bool = True,
    scheduler: torch.optim.lr_scheduler.LRScheduler | None = None,
) -> FitResult:
    """Train ``net`` and log to ``writer``: the running loss and accuracy every ``log_every``
    steps, a "predictions vs. actuals" figure every ``figure_every`` steps, test accuracy
    after each epoch. Flushes at every logging step, so a killed run keeps what it logged.
    A ``scheduler`` (e.g. `OneCycleLR`) is stepped after every step and its learning rate
    logged with the loss.

    Example:
        >>> fit(net, make_loader(train), torch.optim.Adam(net.parameters()), writer=writer)  # doctest: +SKIP
        FitResult(steps=1875, ...)
    """
    if not all(isinstance(v, int) for v in (epochs, log_every, figure_every)):
        raise TypeError(f"epochs, log_every and figure_every must be whole numbers, got "
                        f"{epochs!r}, {log_every!r}, {figure_every!r}.")
    if log_every < 1 or figure_every < 1 or epochs < 1:
        raise ValueError("epochs, log_every and figure_every must be at least 1.")
    if isinstance(train_loader, torch.utils.data.Dataset) and not isinstance(
            train_loader, torch.utils.data.DataLoader):
        raise TypeError("fit takes batches, not a dataset: wrap it as make_loader(dataset, "
                        "batch_size=...), or make_loader(to_tensors(dataset), ...) for speed.")
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
    if writer is not None:
        if figure_every and classes is None:
            raise ValueError("Pass classes=... so the predictions figures can name the classes.")
        from helpers.plots import check_classes_cover, plot_classes_preds  # matplotlib: only here
    device = device_of(net)
    result = FitResult()
    net.train()
    start = time.perf_counter()
    for epoch in range(epochs):
        running_loss, running_correct, running_seen = 0.0, 0, 0
        batches = tqdm(train_loader, desc=f"epoch {epoch + 1}/{epochs}", disable=not progress,
                       leave=False, mininterval=1.0, file=sys.stdout)  # not a red stderr box
        for images, labels in batches:
            images, labels = images.to(device), labels.to(device)
            if result.steps == 0:  # before training, not at a figure or mid-epoch
                check_labels(net, images, labels)
                if writer is not None:
                    check_classes_cover(net, images, classes)
            optimizer.zero_grad()
            outputs = net(images)
            loss = F.cross_entropy(outputs, labels)
            loss.backward()
            optimizer.step()
            if scheduler is not None:
                scheduler.step()
            result.steps += 1
            result.images += len(labels)
            running_loss += loss.item() * len(labels)
            running_correct += (outputs.argmax(dim=1) == labels).sum().item()
            running_seen += len(labels)
            if result.steps % log_every == 0:
                if writer is not None:
                    writer.add_scalar("training loss", running_loss / running_seen, result.steps)
                    writer.add_scalar("training accuracy", running_correct / running_seen, result.steps)
                    if scheduler is not None:
                        writer.add_scalar("learning rate", scheduler.get_last_lr()[0], result.steps)
                    if result.steps % figure_every == 0:
                        fig = plot_classes_preds(net, images[:4], labels[:4], classes)
                        writer.add_figure("predictions vs. actuals", fig, result.steps)
                    writer.flush()
                running_loss, running_correct, running_seen = 0.0, 0, 0
        if test_data is not None:
            result.test_accuracy.append(evaluate(net, test_data))
            if writer is not None:
                writer.add_scalar("test accuracy", result.test_accuracy[-1], result.steps)
                writer.flush()
    result.seconds = time.perf_counter() - start
    return result


def check_labels(net: nn.Module, images: torch.Tensor, labels: torch.Tensor) -> None:
    """Raise a clear `ValueError` unless ``labels`` are whole class numbers the model can output.

    Example:
        >>> from helpers.model import Net
        >>> check_labels(Net(), torch.zeros(2, 1, 28, 28), torch.tensor([1, 10]))  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        ValueError: Labels must be class numbers 0..9 (the model has 10 outputs), got 1..10. ...
    """
    if labels.dtype.is_floating_point or labels.dtype == torch.bool or labels.dim() != 1:
        raise ValueError(f"Labels must be one whole class number per image (a 1-D long tensor), "
                         f"got {labels.dtype} of shape {tuple(labels.shape)}: use labels.long(), "
                         "or labels.argmax(dim=1) for one-hot labels.")
    dtype = next(net.parameters()).dtype
    if images.is_floating_point() and images.dtype != dtype:
        raise ValueError(f"The images are {images.dtype} but the model is {dtype}: convert them "
                         f"with images.to({dtype}) (or make_loader((images.to({dtype}), labels))).")
    with evaluating(net):
        try:
            outputs = net(images[:1]).shape[-1]
        except RuntimeError as err:
            raise ValueError(
                f"The model cannot take these images of shape {tuple(images.shape[1:])} "
                f"({str(err).splitlines()[0]}): build it for this data, e.g. "
                "Net(*IMAGE_SHAPES[DATASET]), or resize the images.") from None
    if len(labels) and (labels.min() < 0 or labels.max() >= outputs):
        raise ValueError(f"Labels must be class numbers 0..{outputs - 1} (the model has {outputs} "
                         f"outputs), got {int(labels.min())}..{int(labels.max())}. Count classes "
                         "from 0.")


def evaluate(net: nn.Module, data: tuple[torch.Tensor, torch.Tensor], batch_size: int = 1000) -> float:
    """Accuracy of ``net`` on in-memory ``(images, labels)``.

    Example:
        >>> from helpers.model import Net
        >>> 0 <= evaluate(Net(), (torch.zeros(3, 1, 28, 28), torch.tensor([0, 1, 2]))) <= 1
        True
    """
    if not (isinstance(data, tuple | list) and len(data) == 2):
        raise TypeError("evaluate takes the test data as (images, labels) tensors, e.g. from "
                        "to_tensors(test_set); for a loader use predict_probs.")
    if not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size must be a whole number >= 1, got {batch_size!r}")
    images, labels = data[0], class_indices(data[1], "test labels")
    if len(images) != len(labels) or len(labels) == 0:
        raise ValueError(f"{len(images)} test images but {len(labels)} labels: they must match "
                         "and not be empty.")
    batches = ((images[i:i + batch_size], labels[i:i + batch_size])
               for i in range(0, len(images), batch_size))
    return accuracy(*predict_probs(net, batches))


def checkpoint_path(name: str = "fashion-mnist_net.pt") -> Path:
    """Where trained weights are kept: ``checkpoints/`` at the course's root.

    Example:
        >>> checkpoint_path().parent.name
        'checkpoints'
    """
    if not isinstance(name, str | Path) or not str(name):
        raise TypeError(f"Pass the weights' file name, e.g. 'fashion-mnist_net.pt', got {name!r}.")
    return course_dir() / "checkpoints" / name


def save_weights(net: nn.Module, path: str | Path | None = None) -> Path:
    """Save ``net``'s weights (its ``state_dict``) and return the file. The file is written
    under a temporary name of its own and then renamed, so a crash never leaves half a file
    and two processes saving at once never collide.

    Example:
        >>> save_weights(net)  # doctest: +SKIP
        PosixPath('.../checkpoints/fashion-mnist_net.pt')
    """
    import os
    import tempfile

    if not isinstance(net, nn.Module):
        raise TypeError(f"save_weights(model, path): pass the model itself (e.g. net), not a "
                        f"{type(net).__name__}.")
    if path is not None and not isinstance(path, str | Path):
        raise TypeError(f"Pass the file to save to as a path, e.g. checkpoint_path('my_net.pt'), "
                        f"got {path!r}.")
    path = Path(path) if path is not None else checkpoint_path()
    if path.is_dir():
        raise IsADirectoryError(f"{path} is a folder: pass a file name, e.g. {path / 'net.pt'}.")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise OSError(f"Cannot save weights to {path}: {err.strerror or err}. Pick a folder you "
                      "can write to.") from None
    handle, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as file:
            torch.save(net.state_dict(), file)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


class WeightsError(ValueError):
    """A weights file that cannot be loaded into the model: what is wrong, and what to do."""


def load_weights(net: nn.Module, path: str | Path | None = None) -> nn.Module:
    """Load weights saved by `save_weights` into ``net`` safely (``weights_only=True``:
    plain tensors only, never code from the file).

    Example:
        >>> load_weights(Net())  # doctest: +SKIP
        Net(...)
    """
    if not isinstance(net, nn.Module):
        raise TypeError(f"load_weights(model, path): pass the model first (e.g. Net()), then the "
                        f"file; got a {type(net).__name__} as the model.")
    path = Path(path) if path is not None else checkpoint_path()
    redo = ("Delete it and run chapter 04 again (it saves the weights), or train here.")
    if path.is_dir():
        raise WeightsError(f"{path} is a folder, not a weights file: pass the .pt file itself.")
    if not path.exists():
        raise FileNotFoundError(f"No saved weights at {path}: run chapter 04 first, or train here.")
    try:
        state = torch.load(path, map_location=device_of(net), weights_only=True)
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
    try:
        net.load_state_dict(state)
    except RuntimeError as err:
        detail = str(err).split("\n\t", 1)[-1].split("\n")[0][:300]
        raise WeightsError(
            f"{path} holds weights of another model than this {type(net).__name__} ({detail}). "
            f"Pass the model they were saved from, or: {redo}") from None
    return net


def trained_net(dataset: str = "fashion-mnist", device: torch.device | str = "cpu",
                quick_images: int = 60_000, saved: bool = True) -> nn.Module:
    """A trained `Net` for ``dataset``: chapter 04's saved weights, or, if chapter 04 has not
    run yet (or ``saved=False``), a quick model trained here, seeded, for one pass over
    ``quick_images`` training images (not saved). Says which.

    Example:
        >>> net = trained_net("fashion-mnist")  # doctest: +SKIP
        loaded chapter 04's weights from checkpoints/fashion-mnist_net.pt
    """
    torch.manual_seed(0)  # the quick model starts from the same weights every time
    net = Net(*IMAGE_SHAPES[dataset]).to(device, memory_format=torch.channels_last)
    weights = checkpoint_path(f"{dataset}_net.pt")
    if saved and weights.exists():
        load_weights(net, weights)
        print("loaded chapter 04's weights from", weights.relative_to(course_dir()))
        return net
    (images, labels), _ = load_tensors(dataset, train=True)
    if quick_images < len(labels):
        images, labels = select_n_random(images, labels, n=quick_images, seed=0)
    fit(net, make_loader((images.to(device), labels.to(device)), batch_size=128),
        torch.optim.Adam(net.parameters(), lr=3e-3), epochs=1, progress=False)
    print(("no saved weights (chapter 04 saves them): " if saved else "")
          + f"trained a quick model on {len(labels):,} images for one pass")
    return net
