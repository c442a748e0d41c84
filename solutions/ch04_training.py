"""Chapter 04's exercises, solved: the chapter's training loop with one change each. Here it
trains for two epochs, so a solution runs in seconds; in the chapter, change the loop itself
and run the writer cell and the loop again."""

from datetime import datetime

import torch
import torch.nn.functional as F
from torch.utils.tensorboard import SummaryWriter

from helpers.data import IMAGE_SHAPES, load_tensors, make_loader
from helpers.model import Net
from helpers.paths import course_dir
from helpers.plots import plot_classes_preds  # the chapter's function
from helpers.train import evaluate

DATASET = "fashion-mnist"


def _train(figure_images: int = 4, test_loss: bool = False, epochs: int = 2) -> None:
    """The chapter's loop: ``figure_images`` images per figure, and with ``test_loss`` the
    test loss logged as loss/test at the step of accuracy/test."""
    (train_images, train_labels), classes = load_tensors(DATASET, train=True)
    (test_images, test_labels), _ = load_tensors(DATASET, train=False)
    torch.manual_seed(0)
    net = Net(*IMAGE_SHAPES[DATASET])
    train_loader = make_loader((train_images, train_labels), batch_size=128, seed=0)
    optimizer = torch.optim.Adam(net.parameters(), lr=0.01)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(
        optimizer, max_lr=0.01, total_steps=epochs * len(train_loader), pct_start=0.1)
    run_dir = course_dir() / "runs" / "04_training" / f"{datetime.now():%Y%m%d-%H%M%S}"
    writer = SummaryWriter(log_dir=run_dir)
    step = 0
    for _epoch in range(epochs):
        net.train()
        running_loss, running_correct, running_seen = 0.0, 0, 0
        for images, labels in train_loader:
            optimizer.zero_grad()
            outputs = net(images)
            loss = F.cross_entropy(outputs, labels)
            loss.backward()
            optimizer.step()
            scheduler.step()
            step += 1
            running_loss += loss.item() * len(labels)
            running_correct += (outputs.argmax(dim=1) == labels).sum().item()
            running_seen += len(labels)
            if step % 100 == 0:
                writer.add_scalar("loss/train", running_loss / running_seen, step)
                writer.add_scalar("accuracy/train", running_correct / running_seen, step)
                writer.add_scalar("optimizer/learning rate", scheduler.get_last_lr()[0], step)
                if step % 500 == 0:
                    figure = plot_classes_preds(net, images[:figure_images], labels[:figure_images], classes)
                    writer.add_figure("predictions vs. actuals", figure, global_step=step)
                writer.flush()
                running_loss, running_correct, running_seen = 0.0, 0, 0
        writer.add_scalar("accuracy/test", evaluate(net, (test_images, test_labels)), step)
        if test_loss:  # exercise 2: the same step as accuracy/test
            net.eval()
            with torch.no_grad():
                writer.add_scalar("loss/test", F.cross_entropy(net(test_images), test_labels).item(), step)
        writer.flush()
    writer.close()


def exercise_1() -> None:
    """8 images per figure: plot_classes_preds(net, images[:8], labels[:8], classes)."""
    _train(figure_images=8)


def exercise_2() -> None:
    """The test loss as loss/test after each epoch, at the step of accuracy/test."""
    _train(test_loss=True)
