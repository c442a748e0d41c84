"""Chapter 08's answers and exercises, solved.

The six runs, and the chart that gives each away:

- run_1: label bug. Images: the labels under the pictures do not match them; Scalars:
  loss/train stays at 2.30 though every layer is alive.
- run_2: dead layer. Histograms: activations/fc1 are all exactly 0, the gradients of
  conv1 are 0; Scalars: loss/train flat at 2.30.
- run_3: unnormalised inputs. Histograms: `inputs` spreads over 0..255; Images: flat
  black silhouettes without grey levels. The loss still falls (Adam adapts), so the
  histogram is the sure sign.
- run_4: divergence. Scalars: loss/train shoots up or turns NaN (triangles along the top);
  the Histograms stop where it broke.
- run_5: healthy. Both losses fall together.
- run_6: overfitting. Scalars: loss/train falls while loss/test rises from its first
  point; accuracy/train far above accuracy/test. There are only 32 training images.

`train_run` is the chapter's function, copied here so that the solutions run on their own
(tests/test_debugging.py proves the two the same code).
"""

from datetime import datetime

import torch
import torch.nn.functional as F
from torch.utils.tensorboard import SummaryWriter

from helpers.data import CLASSES, load_tensors, make_loader
from helpers.debugging import break_training
from helpers.model import Net
from helpers.paths import course_dir
from helpers.plots import plot_classes_preds

DIAGNOSES = {
    "run_1": "label bug",
    "run_2": "dead layer",
    "run_3": "unnormalised inputs",
    "run_4": "divergence",
    "run_5": "healthy",
    "run_6": "overfitting",
}


def train_run(run_dir, fault, train_data, test_data, steps=60, lr=None, batch_size=64, log_every=20):
    """Train the tutorial's `Net` with ``fault`` for ``steps`` steps, logging into ``run_dir``.

    ``lr`` replaces the learning rate the fault sets up.
    """
    torch.manual_seed(0)  # every run starts from the same weights
    net = Net().to(memory_format=torch.channels_last)  # faster on a CPU (chapter 04)
    optimizer, train_data, test_data = break_training(fault, net, train_data, test_data)
    if lr is not None:
        for group in optimizer.param_groups:
            group["lr"] = lr
    test_images, test_labels = test_data

    activations = {}

    def keep_fc1_output(module, inputs, output):  # PyTorch calls it each time fc1 runs
        activations["fc1"] = F.relu(output).detach()  # Net applies this ReLU to fc1's output

    hook = net.fc1.register_forward_hook(keep_fc1_output)
    writer = SummaryWriter(log_dir=run_dir)
    step, total_loss, correct, seen = 0, 0.0, 0, 0
    while step < steps:
        for images, labels in make_loader(train_data, batch_size=batch_size, seed=step):
            optimizer.zero_grad()
            outputs = net(images)
            loss = F.cross_entropy(outputs, labels)
            loss.backward()
            optimizer.step()
            step += 1
            total_loss += loss.item() * len(labels)
            correct += (outputs.argmax(dim=1) == labels).sum().item()
            seen += len(labels)
            if step == 1 or step % log_every == 0 or step == steps:
                with torch.no_grad():
                    test_outputs = net(test_images)
                test_loss = F.cross_entropy(test_outputs, test_labels).item()
                test_accuracy = (test_outputs.argmax(dim=1) == test_labels).float().mean().item()
                writer.add_scalar("loss/train", total_loss / seen, step)
                writer.add_scalar("loss/test", test_loss, step)
                writer.add_scalar("accuracy/train", correct / seen, step)
                writer.add_scalar("accuracy/test", test_accuracy, step)
                writer.add_histogram("inputs", images, step)
                writer.add_histogram("activations/fc1", activations["fc1"], step)
                writer.add_histogram("weights/fc1", net.fc1.weight, step)
                writer.add_histogram("gradients/conv1", net.conv1.weight.grad, step)
                writer.add_histogram("gradients/fc1", net.fc1.weight.grad, step)
                total_loss, correct, seen = 0.0, 0, 0
            if step == steps:
                break
    hook.remove()
    figure = plot_classes_preds(net, train_data[0][:4], train_data[1][:4], CLASSES)
    writer.add_figure("a training batch with its labels", figure, step)
    writer.close()


def chapter_data():
    """The chapter's 4,000 training images and 500 test images."""
    (train_images, train_labels), _ = load_tensors("fashion-mnist", train=True)
    (test_images, test_labels), _ = load_tensors("fashion-mnist", train=False)
    pick = torch.randperm(len(train_images), generator=torch.Generator().manual_seed(0))[:4000]
    return (train_images[pick], train_labels[pick]), (test_images[:500], test_labels[:500])


def new_run_dir():
    """A new folder of this chapter's runs, as the chapter names its RUN_DIR."""
    return course_dir() / "runs" / "08_debugging" / f"{datetime.now():%Y%m%d-%H%M%S}"


def exercise_1() -> None:
    """The diverging setting healed: SGD's learning rate at 0.1, not 20. At 2 it still
    jumps about; at 0.001, the tutorial's, it hardly moves in 60 steps. It lands above the
    healthy run (Adam at 0.001), whose loss falls faster."""
    train_run(new_run_dir() / "fixed", "divergence", *chapter_data(), lr=0.1)


def exercise_2() -> None:
    """The healthy setting for 300 steps: loss/test keeps falling and accuracy/test keeps
    rising (about 75 %), no overfitting yet."""
    train_run(new_run_dir() / "healthy_300", "healthy", *chapter_data(), steps=300)
