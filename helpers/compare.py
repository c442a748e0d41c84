"""Comparing runs: the checks behind chapter 06's sweep, and its loss and accuracy on test data.

The sweep itself (its `SummaryWriter`, scalars, histograms, notes and HParams) is code in
chapter 06; this module only holds what would distract there.

>>> from helpers.compare import check_setting, sweep_problems
>>> check_setting("runs/06_sweep", "lr0.01_bs128", {"lr": 0.01, "batch_size": 128})
>>> sweep_problems("runs/06_sweep", ["lr0.01_bs128"])  # doctest: +SKIP
[]
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import torch.nn.functional as F
from torch import nn

from helpers._runtime.checks import check_setting, check_sweep_folder
from helpers.board import event_files, find_runs
from helpers.data import Data
from helpers.model import evaluating

__all__ = ["check_setting", "loss_and_accuracy", "sweep_problems"]


def loss_and_accuracy(net: nn.Module, data: Data, batch_size: int = 1000) -> tuple[float, float]:
    """Mean cross-entropy loss and accuracy of ``net`` on in-memory ``(images, labels)``,
    in ``eval()`` mode without gradients, computed from the model's outputs
    (``F.cross_entropy``), so a very wrong, very sure prediction counts in full.

    >>> import torch
    >>> from helpers.model import Net
    >>> loss, acc = loss_and_accuracy(Net(), (torch.zeros(4, 1, 28, 28), torch.arange(4)))
    >>> round(loss), 0 <= acc <= 1  # an untrained net: about ln(10) = 2.3
    (2, True)
    """
    images, labels = data
    total, correct = 0.0, 0
    with evaluating(net):
        for i in range(0, len(images), batch_size):
            logits = net(images[i:i + batch_size])
            truth = labels[i:i + batch_size].to(logits.device)
            total += F.cross_entropy(logits, truth, reduction="sum").item()
            correct += (logits.argmax(dim=1) == truth).sum().item()
    return total / len(labels), correct / len(labels)


def sweep_problems(logdir: str | Path, names: Sequence[str],
                   allowed_sub_runs: Sequence[str] = ()) -> list[str]:
    """What is wrong with a sweep's layout: each of ``names`` must be a run directory
    directly in ``logdir``, and nothing else may be there. Runs nested in them are
    stray unless named in ``allowed_sub_runs`` (e.g. ``"lr0.01_bs128/loss_train"``).

    >>> sweep_problems("runs/06_sweep", ["lr0.01_bs128"])  # doctest: +SKIP
    []
    """
    logdir = check_sweep_folder(logdir, names)  # a folder that exists, names in a list
    runs = set(find_runs(logdir))
    problems = [f"missing run: {name}" for name in names if logdir / name not in runs]
    problems += [f"stray: {path.name}" for path in sorted(logdir.iterdir())
                 if path.name not in names]
    allowed = {logdir / name for name in names} | {logdir / sub for sub in allowed_sub_runs}
    for name in names:
        count = len(event_files(logdir / name)) if logdir / name in runs else 0
        if count > 1:
            problems.append(f"mixed runs: {name} has {count} event files (trained twice?)")
    for run in sorted(runs - allowed - {logdir}):
        rel = run.relative_to(logdir)
        if rel.parts[0] in names:  # runs inside a stray folder are reported with the folder
            problems.append(f"stray run: {rel.as_posix()}")
    return problems
