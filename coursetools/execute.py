"""Run the chapters top to bottom and store their outputs: ``python -m coursetools.execute``.

Each chapter runs in a fresh kernel, in chapter order (chapter 05 loads chapter 04's
weights), in a scratch course folder whose ``data/`` is the course's own: the stored
outputs are what a learner's *Run All* prints, and the course's ``runs/`` and
``checkpoints/`` stay untouched. The output of a cell that shows TensorBoard's live frame
is not stored: saved, it is only an empty box until the cell runs again.

Example:
    >>> is_frame_cell(nbformat.v4.new_code_cell('%tensorboard --logdir "{RUN_DIR.parent}"'))
    True
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from coursetools.course import REPO, chapter_paths, link_data
from helpers.paths import COURSE_DIR_ENV

FRAME_CALLS = ("%tensorboard ",)


def is_frame_cell(cell: nbformat.NotebookNode) -> bool:
    """True for a code cell that shows TensorBoard's frame (TensorBoard's ``%tensorboard`` magic).

    Example:
        >>> is_frame_cell(nbformat.v4.new_code_cell("print(1)"))
        False
    """
    return cell.cell_type == "code" and any(call in cell.source for call in FRAME_CALLS)


def execute_chapter(path: Path, course: Path, timeout: int = 900) -> nbformat.NotebookNode:
    """Execute the notebook at ``path`` with ``$COURSE_DIR`` set to ``course``; return it with
    its outputs, the frame cells' left out.

    Example:
        >>> nb = execute_chapter(chapter_path("00"), scratch)  # doctest: +SKIP
    """
    nb = nbformat.read(path, as_version=4)
    env = dict(os.environ, PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""))
    env[COURSE_DIR_ENV] = str(course)
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3", record_timing=False,
                            resources={"metadata": {"path": str(path.parent)}})
    client.execute(env=env)
    for cell in nb.cells:
        if is_frame_cell(cell):
            cell.outputs = []
    return nb


def execute_chapters(paths: list[Path]) -> None:
    """Run the chapters at ``paths`` in order, in one fresh scratch course, and store each
    one's outputs in its file.

    Example:
        >>> execute_chapters(chapter_paths()[:1])  # doctest: +SKIP
        running notebooks/00_setup.ipynb ...
    """
    with tempfile.TemporaryDirectory(prefix="course-execute-") as tmp:
        course = link_data(Path(tmp))
        for path in paths:
            shown = path.relative_to(REPO) if path.is_relative_to(REPO) else path
            print(f"running {shown.as_posix()} ...", flush=True)
            nbformat.write(execute_chapter(path, course), path)


def main(argv: list[str] | None = None) -> int:
    """Command line: ``python -m coursetools.execute [00 04 ...]`` (default: every chapter)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("chapters", nargs="*", help="chapter numbers, e.g. 04 05 (default: all)")
    args = parser.parse_args(argv)
    paths = chapter_paths()
    if args.chapters:
        paths = [p for p in paths if p.name[:2] in args.chapters]
    execute_chapters(paths)
    return 0


if __name__ == "__main__":
    sys.exit(main())
