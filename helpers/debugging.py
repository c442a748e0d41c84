"""Broken training runs for chapter 08, and how each fault shows in TensorBoard.

Chapter 08 trains the tutorial's `Net` once per fault in `FAULTS` with a function of its
own, which logs the losses and accuracies (Scalars), the inputs, activations, weights and
gradients (Histograms) and a batch with its labels (Images). Only the faults are hidden
here: `break_training` makes them, `mystery_faults` gives the order of the chapter's runs.
`diagnose` reads a run back from its event files and names its fault with the numbers that
show it; `check_diagnoses` says which of a learner's answers are right.

Example:
    >>> optimizer, train, test = break_training("overfitting", net, train, test)  # doctest: +SKIP
    >>> diagnose("runs/08_debugging/20261125-101500/run_1")[0]  # doctest: +SKIP
    'overfitting'
"""

from __future__ import annotations

import math
import random
from pathlib import Path

import torch
from torch import nn

from helpers.board import format_table, load_run, run_folder

FAULTS: dict[str, str] = {
    "divergence": "Scalars: loss/train shoots up to huge values or turns NaN (triangles "
                  "along the top of the chart).",
    "unnormalised inputs": "Histograms: inputs spread over 0..255 instead of -1..1; Images: "
                           "flat black silhouettes, no grey levels.",
    "dead layer": "Histograms: activations/fc1 are all exactly 0, and so are the gradients of "
                  "conv1 and fc1; Scalars: loss/train flat near ln 10 = 2.30.",
    "overfitting": "Scalars: loss/train falls while loss/test rises; accuracy/train far above "
                   "accuracy/test.",
    "label bug": "Images: the labels do not match the pictures; Scalars: loss/train stays "
                 "near 2.30 and accuracy/test near chance (10 %).",
    "healthy": "nothing: loss/train and loss/test fall together.",
}
"""Each fault a run can have, with where TensorBoard shows it."""

Data = tuple[torch.Tensor, torch.Tensor]


def mystery_faults(seed: int = 0) -> list[str]:
    """All faults in a shuffled order, the same for the same seed: which run has which.

    Example:
        >>> sorted(mystery_faults()) == sorted(FAULTS)
        True
    """
    faults = list(FAULTS)
    random.Random(seed).shuffle(faults)
    return faults


def break_training(fault: str, net: nn.Module, train_data: Data,
                   test_data: Data) -> tuple[torch.optim.Optimizer, Data, Data]:
    """Apply ``fault`` to a fresh ``net`` and its data; return the optimizer and the training
    and test data as the broken pipeline gives them (``"healthy"`` changes nothing)."""
    if fault not in FAULTS:
        raise ValueError(f"Unknown fault {fault!r}; choose one of {list(FAULTS)}.")
    (images, labels), (test_images, test_labels) = train_data, test_data
    optimizer = torch.optim.Adam(net.parameters(), lr=1e-3)
    if fault == "divergence":
        optimizer = torch.optim.SGD(net.parameters(), lr=20.0, momentum=0.9)  # the tutorial: lr=0.001
    elif fault == "unnormalised inputs":  # raw pixel values 0..255, in training and testing
        images, test_images = images * 127.5 + 127.5, test_images * 127.5 + 127.5
    elif fault == "dead layer":  # a bad initialisation: fc1's ReLUs never fire
        with torch.no_grad():
            net.fc1.bias.fill_(-100.0)
    elif fault == "overfitting":  # far too few training images for this many steps
        images, labels = images[:32], labels[:32]
    elif fault == "label bug":  # labels shuffled apart from their images
        labels = labels[torch.randperm(len(labels), generator=torch.Generator().manual_seed(0))]
    return optimizer, (images, labels), (test_images, test_labels)


def run_overview(folder: str | Path) -> str:
    """A table of what each run in ``folder`` logged: its tags per dashboard, with the
    points of its scalars.

    Example:
        >>> print(run_overview("runs/08_debugging/20261125-101500"))  # doctest: +SKIP
        run    Scalars                 Histograms  Images
        ...
    """
    rows = []
    for run in sorted(p for p in Path(run_folder(folder)).iterdir() if p.is_dir()):
        acc = load_run(run)
        tags = acc.Tags()
        points = "/".join(map(str, sorted({len(acc.Scalars(tag)) for tag in tags["scalars"]})))
        rows.append((run.name, f"{len(tags['scalars'])} tags, {points} points each",
                     f"{len(tags['histograms'])} tags", f"{len(tags['images'])} figure(s)"))
    return format_table(rows, ("run", "Scalars", "Histograms", "Images"))


def evidence(run_dir: str | Path) -> dict[str, float]:
    """The numbers that tell the faults apart, read back from a run's event files.

    Example:
        >>> evidence("runs/08_debugging/20261125-101500/run_1")["last test accuracy"]  # doctest: +SKIP
        0.781
    """
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
    """The run's fault (one of `FAULTS`) and the numbers, from its event files, that show it.

    Example:
        >>> diagnose("runs/08_debugging/20261125-101500/run_1")  # doctest: +SKIP
        ('overfitting', 'accuracy/train reached 100.0 % while loss/test rose from ...')
    """
    e = evidence(run_dir)
    if e["steps until not finite"]:
        return "divergence", (f"loss/train was {e['first train loss']:.2f} at first and turned NaN "
                              f"at step {e['steps until not finite']}: the weights blew up.")
    if e["largest train loss"] > 10 * e["first train loss"]:
        return "divergence", (f"loss/train shot up from {e['first train loss']:.2f} to "
                              f"{e['largest train loss']:.3g}.")
    if e["largest input"] > 2:
        return "unnormalised inputs", (f"the inputs histogram reaches {e['largest input']:.0f}, "
                                       "where normalised pixels stay within -1..1.")
    if e["largest fc1 activation"] == 0 and e["largest conv1 gradient"] == 0:
        return "dead layer", (f"every fc1 activation is 0, conv1's gradients are 0, and "
                              f"loss/train stays at {e['last train loss']:.2f}.")
    if e["last train loss"] > 1.9 and e["last test accuracy"] < 0.3:
        return "label bug", (f"loss/train stays at {e['last train loss']:.2f} (ln 10 = 2.30 is "
                             f"guessing) and accuracy/test at {e['last test accuracy']:.1%}, "
                             "though the layers are alive.")
    if e["last test loss"] > 1.5 * e["lowest test loss"] and e["last train loss"] < 0.5 * e["last test loss"]:
        return "overfitting", (f"loss/train fell to {e['last train loss']:.2f} while loss/test rose "
                               f"from {e['lowest test loss']:.2f} to {e['last test loss']:.2f} "
                               f"(accuracy/train {e['last train accuracy']:.1%}, accuracy/test "
                               f"{e['last test accuracy']:.1%}).")
    return "healthy", (f"loss/train fell to {e['last train loss']:.2f} and loss/test to "
                       f"{e['last test loss']:.2f} together; accuracy/test "
                       f"{e['last test accuracy']:.1%}.")


def check_diagnoses(run_dir: str | Path, answers: dict[str, str], seed: int = 0) -> None:
    """Print, for each run in ``answers`` (``run_1``, ... in the order of `mystery_faults`), whether
    the named fault is right, with the numbers and the chart that show it, and how many are
    right. A wrong answer gets a hint, never the answer.

    Example:
        >>> check_diagnoses("runs/08_debugging/20261125-101500", {"run_1": "label bug"})  # doctest: +SKIP
        run_1: right, label bug: loss/train stays at 2.30 ... Where: Images: the labels ...
        1 of 1 right.
    """
    if not isinstance(answers, dict):
        raise TypeError("Pass your answers as a dict, e.g. {'run_1': 'overfitting', ...}.")
    folder = Path(run_folder(run_dir))
    truth = {f"run_{number}": fault for number, fault in enumerate(mystery_faults(seed), start=1)}
    right = 0
    for name, answer in answers.items():
        if name not in truth or not (folder / name).is_dir():
            print(f"{name}: there is no such run in {run_dir}; the runs are "
                  f"{sorted(p.name for p in folder.iterdir())}.")
            continue
        fault = truth[name]
        if answer in ("", "?", None):
            print(f"{name}: not answered yet.")
        elif answer not in FAULTS:
            print(f"{name}: {answer!r} is not one of the faults {list(FAULTS)}.")
        elif answer == fault:
            right += 1
            seen, why = diagnose(folder / name)
            evidence = why + " " if seen == fault else ""  # the numbers, where they agree
            print(f"{name}: right, {fault}: {evidence}Where: {FAULTS[fault]}")
        elif answer == "healthy":
            print(f"{name}: not healthy: something in this run is broken. Compare it with the "
                  "others: Scalars first, then Histograms and Images.")
        else:
            print(f"{name}: not {answer}: {FAULTS[answer].split(':')[0]} does not show that for "
                  "this run. Look again.")
    print(f"{right} of {len(answers)} right.")
