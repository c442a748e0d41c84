"""helpers.embedding and the confusion-matrix plots: the numbers chapters 03 and 05 log."""

from __future__ import annotations

import pytest
import torch

from helpers.data import CLASSES
from helpers.embedding import learned_features, silhouette
from helpers.model import Net
from helpers.plots import confusion_matrix, most_confident_mistakes, plot_confusion_matrix


def slow_silhouette(features: torch.Tensor, labels: torch.Tensor) -> float:
    """The textbook definition, one point at a time: an independent check."""
    distances = torch.cdist(features.double(), features.double())
    scores = []
    for i in range(len(labels)):
        own = labels == labels[i]
        own[i] = False
        if not own.any():
            scores.append(0.0)
            continue
        a = distances[i][own].mean()
        b = min(distances[i][labels == c].mean() for c in labels.unique() if c != labels[i])
        scores.append(float((b - a) / max(a, b)))
    return sum(scores) / len(scores)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_silhouette_matches_the_textbook_definition(seed):
    g = torch.Generator().manual_seed(seed)
    features = torch.randn(60, 5, generator=g)
    labels = torch.randint(0, 4, (60,), generator=g)
    labels[0] = 9  # a class of one point scores 0
    assert silhouette(features, labels) == pytest.approx(slow_silhouette(features, labels), abs=1e-9)


def test_silhouette_is_high_for_separate_classes_and_low_for_mixed_ones():
    g = torch.Generator().manual_seed(0)
    labels = torch.arange(100) % 4
    separate = torch.randn(100, 3, generator=g) * 0.1 + labels[:, None] * 5.0
    mixed = torch.randn(100, 3, generator=g)
    assert silhouette(separate, labels) > 0.9 and abs(silhouette(mixed, labels)) < 0.1
    with pytest.raises(ValueError, match="at least two classes"):
        silhouette(mixed, torch.zeros(100, dtype=torch.long))


def test_learned_features_are_fc2s_outputs_after_relu_in_eval_mode():
    net = Net().train()
    images = torch.randn(5, 1, 28, 28)
    with torch.no_grad():
        x = net.pool(torch.relu(net.conv1(images)))
        x = net.pool(torch.relu(net.conv2(x))).flatten(1)
        expected = torch.relu(net.fc2(torch.relu(net.fc1(x))))
    assert torch.allclose(learned_features(net, images), expected)
    assert net.training and not net.fc2._forward_hooks  # mode restored, hook removed
    with pytest.raises(ValueError, match="has no layer 'fc9'"):
        learned_features(net, images, layer="fc9")


def test_the_confusion_matrix_counts_each_true_and_predicted_pair():
    g = torch.Generator().manual_seed(0)
    probs = torch.softmax(torch.randn(500, 10, generator=g), dim=1)
    labels = torch.randint(0, 10, (500,), generator=g)
    matrix = confusion_matrix(probs, labels)
    preds = probs.argmax(dim=1)
    for i, j in [(0, 0), (3, 7), (9, 2)]:
        assert matrix[i, j] == int(((labels == i) & (preds == j)).sum())
    assert matrix.sum() == 500 and matrix.sum(dim=1).tolist() == torch.bincount(labels, minlength=10).tolist()
    fig = plot_confusion_matrix(matrix, CLASSES)
    assert [t.get_text() for t in fig.axes[0].texts] == [str(int(v)) for v in matrix.flatten()]
    with pytest.raises(ValueError, match="Expected a 10x10 matrix"):
        plot_confusion_matrix(matrix[:3, :3], CLASSES)


def test_the_surest_mistakes_come_first_and_are_titled_with_both_classes():
    probs = torch.tensor([[0.9, 0.1], [0.6, 0.4], [0.2, 0.8], [0.99, 0.01]])
    labels = torch.tensor([1, 1, 1, 0])  # rows 0 and 1 are wrong, row 0 surer
    assert most_confident_mistakes(probs, labels, k=8).tolist() == [0, 1]
