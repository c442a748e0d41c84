"""Chapter 04's exercises, solved. In the chapter itself you would change the training
loop; here each solution uses the trained model (chapter 04's weights, or a quick one)."""

from helpers.board import make_writer
from helpers.compare import loss_and_accuracy
from helpers.data import load_tensors
from helpers.plots import plot_classes_preds
from helpers.train import trained_net


def exercise_1() -> None:
    """8 images per figure: in the loop, plot_classes_preds(net, images[:8], labels[:8], ...)."""
    (images, labels), classes = load_tensors("fashion-mnist", train=False)
    net = trained_net("fashion-mnist", quick_images=5_000)
    with make_writer("04_training") as writer:
        writer.add_figure("predictions vs. actuals", plot_classes_preds(net, images[:8], labels[:8], classes))


def exercise_2() -> None:
    """The test loss next to the test accuracy, after each epoch (here: once)."""
    test_images, test_labels = load_tensors("fashion-mnist", train=False)[0]
    net = trained_net("fashion-mnist", quick_images=5_000)
    loss, acc = loss_and_accuracy(net, (test_images, test_labels))
    with make_writer("04_training") as writer:
        writer.add_scalar("test loss", loss, 1)
        writer.add_scalar("test accuracy", acc, 1)
