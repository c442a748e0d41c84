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
"""

from helpers.board import new_run_dir
from helpers.data import load_tensors, select_n_random
from helpers.debugging import train_run

DIAGNOSES = {
    "run_1": "label bug",
    "run_2": "dead layer",
    "run_3": "unnormalised inputs",
    "run_4": "divergence",
    "run_5": "healthy",
    "run_6": "overfitting",
}


def _data():
    train = select_n_random(*load_tensors("fashion-mnist", train=True)[0], n=4000, seed=0)
    test_images, test_labels = load_tensors("fashion-mnist", train=False)[0]
    return train, (test_images[:500], test_labels[:500])


def exercise_1() -> None:
    """The diverging setting healed: SGD's learning rate at 0.1, not 20 (at 0.001, the
    tutorial's, it hardly moves in 60 steps)."""
    train_run(new_run_dir("08_debugging") / "fixed", "divergence", *_data(), lr=0.1)


def exercise_2() -> None:
    """The healthy run for 300 steps: accuracy/test keeps rising, no overfitting yet."""
    train_run(new_run_dir("08_debugging") / "healthy_300", "healthy", *_data(), steps=300)
