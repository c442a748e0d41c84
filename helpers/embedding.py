"""What a trained `Net` learned: its penultimate features, and how well they group the classes.

>>> import torch
>>> from helpers.model import Net
>>> learned_features(Net(), torch.zeros(3, 1, 28, 28)).shape
torch.Size([3, 84])
>>> round(silhouette(torch.tensor([[0.0], [0.1], [5.0], [5.1]]), torch.tensor([0, 0, 1, 1])), 2)
0.98
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from helpers._runtime.checks import check_layer, check_points, class_indices
from helpers.model import device_of, evaluating


def learned_features(net: nn.Module, images: torch.Tensor, layer: str = "fc2") -> torch.Tensor:
    """What ``layer`` of ``net`` outputs for each image, after its ReLU, on the CPU: for the
    tutorial's `Net`, ``fc2``'s 84 numbers, the last step before the class scores.

    >>> from helpers.model import Net
    >>> learned_features(Net(), torch.zeros(2, 1, 28, 28)).shape
    torch.Size([2, 84])
    """
    module = check_layer(net, layer)  # the layer, or a clear error naming the model's layers
    caught: list[torch.Tensor] = []
    hook = module.register_forward_hook(lambda _m, _i, out: caught.append(F.relu(out)))
    try:
        with evaluating(net):
            net(images.to(device_of(net)))
    finally:
        hook.remove()
    return caught[0].detach().cpu().reshape(len(images), -1)


def silhouette(features: torch.Tensor, labels: torch.Tensor) -> float:
    """Mean silhouette score of the points grouped by label (Euclidean distances): for each
    point, (b - a) / max(a, b), where a is its mean distance to its own class and b to the
    nearest other class. Near 1: tight, separate classes; near 0: classes overlap.

    >>> round(silhouette(torch.tensor([[0.0], [0.2], [5.0], [5.2]]), torch.tensor([0, 0, 1, 1])), 2)
    0.96
    """
    features = torch.as_tensor(features).detach().cpu().double().reshape(len(features), -1)
    labels = class_indices(labels).cpu()
    check_points(features, labels)  # one label per point, two classes at least
    members = F.one_hot(labels).double()  # point x class
    sums = torch.cdist(features, features) @ members  # summed distance to each class
    counts = members.sum(dim=0)
    own = counts[labels] - 1  # the other points of its own class
    a = sums[torch.arange(len(labels)), labels] / own.clamp(min=1)
    means = sums / counts.clamp(min=1)
    means[members.bool()] = float("inf")  # b looks at the other classes only
    means[:, counts == 0] = float("inf")
    b = means.min(dim=1).values
    scores = torch.where(own > 0, (b - a) / torch.maximum(a, b), torch.zeros_like(a))
    return scores.mean().item()
