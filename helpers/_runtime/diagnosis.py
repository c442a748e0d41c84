"""Which of chapter 08's faults a run has, read back from its event files: the answer key
behind `helpers.debugging.report_diagnoses` and the chapter's exercises.

>>> sorted(mystery_faults()) == sorted(FAULTS)
True
"""

from __future__ import annotations

import math
import random
from pathlib import Path

from helpers._runtime.language import N_, _
from helpers._runtime.runs import load_run, run_folder

FAULTS: dict[str, str] = {
    "divergence": N_("Scalars: loss/train shoots up to huge values or turns NaN (triangles "
                     "along the top of the chart)."),
    "unnormalised inputs": N_("Histograms: inputs spread over 0..255 instead of -1..1; Images: "
                              "flat black silhouettes, no grey levels."),
    "dead layer": N_("Histograms: activations/fc1 are all exactly 0, and so are the gradients of "
                     "conv1 and fc1; Scalars: loss/train flat near ln 10 = 2.30."),
    "overfitting": N_("Scalars: loss/train falls while loss/test rises; accuracy/train far above "
                      "accuracy/test."),
    "label bug": N_("Images: the labels do not match the pictures; Scalars: loss/train stays "
                    "near 2.30 and accuracy/test near chance (10 %)."),
    "healthy": N_("nothing: loss/train and loss/test fall together."),
}
"""Each fault a run can have, with where TensorBoard shows it (in English: `_` translates)."""


def mystery_faults(seed: int = 0) -> list[str]:
    """All faults in a shuffled order, the same for the same seed: which run has which.

    >>> sorted(mystery_faults()) == sorted(FAULTS)
    True"""
    faults = list(FAULTS)
    random.Random(seed).shuffle(faults)
    return faults


def evidence(run_dir: str | Path) -> dict[str, float]:
    """The numbers that tell the faults apart, read back from a run's event files."""
    acc = load_run(run_folder(run_dir))
    tags = acc.Tags()
    if "loss/train" not in tags["scalars"]:
        raise FileNotFoundError(f"{run_dir} has no loss/train: train it first (train_run, chapter 08).")

    def values(tag: str) -> list[float]:
        return [e.value for e in acc.Scalars(tag)]

    def histogram_limits(tag: str) -> tuple[float, float]:
        if tag not in tags["histograms"]:
            return math.nan, math.nan
        last = acc.Histograms(tag)[-1].histogram_value
        return last.min, last.max

    train_loss, test_loss = values("loss/train"), values("loss/test")
    finite = [v for v in train_loss if math.isfinite(v)]
    gradient = histogram_limits("gradients/conv1")
    return {
        "first train loss": train_loss[0],
        "largest train loss": max(finite) if finite else math.inf,
        "steps until not finite": next((e.step for e in acc.Scalars("loss/train")
                                        if not math.isfinite(e.value)), 0),
        "last train loss": train_loss[-1],
        "last train accuracy": values("accuracy/train")[-1],
        "lowest test loss": min((v for v in test_loss if math.isfinite(v)), default=math.inf),
        "last test loss": test_loss[-1],
        "last test accuracy": values("accuracy/test")[-1],
        "largest input": histogram_limits("inputs")[1],
        "largest fc1 activation": histogram_limits("activations/fc1")[1],
        "largest conv1 gradient": max(abs(gradient[0]), abs(gradient[1])),
    }


def diagnose(run_dir: str | Path) -> tuple[str, str]:
    """The run's fault (one of `FAULTS`) and the numbers, from its event files, that show it."""
    e = evidence(run_dir)
    if e["steps until not finite"]:
        return "divergence", _("loss/train was {first:.2f} at first and turned NaN at step {step}: "
                               "the weights blew up.").format(first=e["first train loss"],
                                                              step=e["steps until not finite"])
    if e["largest train loss"] > 10 * e["first train loss"]:
        return "divergence", _("loss/train shot up from {first:.2f} to {largest:.3g}.").format(
            first=e["first train loss"], largest=e["largest train loss"])
    if e["largest input"] > 2:
        return "unnormalised inputs", _("the inputs histogram reaches {largest:.0f}, where normalised "
                                        "pixels stay within -1..1.").format(largest=e["largest input"])
    if e["largest fc1 activation"] == 0 and e["largest conv1 gradient"] == 0:
        return "dead layer", _("every fc1 activation is 0, conv1's gradients are 0, and loss/train "
                               "stays at {last:.2f}.").format(last=e["last train loss"])
    if e["last train loss"] > 1.9 and e["last test accuracy"] < 0.3:
        return "label bug", _("loss/train stays at {last:.2f} (ln 10 = 2.30 is guessing) and "
                              "accuracy/test at {accuracy:.1%}, though the layers are alive.").format(
            last=e["last train loss"], accuracy=e["last test accuracy"])
    if e["last test loss"] > 1.5 * e["lowest test loss"] and e["last train loss"] < 0.5 * e["last test loss"]:
        return "overfitting", _("loss/train fell to {train:.2f} while loss/test rose from {lowest:.2f} "
                                "to {test:.2f} (accuracy/train {train_accuracy:.1%}, accuracy/test "
                                "{accuracy:.1%}).").format(
            train=e["last train loss"], lowest=e["lowest test loss"], test=e["last test loss"],
            train_accuracy=e["last train accuracy"], accuracy=e["last test accuracy"])
    return "healthy", _("loss/train fell to {train:.2f} and loss/test to {test:.2f} together; "
                        "accuracy/test {accuracy:.1%}.").format(
        train=e["last train loss"], test=e["last test loss"], accuracy=e["last test accuracy"])
