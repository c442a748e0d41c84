"""Plots from the tutorial, made safe for any batch size and any device.

>>> import torch
>>> from helpers.data import CLASSES
>>> from helpers.model import Net
>>> fig = plot_classes_preds(Net(), torch.zeros(7, 1, 28, 28), torch.arange(7), CLASSES)
>>> len(fig.axes)
7
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
import torch.nn.functional as F
from matplotlib.figure import Figure
from torch import nn

from helpers._runtime.checks import check_figure_inputs, check_image, check_matrix, class_indices

__all__ = ["check_figure_inputs", "check_image", "confusion_matrix", "images_to_probs",
           "matplotlib_imshow", "most_confident_mistakes", "plot_classes_preds",
           "plot_confusion_matrix"]


def matplotlib_imshow(img, one_channel=False, ax=None):
    """Show one normalised image (C x H x W, values in [-1, 1]) on ``ax``; return the axes.

    ``one_channel=True`` averages the channels and draws in grey, as the tutorial does
    for Fashion-MNIST. Works for tensors on any device; raw pixels (uint8, 0..255, or a
    PIL image) are shown as they are. Taught in chapter 01, which defines the same code
    (tests/test_one_source.py).

    >>> ax = matplotlib_imshow(torch.zeros(1, 28, 28), one_channel=True)
    >>> ax.images[0].get_array().shape
    (28, 28)
    """
    img = check_image(img, one_channel).detach().cpu()  # one C x H x W image, where numpy can read it
    if ax is None:
        ax = Figure(figsize=(4, 4)).add_subplot()  # a figure of its own, not pyplot's current one
    img = (img / 2 + 0.5).clamp(0, 1)  # unnormalize: [-1, 1] back to [0, 1]
    if one_channel:
        ax.imshow(img.mean(dim=0).numpy(), cmap="Greys")
    else:
        ax.imshow(img.permute(1, 2, 0).numpy())  # matplotlib wants H x W x C
    ax.set_xticks([])
    ax.set_yticks([])
    return ax


def images_to_probs(net: nn.Module, images: torch.Tensor):
    """The model's predicted class and its probability for each image, as numpy arrays.

    The tutorial's function, fixed: the model runs in eval mode without gradients (and goes
    back to the mode it was in), the images move to the model's device, one softmax serves
    the whole batch, and the results come back through ``.detach().cpu()``, so any batch
    size works, on any device.

    >>> from helpers.model import Net
    >>> preds, probs = images_to_probs(Net(), torch.zeros(3, 1, 28, 28))
    >>> preds.shape, probs.shape
    ((3,), (3,))
    """
    was_training = net.training
    net.eval()  # inference mode: dropout off, batch norm uses what it learned
    with torch.no_grad():  # no graph for a backward pass that never comes
        outputs = net(images.to(next(net.parameters()).device))
    net.train(was_training)  # back to the mode the model was in
    probs, preds = F.softmax(outputs, dim=1).max(dim=1)  # one softmax for the whole batch
    return preds.detach().cpu().numpy(), probs.detach().cpu().numpy()  # numpy needs CPU tensors


def plot_classes_preds(net: nn.Module, images: torch.Tensor, labels: torch.Tensor,
                       classes: Sequence[str], max_cols: int = 2) -> Figure:
    """A "predictions vs. actuals" figure: each image titled with the model's guess, its
    probability and the true label, green when right and red when wrong.

    The tutorial's function, fixed: any number of images (the tutorial draws exactly 4),
    ``max_cols`` per row, each 175 x 210 pixels (the tutorial's 12 x 48 inches is a tall,
    mostly empty picture; TensorBoard shows a figure about 350 pixels wide, so two per row
    keep the captions readable), the class names passed in, and tensors on any device.

    >>> from helpers.model import Net
    >>> from helpers.data import CLASSES
    >>> fig = plot_classes_preds(Net(), torch.zeros(1, 1, 28, 28), [0], CLASSES)
    >>> [int(v) for v in fig.get_size_inches() * fig.dpi]  # width, height in pixels
    [175, 210]
    """
    check_figure_inputs(net, images, labels, classes, max_cols)  # a clear message for wrong input
    preds, probs = images_to_probs(net, images)
    images, labels = images.detach().cpu(), torch.as_tensor(labels).cpu().numpy()
    cols = min(len(images), max_cols)
    rows = math.ceil(len(images) / cols)
    fig = Figure(figsize=(1.75 * cols, 2.1 * rows), dpi=100, layout="constrained")  # in inches
    for i in range(len(images)):
        ax = fig.add_subplot(rows, cols, i + 1)
        matplotlib_imshow(images[i], one_channel=images.shape[1] == 1, ax=ax)
        ax.set_title(f"{classes[preds[i]]}, {probs[i]:.1%}\n(label: {classes[labels[i]]})",
                     color="green" if preds[i] == labels[i] else "red", fontsize=9)
    return fig


def confusion_matrix(probs: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Counts of (true class, predicted class): row i, column j counts the images of class i
    the model called j; the diagonal holds the right answers.

    >>> confusion_matrix(torch.tensor([[0.9, 0.1], [0.8, 0.2], [0.3, 0.7]]), torch.tensor([0, 1, 1]))
    tensor([[1, 0],
            [1, 1]])
    """
    n = probs.shape[1]
    labels = class_indices(labels).cpu()
    return torch.bincount(labels * n + probs.argmax(dim=1).cpu(), minlength=n * n).view(n, n)


def plot_confusion_matrix(matrix: torch.Tensor, classes: Sequence[str]) -> Figure:
    """The confusion matrix as a picture: true classes down, predicted across, each cell
    with its count, darker for more.

    >>> fig = plot_confusion_matrix(torch.eye(2, dtype=torch.long) * 5, ["a", "b"])
    >>> [t.get_text() for t in fig.axes[0].texts]
    ['5', '0', '0', '5']
    """
    check_matrix(matrix, classes)  # one row and column per class name
    n = len(classes)
    fig = Figure(figsize=(6.4, 6), dpi=100, layout="constrained")
    ax = fig.add_subplot()
    counts = matrix.cpu().numpy()
    ax.imshow(counts, cmap="Blues")
    for i in range(n):
        for j in range(n):
            dark = counts[i, j] > counts.max() / 2
            ax.text(j, i, str(counts[i, j]), ha="center", va="center", fontsize=8,
                    color="white" if dark else "black")
    ax.set_xticks(range(n), classes, rotation=45, ha="right", fontsize=8)
    ax.set_yticks(range(n), classes, fontsize=8)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    return fig


def most_confident_mistakes(probs: torch.Tensor, labels: torch.Tensor, k: int = 8) -> torch.Tensor:
    """Indices of the ``k`` wrong predictions made with the highest probability, surest first.

    >>> probs = torch.tensor([[0.9, 0.1], [0.6, 0.4], [0.2, 0.8]])
    >>> most_confident_mistakes(probs, torch.tensor([1, 1, 1]), k=5).tolist()
    [0, 1]
    """
    labels = class_indices(labels).to(probs.device)
    top, preds = probs.max(dim=1)
    wrong = (preds != labels).nonzero().flatten()
    return wrong[top[wrong].argsort(descending=True)[:k]].cpu()
