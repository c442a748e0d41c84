"""Plots from the tutorial, made safe for any batch size and any device.

Example:
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

import numpy as np
import torch
import torch.nn.functional as F
from matplotlib.figure import Figure
from torch import nn

from helpers.data import check_class_names, normalise_pixels
from helpers.model import check_batch, class_indices, device_of, evaluating


def check_image(img, one_channel: bool = False) -> torch.Tensor:
    """One image as `matplotlib_imshow` draws it: a float tensor (C, H, W), normalised to
    [-1, 1], or a clear error. Raw pixels (uint8, 0..255, or a PIL image) are
    normalised first; a 2-D image gets its channel dimension.

    Example:
        >>> check_image(torch.zeros(2, 1, 28, 28))  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        ValueError: matplotlib_imshow expects one image of shape (C, H, W) or (H, W), got (2, 1, 28, 28). ...
    """
    if hasattr(img, "getbands"):  # a PIL image: raw pixels, channels last
        img = torch.as_tensor(np.array(img))
        img = img.permute(2, 0, 1) if img.dim() == 3 else img
    img = torch.as_tensor(img)
    img = normalise_pixels(img) if img.dtype == torch.uint8 else img.float()
    if img.dim() == 2:
        img = img.unsqueeze(0)
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


def matplotlib_imshow(img, one_channel=False, ax=None):
    """Show one normalised image (C x H x W, values in [-1, 1]) on ``ax``; return the axes.

    ``one_channel=True`` averages the channels and draws in grey, as the tutorial does
    for Fashion-MNIST. Works for tensors on any device; raw pixels (uint8, 0..255, or a
    PIL image) are shown as they are. Taught in chapter 01, which defines the same code
    (tests/test_one_source.py).

    Example:
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

    Example:
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


def grid_shape(n: int, max_cols: int = 4) -> tuple[int, int]:
    """Rows and columns for ``n`` small images: at most ``max_cols`` per row.

    Example:
        >>> grid_shape(1), grid_shape(4), grid_shape(7)
        ((1, 1), (1, 4), (2, 4))
    """
    if n < 1:
        raise ValueError(f"Need at least one image, got {n}.")
    if not isinstance(max_cols, int) or max_cols < 1:
        raise ValueError(f"max_cols must be a whole number >= 1, got {max_cols!r}")
    cols = min(n, max_cols)
    return math.ceil(n / cols), cols


def check_classes_cover(net: nn.Module, images: torch.Tensor, classes: Sequence[str]) -> None:
    """Raise a clear `ValueError` unless there is a class name for each of ``net``'s outputs
    (so a figure can name whatever the model predicts), checked on ``images``.

    Example:
        >>> from helpers.model import Net
        >>> check_classes_cover(Net(), torch.zeros(1, 1, 28, 28), ["a", "b"])  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        ValueError: The model has 10 outputs but 2 class names were given: ...
    """
    with evaluating(net):
        outputs = net(images[:1].to(device_of(net))).shape[-1]
    if len(classes) < outputs:
        raise ValueError(f"The model has {outputs} outputs but {len(classes)} class names were "
                         "given: pass one name per output, e.g. the `classes` that load_dataset "
                         "returns.")


def check_figure_inputs(net: nn.Module, images: torch.Tensor, labels, classes: Sequence[str],
                        max_cols: int = 2) -> None:
    """Raise a clear `ValueError` unless `plot_classes_preds` can draw ``images`` with
    ``labels``: a non-empty batch the model takes, one class number per image, within
    ``classes``, a name for every output of the model, and ``max_cols`` >= 1.

    Example:
        >>> from helpers.model import Net
        >>> check_figure_inputs(Net(), torch.zeros(3, 1, 28, 28), [0, 1], ["a"] * 10)
        Traceback (most recent call last):
        ...
        ValueError: 3 images but 2 labels: they must match.
    """
    if len(images) == 0:
        raise ValueError("No images to plot: the batch is empty; check the slice that made it.")
    net_shape = getattr(net, "input_shape", None)
    if net_shape is not None:
        check_batch(images, net_shape)
    elif images.dim() != 4:
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
    check_classes_cover(net, images[:1], classes)


def plot_classes_preds(net: nn.Module, images: torch.Tensor, labels: torch.Tensor,
                       classes: Sequence[str], max_cols: int = 2) -> Figure:
    """A "predictions vs. actuals" figure: each image titled with the model's guess, its
    probability and the true label, green when right and red when wrong.

    The tutorial's function, fixed: any number of images (the tutorial draws exactly 4),
    ``max_cols`` per row, each 175 x 210 pixels (the tutorial's 12 x 48 inches is a tall,
    mostly empty picture; TensorBoard shows a figure about 350 pixels wide, so two per row
    keep the captions readable), the class names passed in, and tensors on any device.

    Example:
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


def plot_predictions(images: torch.Tensor, preds, probs, labels, classes: Sequence[str],
                     max_cols: int = 2) -> Figure:
    """Images titled with their predicted class, its probability and the true label, green
    when right and red when wrong (`plot_classes_preds` without the model).

    Example:
        >>> from helpers.data import CLASSES
        >>> fig = plot_predictions(torch.zeros(1, 1, 28, 28), [6], [0.97], [0], CLASSES)
        >>> fig.axes[0].get_title()
        'Shirt, 97.0%\\n(label: T-shirt/top)'
    """
    rows, cols = grid_shape(len(images), max_cols)
    fig = Figure(figsize=(1.75 * cols, 2.1 * rows), dpi=100, layout="constrained")
    images = images.detach().cpu()
    for i in range(len(images)):
        ax = fig.add_subplot(rows, cols, i + 1)
        matplotlib_imshow(images[i], one_channel=images.shape[1] == 1, ax=ax)
        right = int(preds[i]) == int(labels[i])
        ax.set_title(
            f"{classes[int(preds[i])]}, {float(probs[i]):.1%}\n(label: {classes[int(labels[i])]})",
            color="green" if right else "red",
            fontsize=9,
        )
    return fig


def confusion_matrix(probs: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Counts of (true class, predicted class): row i, column j counts the images of class i
    the model called j; the diagonal holds the right answers.

    Example:
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

    Example:
        >>> fig = plot_confusion_matrix(torch.eye(2, dtype=torch.long) * 5, ["a", "b"])
        >>> [t.get_text() for t in fig.axes[0].texts]
        ['5', '0', '0', '5']
    """
    n = len(classes)
    if tuple(matrix.shape) != (n, n):
        raise ValueError(f"Expected a {n}x{n} matrix, one row and column per class name, "
                         f"got {tuple(matrix.shape)}.")
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

    Example:
        >>> probs = torch.tensor([[0.9, 0.1], [0.6, 0.4], [0.2, 0.8]])
        >>> most_confident_mistakes(probs, torch.tensor([1, 1, 1]), k=5).tolist()
        [0, 1]
    """
    labels = class_indices(labels).to(probs.device)
    top, preds = probs.max(dim=1)
    wrong = (preds != labels).nonzero().flatten()
    return wrong[top[wrong].argsort(descending=True)[:k]].cpu()
