"""Comparing runs: a sweep with one run directory per setting, and checking its layout.

Example:
    >>> from helpers.compare import train_setting, sweep_problems
    >>> train_setting("runs/06_sweep", "lr0.01_bs128", 0.01, 128, train, test)  # doctest: +SKIP
    {'test accuracy': 0.7575, 'test loss': 0.66}
    >>> sweep_problems("runs/06_sweep", ["lr0.01_bs128"])  # doctest: +SKIP
    []
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.tensorboard import SummaryWriter
from torch.utils.tensorboard.summary import hparams

from helpers.board import RUN_NAME, event_files, find_runs
from helpers.data import CLASSES, make_loader
from helpers.model import Net, evaluating
from helpers.train import fit

Data = tuple[torch.Tensor, torch.Tensor]


def log_histograms(writer: SummaryWriter, net: nn.Module, step: int) -> None:
    """One histogram per layer of its weights (``weights/<layer>``) and, once there are
    any, of their gradients (``gradients/<layer>``). Biases are left out, and so is a
    layer with NaN or huge values (a diverged run's histograms stop where it broke).

    Example:
        >>> with SummaryWriter("runs/demo") as writer:  # doctest: +SKIP
        ...     log_histograms(writer, Net(), step=0)
    """
    tensors = {}
    for name, param in net.named_parameters():
        if name.endswith(".weight"):
            layer = name.removesuffix(".weight")
            tensors[f"weights/{layer}"] = param
            if param.grad is not None:
                tensors[f"gradients/{layer}"] = param.grad
    add_histograms(writer, step, tensors)


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


def check_hparams(hparam_dict: dict, domains: dict[str, list] | None = None) -> None:
    """Raise a clear error unless each setting is one plain value within its listed domain
    (the HParams tab hides a run whose value is not in the domain).

    Example:
        >>> check_hparams({"lr": 0.05}, {"lr": [0.01, 0.1]})  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        ValueError: lr=0.05 is not in its domain [0.01, 0.1]: ...
    """
    if not isinstance(hparam_dict, dict) or not hparam_dict:
        raise TypeError(f"hparams must be a dict of settings, e.g. {{'lr': 0.01}}, got {hparam_dict!r}")
    for key, value in hparam_dict.items():
        if not isinstance(value, int | float | str | bool):
            raise TypeError(f"hparam {key!r} is a {type(value).__name__} ({value!r}): give one plain "
                            "number, string or bool per run (a sweep has one run per value).")
        if domains and key in domains and value not in domains[key]:
            raise ValueError(f"{key}={value!r} is not in its domain {list(domains[key])}: add it to "
                             "the domains, or the HParams tab hides this run.")


def add_hparams_to_run(
    writer: SummaryWriter,
    hparam_dict: dict[str, float | int | str | bool],
    metric_dict: dict[str, float],
    hparam_domain_discrete: dict[str, list] | None = None,
) -> None:
    """Record a run's settings for the HParams dashboard in the writer's own event file.

    `SummaryWriter.add_hparams` instead opens a second writer in a new subdirectory named
    after the current time, which TensorBoard lists as one more run. The metrics are
    tags the run already logs as scalars: the dashboard shows their last value.

    Example:
        >>> add_hparams_to_run(writer, {"lr": 0.01}, {"test accuracy": 0.75})  # doctest: +SKIP
    """
    check_hparams(hparam_dict, hparam_domain_discrete)
    for summary in hparams(hparam_dict, metric_dict, hparam_domain_discrete):
        writer.file_writer.add_summary(summary)


def loss_and_accuracy(net: nn.Module, data: Data, batch_size: int = 1000) -> tuple[float, float]:
    """Mean cross-entropy loss and accuracy of ``net`` on in-memory ``(images, labels)``,
    computed from the model's outputs (``F.cross_entropy``), so a very wrong, very sure
    prediction counts in full, however large its loss.

    Example:
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


def every_n_steps(optimizer: torch.optim.Optimizer, n: int, callback: Callable[[int], None]):
    """Call ``callback(step)`` after every ``n``-th ``optimizer.step()``; returns the hook's
    handle (``handle.remove()`` stops it). Adds logging to any training loop, unchanged.

    Example:
        >>> net = Net()
        >>> opt = torch.optim.SGD(net.parameters(), lr=0.1)
        >>> handle = every_n_steps(opt, 2, lambda step: print("step", step))
        >>> for _ in range(4):
        ...     opt.step()
        step 2
        step 4
        >>> handle.remove()
    """
    steps = 0

    def hook(*_):
        nonlocal steps
        steps += 1
        if steps % n == 0:
            callback(steps)

    return optimizer.register_step_post_hook(hook)


def check_setting(sweep_dir: str | Path, name: str, lr: float, train_data: Data,
                  test_data: Data, hparams: dict | None = None,
                  domains: dict[str, list] | None = None) -> None:
    """Raise a clear error for a setting `train_setting` cannot train: before any training.

    Example:
        >>> check_setting("runs/06_sweep", "../escaped", 0.01, train, test)  # doctest: +SKIP
        Traceback (most recent call last):
        ...
        ValueError: Run name '../escaped' must be a plain name ...
    """
    if Path(sweep_dir).is_file():
        raise NotADirectoryError(f"{sweep_dir} is a file: pass the sweep's folder (RUN_DIR).")
    if isinstance(lr, bool) or not isinstance(lr, int | float) or not lr > 0:
        raise ValueError(f"lr must be a positive number, e.g. 0.01, got {lr!r}")
    check_hparams(hparams or {"lr": lr}, domains)
    for what, pair in (("train_data", train_data), ("test_data", test_data)):
        if not (isinstance(pair, tuple | list) and len(pair) == 2
                and all(isinstance(t, torch.Tensor) for t in pair)):
            raise TypeError(f"{what} must be (images, labels) tensors, e.g. to_tensors(dataset).")
        if len(pair[0]) != len(pair[1]) or len(pair[1]) == 0:
            raise ValueError(f"{what} has {len(pair[0])} images and {len(pair[1])} labels: they "
                             "must match and not be empty.")
    if not isinstance(name, str) or not RUN_NAME.match(name):
        raise ValueError(f"Run name {name!r} must be a plain name of letters, digits, '_', '-' "
                         "or '.', e.g. 'lr0.01_bs128': each setting's run goes directly in the "
                         "sweep's folder.")
    run = Path(sweep_dir) / name
    if run.exists() and any(run.iterdir()):
        raise FileExistsError(
            f"{run} already holds a run: training into it again would mix two runs in one "
            "folder. Run the cell that makes RUN_DIR again first (a new sweep folder), "
            "then this one.")


def train_setting(
    sweep_dir: str | Path,
    name: str,
    lr: float,
    batch_size: int,
    train_data: Data,
    test_data: Data,
    epochs: int = 1,
    log_every_images: int = 1024,
    domains: dict[str, list] | None = None,
) -> dict[str, float]:
    """Train a fresh, seeded `Net` with Adam(``lr``) and ``batch_size`` into the run
    ``<sweep_dir>/<name>``; return its final test metrics.

    The run gets: notes on the setting (Text), training loss and accuracy (from `fit`),
    test loss and accuracy, weight and gradient histograms, each every
    ``log_every_images`` images, so runs with different batch sizes log at the same
    points, and its settings with the final metrics (HParams). One directory, one
    event file.

    Example:
        >>> train_setting("runs/06_sweep", "lr0.01_bs128", 0.01, 128, train, test)  # doctest: +SKIP
        {'test accuracy': 0.7575, 'test loss': 0.66}
    """
    check_setting(sweep_dir, name, lr, train_data, test_data, {"lr": lr, "batch_size": batch_size},
                  domains)
    images, labels = train_data
    torch.manual_seed(0)
    net = Net(images.shape[1], images.shape[-1]).to(images.device,  # where the data is
                                                    memory_format=torch.channels_last)  # as in 04
    optimizer = torch.optim.Adam(net.parameters(), lr=lr)
    loader = make_loader(train_data, batch_size=batch_size, seed=0)
    log_every = max(1, log_every_images // batch_size)
    with SummaryWriter(str(Path(sweep_dir) / name)) as writer:
        writer.add_text("notes", f"Adam with lr={lr:g}, batch size {batch_size}, {epochs} epoch(s) "
                        f"of {len(labels)} training images, tested on {len(test_data[1])}.")

        def log_test(step: int) -> None:
            loss, acc = loss_and_accuracy(net, test_data)
            writer.add_scalar("test loss", loss, step)
            writer.add_scalar("test accuracy", acc, step)
            log_histograms(writer, net, step)

        log_histograms(writer, net, 0)  # the initial weights
        handle = every_n_steps(optimizer, log_every, log_test)
        try:
            result = fit(net, loader, optimizer, epochs=epochs, writer=writer, log_every=log_every,
                         figure_every=10**9, classes=CLASSES, progress=False)  # no figures here
        finally:
            handle.remove()
        if result.steps % log_every:
            log_test(result.steps)  # the final point
        loss, acc = loss_and_accuracy(net, test_data)
        if not math.isfinite(loss):
            warnings.warn(f"{name} diverged: its test loss is {loss}, so its curves and "
                          "histograms stop where the weights broke. Try a smaller lr.", stacklevel=2)
        metrics = {"test accuracy": acc, "test loss": loss}
        add_hparams_to_run(writer, {"lr": lr, "batch_size": batch_size}, metrics, domains)
    return metrics


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
