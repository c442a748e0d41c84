"""Reading runs back: the numbers a chapter logged, and what each TensorBoard dashboard will
show for them, read with TensorBoard's own event reader. The reader itself is in
`helpers._runtime.runs`, which the exercise checks use too.

>>> print(summarize(RUN_DIR))  # doctest: +SKIP
dashboard  run  tag         what TensorBoard shows
---------  ---  ----------  ----------------------
(run)      .                1 event file
Scalars    .    loss/train  1 point, step 1
"""

from __future__ import annotations

from pathlib import Path

from helpers._runtime.runs import (
    event_files,
    find_runs,
    format_table,
    load_run,
    run_folder,
    run_name,
    summary_rows,
    warn_about,
    written_runs,
)

__all__ = ["event_files", "find_runs", "format_table", "load_run", "read_scalars", "summarize",
           "summary_rows"]


def read_scalars(logdir: str | Path) -> dict[str, dict[str, list[tuple[int, float]]]]:
    """All scalars under ``logdir``: ``{run: {tag: [(step, value), ...]}}``, runs relative to it.

    >>> read_scalars("runs/06_comparing_runs/20261123-141502")  # doctest: +SKIP
    {'lr0.01_bs32': {'loss/train': [(100, 0.91), ...]}, ...}
    """
    logdir = run_folder(logdir)
    runs = written_runs(logdir)  # at least one, or a clear error
    out: dict[str, dict[str, list[tuple[int, float]]]] = {}
    for run in runs:
        warn_about(run, logdir)
        acc = load_run(run)
        tags = acc.Tags()["scalars"]
        if tags:
            out[run_name(run, logdir)] = {
                tag: [(e.step, e.value) for e in acc.Scalars(tag)] for tag in sorted(tags)
            }
    return out


def summarize(logdir: str | Path) -> str:
    """What each TensorBoard dashboard will show for the runs under ``logdir``, as a text table.

    Read with TensorBoard's own event reader, keeping every event, so the counts are
    exactly what was written. Runs are named relative to ``logdir`` ('.' for itself),
    so the table is the same every time the same code runs.

    >>> print(summarize("runs/01_write_images/20261123-141502"))  # doctest: +SKIP
    dashboard  run  tag                         what TensorBoard shows
    ---------  ---  --------------------------  ----------------------
    (run)      .                                1 event file
    Images     .    four_fashion_mnist_images   1 image, 242x62 px, step 0
    """
    return format_table(summary_rows(logdir), ("dashboard", "run", "tag", "what TensorBoard shows"))
