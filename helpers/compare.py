"""Comparing runs: the checks behind chapter 06's sweep, and numbers other chapters share.

The sweep itself (its `SummaryWriter`, scalars, histograms, notes and HParams) is code in
chapter 06; this module only holds what would distract there.

Example:
    >>> from helpers.compare import check_setting, sweep_problems
    >>> check_setting("runs/06_sweep", "lr0.01_bs128", {"lr": 0.01, "batch_size": 128})
    >>> sweep_problems("runs/06_sweep", ["lr0.01_bs128"])  # doctest: +SKIP
    []
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.tensorboard import SummaryWriter

from helpers.board import RUN_NAME, event_files, find_runs
from helpers.model import evaluating

Data = tuple[torch.Tensor, torch.Tensor]


def add_histograms(writer: SummaryWriter, step: int, tensors: dict[str, torch.Tensor]) -> None:
    """One histogram per tag, leaving out a tensor with NaN or huge values (a diverged run):
    TensorBoard cannot bucket those.

    Example:
        >>> add_histograms(writer, 10, {"inputs": images})  # doctest: +SKIP
    """
    for tag, values in tensors.items():
        values = values.detach().cpu()
        if values.abs().lt(1e20).all():  # NaN or beyond TensorBoard's buckets
            writer.add_histogram(tag, values, step)


def check_hparams(hparam_dict: dict) -> None:
    """Raise a clear error unless each setting is one plain value (what the HParams tab can
    show in a table cell).

    Example:
        >>> check_hparams({"lr": [0.01, 0.1]})  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        TypeError: hparam 'lr' is a list ([0.01, 0.1]): give one plain number, ...
    """
    if not isinstance(hparam_dict, dict) or not hparam_dict:
        raise TypeError(f"hparams must be a dict of settings, e.g. {{'lr': 0.01}}, got {hparam_dict!r}")
    for key, value in hparam_dict.items():
        if not isinstance(value, int | float | str | bool):
            raise TypeError(f"hparam {key!r} is a {type(value).__name__} ({value!r}): give one plain "
                            "number, string or bool per run (a sweep has one run per value).")


def check_setting(sweep_dir: str | Path, name: str, hparam_dict: dict) -> None:
    """Raise a clear error, before any training, for a setting that cannot be trained into
    the run ``<sweep_dir>/<name>``: a name that is not a plain folder name, a run folder
    already in use, a setting that is not one plain value, a learning rate that is not
    a positive number.

    Example:
        >>> check_setting("runs/06_sweep", "../escaped", {"lr": 0.01})  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        ValueError: Run name '../escaped' must be a plain name of letters, digits, ...
    """
    if Path(sweep_dir).is_file():
        raise NotADirectoryError(f"{sweep_dir} is a file: pass the sweep's folder (RUN_DIR).")
    if not isinstance(name, str) or not RUN_NAME.match(name):
        raise ValueError(f"Run name {name!r} must be a plain name of letters, digits, '_', '-' "
                         "or '.', e.g. 'lr0.01_bs128': each setting's run goes directly in the "
                         "sweep's folder.")
    check_hparams(hparam_dict)
    lr = hparam_dict.get("lr", 1)
    if isinstance(lr, bool) or not isinstance(lr, int | float) or not lr > 0:
        raise ValueError(f"lr must be a positive number, e.g. 0.01, got {lr!r}")
    run = Path(sweep_dir) / name
    if run.exists() and any(run.iterdir()):
        raise FileExistsError(
            f"{run} already holds a run: training into it again would mix two runs in one "
            "folder. Run the cell that makes RUN_DIR again first (a new sweep folder), "
            "then this one.")


def loss_and_accuracy(net: nn.Module, data: Data, batch_size: int = 1000) -> tuple[float, float]:
    """Mean cross-entropy loss and accuracy of ``net`` on in-memory ``(images, labels)``,
    in ``eval()`` mode without gradients, computed from the model's outputs
    (``F.cross_entropy``), so a very wrong, very sure prediction counts in full.

    Example:
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


def sweep_problems(sweep_dir: str | Path, names: Sequence[str],
                   allowed_sub_runs: Sequence[str] = ()) -> list[str]:
    """What is wrong with a sweep's layout: each of ``names`` must be a run directory
    directly in ``sweep_dir``, and nothing else may be there. Runs nested in them are
    stray unless named in ``allowed_sub_runs`` (e.g. ``"lr0.01_bs128/loss_train"``).

    Example:
        >>> sweep_problems("runs/06_sweep", ["lr0.01_bs128"])  # doctest: +SKIP
        []
    """
    if isinstance(names, str):
        raise TypeError(f"Pass the run names as a list, e.g. [{names!r}], not one string.")
    sweep_dir = Path(sweep_dir)
    if sweep_dir.is_file():
        raise NotADirectoryError(f"{sweep_dir} is a file: pass the sweep's folder (RUN_DIR).")
    if not sweep_dir.is_dir():
        raise FileNotFoundError(f"No sweep folder {sweep_dir}: run the cells that train the sweep.")
    runs = set(find_runs(sweep_dir))
    problems = [f"missing run: {name}" for name in names if sweep_dir / name not in runs]
    problems += [f"stray: {path.name}" for path in sorted(sweep_dir.iterdir())
                 if path.name not in names]
    allowed = {sweep_dir / name for name in names} | {sweep_dir / sub for sub in allowed_sub_runs}
    for name in names:
        count = len(event_files(sweep_dir / name)) if sweep_dir / name in runs else 0
        if count > 1:
            problems.append(f"mixed runs: {name} has {count} event files (trained twice?)")
    for run in sorted(runs - allowed - {sweep_dir}):
        rel = run.relative_to(sweep_dir)
        if rel.parts[0] in names:  # runs inside a stray folder are reported with the folder
            problems.append(f"stray run: {rel.as_posix()}")
    return problems
