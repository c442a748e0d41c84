"""Chapter 01's exercises, solved."""

from torchvision.utils import make_grid

from helpers.board import make_writer
from helpers.data import load_dataset, make_loader


def exercise_1() -> None:
    """16 images in one grid, 8 per row."""
    train_set, _ = load_dataset("fashion-mnist", train=True)
    images, _ = next(iter(make_loader(train_set, batch_size=16, seed=0)))
    with make_writer("01_write_images") as writer:
        writer.add_image("sixteen_images", make_grid(images, nrow=8) / 2 + 0.5)


def exercise_2() -> None:
    """One tag at steps 0, 1 and 2, from three batches: the step slider moves between them."""
    train_set, _ = load_dataset("fashion-mnist", train=True)
    batches = iter(make_loader(train_set, batch_size=4, seed=0))
    with make_writer("01_write_images") as writer:
        for step in range(3):
            images, _ = next(batches)
            writer.add_image("three_batches", make_grid(images) / 2 + 0.5, global_step=step)
