"""Chapter 03's exercises, solved."""

from helpers.board import make_writer
from helpers.data import CLASSES, load_tensors, select_n_random


def exercise_1() -> None:
    """1,000 points: the clusters are the same, only denser (N_POINTS = 1000 in the chapter)."""
    images, labels = select_n_random(*load_tensors("fashion-mnist")[0], n=1000, seed=0)
    with make_writer("03_projector") as writer:
        writer.add_embedding(images.reshape(len(images), -1), metadata=[CLASSES[i] for i in labels],
                             label_img=images / 2 + 0.5)


def exercise_2() -> None:
    """Two metadata columns: Color by lists both, class and index."""
    images, labels = select_n_random(*load_tensors("fashion-mnist")[0], n=100, seed=0)
    class_labels = [CLASSES[i] for i in labels]
    with make_writer("03_projector") as writer:
        writer.add_embedding(images.reshape(len(images), -1),
                             metadata=[[c, str(i)] for i, c in enumerate(class_labels)],
                             metadata_header=["class", "index"], label_img=images / 2 + 0.5)
