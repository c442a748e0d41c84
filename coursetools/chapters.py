"""The chapters' own runs, for the dashboard tests and the screenshots: one source of truth.

Every run that a test or a screenshot looks at was written by a chapter, executed top to
bottom as a learner's *Run All* does (`coursetools.execute.execute_chapter`). A course
folder that already holds a chapter's run (the test session's, after nbval executed the
chapters) is used as it is; a chapter without a run is executed first.

Example:
    >>> runs = chapter_runs(course, logdir)  # doctest: +SKIP
    >>> runs["04_training"].relative_to(logdir).as_posix()  # doctest: +SKIP
    '04_training/20261125-211500'
"""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat

from coursetools.course import chapter_names, chapter_path
from coursetools.execute import execute_chapter

NEEDS = {"05_pr_curves": "04_training"}  # chapter 05 loads the weights chapter 04 saves


def newest_run(course: Path, chapter: str) -> Path | None:
    """The newest run a chapter wrote in ``course`` (``runs/<chapter>/<date>-<time>``), if any.

    Example:
        >>> newest_run(Path("/nowhere"), "04_training") is None
        True
    """
    folder = Path(course) / "runs" / chapter
    runs = sorted(p for p in folder.iterdir() if p.is_dir()) if folder.is_dir() else []
    return runs[-1] if runs else None


def execute_missing(course: Path, names: list[str]) -> list[str]:
    """Execute, in order, each chapter of ``names`` that has no run in ``course`` yet (and
    the chapter it needs); return the ones executed.

    Example:
        >>> execute_missing(course, ["04_training"])  # doctest: +SKIP
        ['04_training']
    """
    missing = [name for name in names if newest_run(course, name) is None]
    for name in list(missing):
        if name in NEEDS and NEEDS[name] not in missing:
            missing.append(NEEDS[name])
    done = []
    for name in chapter_names():
        if name in missing:
            execute_chapter(chapter_path(name), course)
            done.append(name)
    return done


def chapter_runs(course: Path, logdir: Path, names: list[str] | None = None) -> dict[str, Path]:
    """Copy the newest run of each chapter (all by default) from ``course`` into
    ``logdir/<chapter>/<run>``, executing the chapters that have none; ``{chapter: run}``.

    Example:
        >>> sorted(chapter_runs(course, logdir))[:2]  # doctest: +SKIP
        ['00_setup', '01_write_images']
    """
    names = chapter_names() if names is None else names
    execute_missing(Path(course), names)
    runs = {}
    for name in names:
        source = newest_run(course, name)
        if source is None:
            raise RuntimeError(f"{name} wrote no run under {course}/runs/{name}: run it and see.")
        runs[name] = Path(shutil.copytree(source, Path(logdir) / name / source.name))
    return runs


def chapter_value(chapter: str, name: str):
    """The value a chapter's code cells give a setting (``N_POINTS = 100``), read from the
    notebook itself so that tests and pictures follow the chapter. Settings made of earlier
    settings (``NAMES = [f"lr{lr:g}" for lr, _ in SETTINGS]``) are evaluated with them.

    Example:
        >>> chapter_value("03_projector", "N_POINTS")
        100
    """
    import ast

    notebook = nbformat.read(chapter_path(chapter), as_version=4)
    known: dict = {}
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        source = "\n".join(line for line in cell.source.splitlines()
                           if not line.lstrip().startswith(("%", "!")))
        for node in ast.parse(source).body:
            targets = [t.id for t in getattr(node, "targets", []) if isinstance(t, ast.Name)]
            if not isinstance(node, ast.Assign) or len(targets) != 1 or not targets[0].isupper():
                continue
            try:
                known[targets[0]] = ast.literal_eval(node.value)
            except ValueError:  # an expression: of earlier settings, or of anything else
                try:
                    known[targets[0]] = eval(compile(ast.Expression(node.value), chapter, "eval"),
                                             {"__builtins__": {"sorted": sorted}}, dict(known))
                except Exception:  # noqa: BLE001 - not a setting (e.g. a path from a call)
                    continue
            if targets[0] == name:
                return known[name]
    raise KeyError(f"{chapter} sets no {name}")
