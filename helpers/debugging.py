"""Broken training runs for chapter 08, and how each fault shows in TensorBoard.

Chapter 08 trains the tutorial's `Net` once per fault in `FAULTS` with a function of its
own, which logs the losses and accuracies (Scalars), the inputs, activations, weights and
gradients (Histograms) and a batch with its labels (Images). Only the faults are hidden
here: `break_training` makes them, `mystery_faults` gives the order of the chapter's runs.
`helpers._runtime.diagnosis` reads a run back from its event files and names its fault
with the numbers that show it; `report_diagnoses` says which of a learner's answers are right.

>>> optimizer, train, test = break_training("overfitting", net, train, test)  # doctest: +SKIP
>>> diagnose("runs/08_debugging/20261125-101500/run_1")[0]  # doctest: +SKIP
'overfitting'
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from helpers._runtime.checks import check_answers
from helpers._runtime.diagnosis import FAULTS, diagnose, mystery_faults
from helpers._runtime.language import _
from helpers._runtime.runs import format_table, load_run, run_folder
from helpers.data import Data

__all__ = ["FAULTS", "break_training", "mystery_faults", "report_diagnoses", "run_overview"]




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


def run_overview(logdir: str | Path) -> str:
    """A table of what each run in ``logdir`` logged: its tags per dashboard, with the
    points of its scalars.

    >>> print(run_overview("runs/08_debugging/20261125-101500"))  # doctest: +SKIP
    run    Scalars                 Histograms  Images
    ...
    """
    rows = []
    for run in sorted(p for p in Path(run_folder(logdir)).iterdir() if p.is_dir()):
        acc = load_run(run)
        tags = acc.Tags()
        points = "/".join(map(str, sorted({len(acc.Scalars(tag)) for tag in tags["scalars"]})))
        rows.append((run.name, f"{len(tags['scalars'])} tags, {points} points each",
                     f"{len(tags['histograms'])} tags", f"{len(tags['images'])} figure(s)"))
    return format_table(rows, ("run", "Scalars", "Histograms", "Images"))


def report_diagnoses(logdir: str | Path, answers: dict[str, str], seed: int = 0) -> None:
    """Print, for each run in ``answers`` (``run_1``, ... in the order of `mystery_faults`), whether
    the named fault is right, with the numbers and the chart that show it, and how many are
    right. A wrong answer gets a hint, never the answer.

    >>> report_diagnoses("runs/08_debugging/20261125-101500", {"run_1": "label bug"})  # doctest: +SKIP
    run_1: right, label bug: loss/train stays at 2.30 ... Where: Images: the labels ...
    1 of 1 right.
    """
    folder = check_answers(logdir, answers)  # a dict, for a folder of runs
    truth = {f"run_{number}": fault for number, fault in enumerate(mystery_faults(seed), start=1)}
    right = 0
    for name, answer in answers.items():
        if name not in truth or not (folder / name).is_dir():
            print(_("{name}: there is no such run in {logdir}; the runs are {runs}.").format(
                name=name, logdir=logdir, runs=sorted(p.name for p in folder.iterdir())))
            continue
        fault = truth[name]
        if answer in ("", "?", None):
            print(_("{name}: not answered yet.").format(name=name))
        elif answer not in FAULTS:
            print(_("{name}: {answer!r} is not one of the faults {faults}.").format(
                name=name, answer=answer, faults=list(FAULTS)))
        elif answer == fault:
            right += 1
            seen, why = diagnose(folder / name)
            evidence = why + " " if seen == fault else ""  # the numbers, where they agree
            print(_("{name}: right, {fault}: {evidence}Where: {where}").format(
                name=name, fault=fault, evidence=evidence, where=_(FAULTS[fault])))
        elif answer == "healthy":
            print(_("{name}: not healthy: something in this run is broken. Compare it with the "
                    "others: Scalars first, then Histograms and Images.").format(name=name))
        else:
            print(_("{name}: not {answer}: {dashboard} does not show that for this run. Look "
                    "again.").format(name=name, answer=answer, dashboard=FAULTS[answer].split(":")[0]))
    print(_("{right} of {answers} right.").format(right=right, answers=len(answers)))
