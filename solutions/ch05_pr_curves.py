"""Chapter 05's exercises, solved with the chapter's code."""

from datetime import datetime

import torch
import torch.nn.functional as F
from torch.utils.tensorboard import SummaryWriter

from helpers.data import load_tensors, make_loader
from helpers.paths import course_dir
from helpers.plots import most_confident_mistakes, plot_classes_preds
from helpers.train import trained_net

DATASET = "fashion-mnist"


def _test_probs(net, test_images, test_labels):
    """The chapter's loop: test-set probabilities in eval mode, without gradients."""
    net.eval()
    batch_probs, batch_labels = [], []
    with torch.no_grad():
        for images, labels in make_loader((test_images, test_labels), batch_size=1000, shuffle=False):
            batch_probs.append(F.softmax(net(images), dim=1).cpu())
            batch_labels.append(labels.cpu())
    return torch.cat(batch_probs), torch.cat(batch_labels)


def _writer() -> SummaryWriter:
    return SummaryWriter(log_dir=course_dir() / "runs" / "05_pr_curves" / f"{datetime.now():%Y%m%d-%H%M%S}")


def exercise_1() -> None:
    """The 16 most confident mistakes (k=16), two per row."""
    (test_images, test_labels), classes = load_tensors(DATASET, train=False)
    net = trained_net(DATASET, quick_images=5_000)  # chapter 04's, if saved
    probs, labels = _test_probs(net, test_images, test_labels)
    surest = most_confident_mistakes(probs, labels, k=16)
    with _writer() as writer:
        figure = plot_classes_preds(net, test_images[surest], labels[surest], classes)
        writer.add_figure("most confident mistakes", figure, global_step=0)


def exercise_2() -> None:
    """Two models' curves in one chart: the trained one at step 0, a weaker one at step 1."""
    (test_images, test_labels), classes = load_tensors(DATASET, train=False)
    trained = trained_net(DATASET, quick_images=20_000)  # chapter 04's, if saved
    weaker = trained_net(DATASET, quick_images=2_000, saved=False)
    with _writer() as writer:
        for step, net in ((0, trained), (1, weaker)):
            probs, labels = _test_probs(net, test_images, test_labels)
            for i, name in enumerate(classes):
                writer.add_pr_curve(name, labels == i, probs[:, i], global_step=step)
