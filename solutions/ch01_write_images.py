"""Chapter 01's exercises, solved."""

from datetime import datetime

from torch.utils.tensorboard import SummaryWriter
from torchvision.utils import make_grid

from helpers.data import load_dataset, make_loader, make_transform
from helpers.paths import course_dir


def exercise_1() -> None:
    """16 images in one grid, 8 per row."""
    train_set, _ = load_dataset("fashion-mnist", train=True, transform=make_transform(1))
    images, _ = next(iter(make_loader(train_set, batch_size=16, seed=0)))
    run_dir = course_dir() / "runs" / "01_write_images" / f"{datetime.now():%Y%m%d-%H%M%S}-sixteen"
    writer = SummaryWriter(log_dir=run_dir)
    writer.add_image("sixteen_images", make_grid(images, nrow=8) / 2 + 0.5)
    writer.close()


def exercise_2() -> None:
    """One tag at steps 0, 1 and 2, from three batches: the step slider moves between them."""
    train_set, _ = load_dataset("fashion-mnist", train=True, transform=make_transform(1))
    dataiter = iter(make_loader(train_set, batch_size=4, seed=0))
    run_dir = course_dir() / "runs" / "01_write_images" / f"{datetime.now():%Y%m%d-%H%M%S}-three"
    writer = SummaryWriter(log_dir=run_dir)
    for step in range(3):
        images, _ = next(dataiter)
        writer.add_image("three_batches", make_grid(images) / 2 + 0.5, global_step=step)
    writer.close()
