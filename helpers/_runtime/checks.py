"""The input checks behind the public helpers: each raises a clear error that says what was
wrong and what to do, so no library's traceback reaches the learner.

Example:
    >>> check_folder_to_show("no/such/folder")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    FileNotFoundError: No folder no/such/folder to show in TensorBoard: run the cells ...
"""

from __future__ import annotations

from pathlib import Path


def check_folder_to_show(logdir) -> Path:
    """``logdir`` as a folder that exists (a `SummaryWriter` stands for its own folder), or a
    clear error."""
    logdir = getattr(logdir, "log_dir", logdir)
    if not isinstance(logdir, str | Path):
        raise TypeError(f"Pass the folder to show, e.g. RUN_DIR.parent, got {logdir!r}.")
    logdir = Path(logdir)
    if logdir.is_file():
        raise NotADirectoryError(f"{logdir} is a file: show its folder ({logdir.parent}).")
    if not logdir.is_dir():
        raise FileNotFoundError(
            f"No folder {logdir} to show in TensorBoard: run the cells above first, "
            "they create it.")
    return logdir
