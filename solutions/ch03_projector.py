"""Chapter 03's exercises, solved."""

from datetime import datetime

from torch.utils.tensorboard import SummaryWriter

from helpers.data import load_tensors, select_n_random
from helpers.paths import course_dir


def exercise_1() -> None:
    """1,000 points: the clusters are the same, only denser (N_POINTS = 1000 in the chapter)."""
    (all_images, all_labels), classes = load_tensors("fashion-mnist", train=True)
    images, labels = select_n_random(all_images, all_labels, n=1000, seed=0)
    run_dir = course_dir() / "runs" / "03_projector" / f"{datetime.now():%Y%m%d-%H%M%S}-thousand"
    writer = SummaryWriter(log_dir=run_dir)
    writer.add_embedding(images.reshape(len(images), -1), metadata=[classes[i] for i in labels],
                         label_img=images / 2 + 0.5, tag="pixels")
    writer.close()


def exercise_2() -> None:
    """Two metadata columns: Color by lists both, class and index."""
    (all_images, all_labels), classes = load_tensors("fashion-mnist", train=True)
    images, labels = select_n_random(all_images, all_labels, n=100, seed=0)
    class_labels = [classes[i] for i in labels]
    run_dir = course_dir() / "runs" / "03_projector" / f"{datetime.now():%Y%m%d-%H%M%S}-columns"
    writer = SummaryWriter(log_dir=run_dir)
    writer.add_embedding(images.reshape(len(images), -1),
                         metadata=[[c, str(i)] for i, c in enumerate(class_labels)],
                         metadata_header=["class", "index"], label_img=images / 2 + 0.5, tag="pixels")
    writer.close()
