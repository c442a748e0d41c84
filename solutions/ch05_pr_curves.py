"""Chapter 05's exercises, solved."""

from helpers.board import make_writer
from helpers.data import load_tensors, make_loader
from helpers.plots import most_confident_mistakes, plot_predictions
from helpers.train import add_pr_curves, predict_probs, trained_net


def _test_probs(net):
    images, labels = load_tensors("fashion-mnist", train=False)[0]
    probs, _ = predict_probs(net, make_loader((images, labels), batch_size=1000, shuffle=False))
    return images, labels, probs


def exercise_1() -> None:
    """The 16 most confident mistakes (k=16), two per row."""
    classes = load_tensors("fashion-mnist", train=False)[1]
    images, labels, probs = _test_probs(trained_net("fashion-mnist", quick_images=5_000))
    surest = most_confident_mistakes(probs, labels, k=16)
    top, preds = probs.max(dim=1)
    with make_writer("05_pr_curves") as writer:
        figure = plot_predictions(images[surest], preds[surest], top[surest], labels[surest], classes)
        writer.add_figure("most confident mistakes", figure)


def exercise_2() -> None:
    """Two models' curves in one chart: the trained one at step 0, a weaker one at step 1."""
    classes = load_tensors("fashion-mnist", train=False)[1]
    trained = trained_net("fashion-mnist", quick_images=20_000)  # chapter 04's, if saved
    weaker = trained_net("fashion-mnist", quick_images=2_000, saved=False)
    with make_writer("05_pr_curves") as writer:
        for step, net in ((0, trained), (1, weaker)):
            _, labels, probs = _test_probs(net)
            add_pr_curves(writer, probs, labels, classes, global_step=step)
