"""Chapter 04's training loop as `fit`, evaluation, and saved weights.

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

from helpers._runtime.checks import (
    WeightsError,
    check_batches,
    check_file_name,
    check_first_batch,
    check_fit_settings,
    check_probs_and_labels,
    check_rows_per_label,
    check_save_target,
    check_test_data,
    checked_weights,
    class_indices,
)
from helpers.data import IMAGE_SHAPES, load_tensors, make_loader, select_n_random
from helpers.model import Net, device_of, evaluating
from helpers.paths import course_dir

__all__ = ["WeightsError", "accuracy", "check_probs_and_labels", "checkpoint_path", "evaluate", "fit",
           "load_weights", "per_class_accuracy", "predict_probs", "save_weights", "trained_net"]

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
    check_batches(batches, "predict_probs", "make_loader(dataset, batch_size=1000, shuffle=False)")
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
    labels = check_rows_per_label(probs, labels)  # one row of probabilities per class number
    return (probs.argmax(dim=1) == labels.to(probs.device)).float().mean().item()


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
    """What `fit` measured: steps taken, seconds they took (evaluation included), images
    seen, and the test accuracy after each epoch (empty without ``test_data``)."""

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
    """Chapter 04's training loop, step for step: the same seed, data, model, optimizer and
    scheduler give the same weights and the same logged points (tests/test_one_loop.py).
    What the chapter's cell adds for the notebook (the frame's redraws, the printed lines,
    the closing note and ``writer.close()``) stays with the caller.

    Every ``log_every`` steps it logs ``loss/train`` and ``accuracy/train`` (the means since
    the last point) and ``optimizer/learning rate``, a "predictions vs. actuals" figure every
    ``figure_every`` steps, and flushes, so a killed run keeps what it logged; after each
    epoch ``accuracy/test`` on ``test_data``. A ``scheduler`` (e.g. `OneCycleLR`) steps after
    every step. Without a ``writer`` it logs nothing; ``progress=False`` hides the bar.

    Example:
        >>> fit(net, train_loader, optimizer, epochs=3, writer=writer, log_every=100,  # doctest: +SKIP
        ...     figure_every=500, test_data=(test_images, test_labels), classes=classes,
        ...     scheduler=scheduler)
        FitResult(steps=1407, ...)
    """
    check_fit_settings(net, train_loader, optimizer, epochs, log_every, figure_every,
                       scheduler, writer, classes)  # a clear message for wrong settings
    if writer is not None:
        from helpers.plots import plot_classes_preds  # matplotlib: only here
    device = device_of(net)
    result = FitResult()

    step = 0
    start = time.perf_counter()
    for epoch in range(epochs):
        net.train()
        running_loss, running_correct, running_seen = 0.0, 0, 0
        batches = tqdm(train_loader, desc=f"epoch {epoch + 1}/{epochs}", mininterval=1, file=sys.stdout,
                       disable=not progress, leave=False)
        for images, labels in batches:
            images, labels = images.to(device), labels.to(device)  # no copy when already there
            if step == 0:  # before training, not at a figure or mid-epoch
                check_first_batch(net, images, labels, classes if writer is not None else None)
            optimizer.zero_grad()
            outputs = net(images)
            loss = F.cross_entropy(outputs, labels)
            loss.backward()
            optimizer.step()
            if scheduler is not None:
                scheduler.step()  # the learning rate for the next step
            step += 1
            result.images += len(labels)

            running_loss += loss.item() * len(labels)
            running_correct += (outputs.argmax(dim=1) == labels).sum().item()
            running_seen += len(labels)
            if step % log_every == 0:
                if writer is not None:
                    writer.add_scalar("loss/train", running_loss / running_seen, step)
                    writer.add_scalar("accuracy/train", running_correct / running_seen, step)
                    # the optimizer's rate: what scheduler.get_last_lr() gives, or the fixed one
                    writer.add_scalar("optimizer/learning rate", optimizer.param_groups[0]["lr"], step)
                    if step % figure_every == 0:
                        figure = plot_classes_preds(net, images[:4], labels[:4], classes)
                        writer.add_figure("predictions vs. actuals", figure, global_step=step)
                    writer.flush()
                running_loss, running_correct, running_seen = 0.0, 0, 0

        if test_data is not None:
            result.test_accuracy.append(evaluate(net, test_data))
            if writer is not None:
                writer.add_scalar("accuracy/test", result.test_accuracy[-1], step)
                writer.flush()

    result.steps, result.seconds = step, time.perf_counter() - start
    return result


def evaluate(net: nn.Module, data: tuple[torch.Tensor, torch.Tensor], batch_size: int = 1000) -> float:
    """Accuracy of ``net`` on in-memory ``(images, labels)``.

    Example:
        >>> from helpers.model import Net
        >>> 0 <= evaluate(Net(), (torch.zeros(3, 1, 28, 28), torch.tensor([0, 1, 2]))) <= 1
        True
    """
    images, labels = check_test_data(data, batch_size)  # (images, labels) that match
    batches = ((images[i:i + batch_size], labels[i:i + batch_size])
               for i in range(0, len(images), batch_size))
    return accuracy(*predict_probs(net, batches))


def checkpoint_path(name: str = "fashion-mnist_net.pt") -> Path:
    """Where trained weights are kept: ``checkpoints/`` at the course's root.

    Example:
        >>> checkpoint_path().parent.name
        'checkpoints'
    """
    check_file_name(name)  # a str or Path, or a clear error
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

    path = check_save_target(net, path if path is not None else checkpoint_path())
    handle, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as file:
            torch.save(net.state_dict(), file)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def load_weights(net: nn.Module, path: str | Path | None = None) -> nn.Module:
    """Load weights saved by `save_weights` into ``net`` safely (``weights_only=True``:
    plain tensors only, never code from the file).

    Example:
        >>> load_weights(Net())  # doctest: +SKIP
        Net(...)
    """
    path = Path(path) if path is not None else checkpoint_path()
    state = checked_weights(net, path)  # plain tensors that fit net, or a clear WeightsError
    net.load_state_dict(state)
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
