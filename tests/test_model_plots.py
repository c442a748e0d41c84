"""helpers.model and helpers.plots: shapes, batch sizes, devices, eval mode."""

from __future__ import annotations

import matplotlib
import pytest
import torch
from matplotlib.figure import Figure

from helpers.data import CIFAR10_CLASSES, CLASSES
from helpers.model import Net, device_of, evaluating, pick_device
from helpers.plots import images_to_probs, matplotlib_imshow, plot_classes_preds


@pytest.mark.parametrize("channels,size,flat", [(1, 28, 16 * 4 * 4), (3, 32, 16 * 5 * 5)])
def test_net_derives_its_flattened_size(channels, size, flat):
    net = Net(in_channels=channels, image_size=size)
    assert net.fc1.in_features == flat
    assert net(torch.zeros(2, channels, size, size)).shape == (2, 10)


@pytest.mark.parametrize("shape,hint", [
    ((1, 28, 28), "unsqueeze\\(0\\)"),
    ((28, 28), "image\\[None, None\\]"),
    ((2, 3, 32, 32), "3 channel\\(s\\) but the model expects 1"),
    ((0, 1, 28, 28), "empty"),
    ((2, 1, 32, 32), "got \\(2, 1, 32, 32\\)"),
])
def test_net_rejects_wrong_shapes_with_a_hint(shape, hint):
    with pytest.raises(ValueError, match=hint):
        Net()(torch.zeros(shape))


def test_net_rejects_too_small_images():
    with pytest.raises(ValueError, match="at least 16"):
        Net(image_size=12)


def test_evaluating_restores_the_mode_even_on_error():
    net = Net().train()
    with pytest.raises(RuntimeError), evaluating(net):
        assert not net.training and not torch.is_grad_enabled()
        raise RuntimeError
    assert net.training and torch.is_grad_enabled()


def test_pick_device_is_the_gpu_when_there_is_one():
    assert pick_device().type == ("cuda" if torch.cuda.is_available() else pick_device().type)


@pytest.mark.parametrize("n,rows,cols", [(1, 1, 1), (4, 2, 2), (7, 4, 2), (16, 8, 2)])
def test_predictions_figure_adapts_to_any_batch_size(n, rows, cols):
    net = Net().train()
    images, labels = torch.randn(n, 1, 28, 28), torch.arange(n) % 10
    fig = plot_classes_preds(net, images, labels, CLASSES)
    assert isinstance(fig, Figure) and len(fig.axes) == n
    assert fig.axes[0].get_subplotspec().get_geometry()[:2] == (rows, cols)
    width, height = fig.get_size_inches() * fig.dpi
    # TensorBoard's Images tab draws a figure at most 350 px wide: no shrinking, readable captions
    assert width <= 350 and height == pytest.approx(210 * rows)
    assert net.training  # mode restored
    preds, _ = images_to_probs(net, images)
    titles = [ax.get_title() for ax in fig.axes]
    assert titles[0].startswith(CLASSES[preds[0]]) and f"(label: {CLASSES[labels[0]]})" in titles[0]


def test_titles_are_green_when_right_and_red_when_wrong():
    net = Net()
    images = torch.randn(6, 1, 28, 28)
    preds, _ = images_to_probs(net, images)
    labels = torch.tensor([int(preds[0]), (int(preds[1]) + 1) % 10, 0, 0, 0, 0])
    fig = plot_classes_preds(net, images, labels, CLASSES)
    assert matplotlib.colors.to_hex(fig.axes[0].title.get_color()) == "#008000"
    assert matplotlib.colors.to_hex(fig.axes[1].title.get_color()) == "#ff0000"


def test_three_channel_images_are_drawn_in_colour():
    fig = plot_classes_preds(Net(3, 32), torch.randn(3, 3, 32, 32), [0, 1, 2], CIFAR10_CLASSES)
    assert fig.axes[0].images[0].get_array().shape == (32, 32, 3)




def test_plots_take_tensors_on_any_device_through_detach_cpu():
    device = torch.device("cuda") if torch.cuda.is_available() else torch.device("cpu")
    net = Net().to(device)
    images = torch.randn(5, 1, 28, 28, requires_grad=True)  # needs .detach() to reach numpy
    preds, probs = images_to_probs(net, images)
    assert preds.shape == (5,) and ((probs > 0) & (probs <= 1)).all()
    fig = plot_classes_preds(net, images.to(device), torch.arange(5).to(device), CLASSES)
    assert len(fig.axes) == 5
    ax = matplotlib_imshow(images[0].to(device), one_channel=True)
    assert ax.images[0].get_array().shape == (28, 28)


def test_labels_must_match_images_and_classes():
    with pytest.raises(ValueError, match="3 images but 2 labels"):
        plot_classes_preds(Net(), torch.zeros(3, 1, 28, 28), [0, 1], CLASSES)
    with pytest.raises(ValueError, match="between 0 and 9"):
        plot_classes_preds(Net(), torch.zeros(2, 1, 28, 28), [0, 10], CLASSES)
    with pytest.raises(ValueError, match="unsqueeze"):
        plot_classes_preds(Net(), torch.zeros(1, 28, 28), [0], CLASSES)


def test_imshow_rejects_a_batch_and_grey_as_colour():
    with pytest.raises(ValueError, match="make_grid"):
        matplotlib_imshow(torch.zeros(2, 1, 28, 28))
    with pytest.raises(ValueError, match="one_channel=True"):
        matplotlib_imshow(torch.zeros(1, 28, 28))


def test_imshow_undoes_the_normalisation():
    ax = matplotlib_imshow(torch.full((3, 4, 4), -1.0))
    assert ax.images[0].get_array().max() == 0
    assert device_of(Net()).type == "cpu"
