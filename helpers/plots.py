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
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from torch import nn

from helpers.model import check_batch, device_of, evaluating


def matplotlib_imshow(img: torch.Tensor, one_channel: bool = False, ax: Axes | None = None) -> Axes:
    """Show one normalised image (C x H x W, values in [-1, 1]) on ``ax``; return the axes.

    ``one_channel=True`` averages the channels and draws in grey, as the tutorial does
    for Fashion-MNIST. Works for tensors on any device.

    Example:
        >>> ax = matplotlib_imshow(torch.zeros(1, 28, 28), one_channel=True)
        >>> ax.images[0].get_array().shape
        (28, 28)
    """
    img = torch.as_tensor(img).detach().cpu().float()
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
    if ax is None:
        ax = Figure(figsize=(4, 4)).add_subplot()
    img = (img / 2 + 0.5).clamp(0, 1)  # undo Normalize(0.5, 0.5)
    if one_channel:
        ax.imshow(img.mean(dim=0).numpy(), cmap="Greys")
    else:
        ax.imshow(img.permute(1, 2, 0).numpy())
    ax.set_xticks([])
    ax.set_yticks([])
    return ax


def images_to_probs(net: nn.Module, images: torch.Tensor) -> tuple[np.ndarray, np.ndarray]:
    """Predicted class and its probability for each image, computed in eval mode without gradients.

    The images are moved to the model's device; the results come back as numpy arrays.

    Example:
        >>> from helpers.model import Net
        >>> preds, probs = images_to_probs(Net(), torch.zeros(3, 1, 28, 28))
        >>> preds.shape, probs.shape
        ((3,), (3,))
    """
    net_shape = getattr(net, "input_shape", None)
    if net_shape is not None:
        check_batch(images, net_shape)
    elif images.dim() != 4:
        raise ValueError(f"Expected a batch of images (N, C, H, W), got {tuple(images.shape)}.")
    with evaluating(net):
        probs = F.softmax(net(images.to(device_of(net))), dim=1)
        top_probs, preds = probs.max(dim=1)
    return preds.detach().cpu().numpy(), top_probs.detach().cpu().numpy()


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


def plot_classes_preds(
    net: nn.Module,
    images: torch.Tensor,
    labels: torch.Tensor | Sequence[int],
    classes: Sequence[str],
    max_cols: int = 2,
) -> Figure:
    """A "predictions vs. actuals" figure: each image titled with the prediction, its
    probability and the true label, green when right and red when wrong.

    Any batch size from 1 up works, at most ``max_cols`` images per row, each 175 x 210
    pixels: TensorBoard's Images tab shows a figure in a card about 350 pixels wide, so two
    per row keep the captions readable. The model's train/eval mode is left as it was.

    Example:
        >>> from helpers.model import Net
        >>> from helpers.data import CLASSES
        >>> fig = plot_classes_preds(Net(), torch.zeros(1, 1, 28, 28), [0], CLASSES)
        >>> [int(v) for v in fig.get_size_inches() * fig.dpi]  # width, height in pixels
        [175, 210]
    """
    labels = torch.as_tensor(labels).detach().cpu().reshape(-1)
    if len(labels) != len(images):
        raise ValueError(f"{len(images)} images but {len(labels)} labels: they must match.")
    if len(labels) and (labels.min() < 0 or labels.max() >= len(classes)):
        raise ValueError(
            f"Labels must be between 0 and {len(classes) - 1} (one per class name), "
            f"got values from {int(labels.min())} to {int(labels.max())}."
        )
    preds, probs = images_to_probs(net, images)
    check_classes_cover(net, images[:1], classes)
    rows, cols = grid_shape(len(images), max_cols)
    fig = Figure(figsize=(1.75 * cols, 2.1 * rows), dpi=100, layout="constrained")
    images = images.detach().cpu()
    for i in range(len(images)):
        ax = fig.add_subplot(rows, cols, i + 1)
        matplotlib_imshow(images[i], one_channel=images.shape[1] == 1, ax=ax)
        right = preds[i] == labels[i]
        ax.set_title(
            f"{classes[preds[i]]}, {probs[i]:.1%}\n(label: {classes[labels[i]]})",
            color="green" if right else "red",
            fontsize=9,
        )
    return fig
