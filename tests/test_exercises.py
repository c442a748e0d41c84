"""Every exercise has a check and a solution, and each solution passes its check.

That the chapter's own run does not already count is in each chapter's stored output: its
last cell, compared by nbval, says "not yet" for every exercise after a Run All. Here each
chapter's solutions run in a fresh scratch course, and after each solution its own
exercise must be "done".
"""

from __future__ import annotations

import importlib
import re

import nbformat
import pytest
from test_notebooks import CHAPTERS, ROOT

from helpers.exercises import EXERCISES, exercise_status


def test_every_chapter_has_exercises_a_check_cell_and_solutions():
    assert sorted(EXERCISES) == CHAPTERS
    for chapter in CHAPTERS:
        cells = nbformat.read(ROOT / "notebooks" / f"{chapter}.ipynb", as_version=4).cells
        text = cells[-2].source if cells[-1].cell_type == "code" else cells[-1].source
        listed = re.findall(r"^(\d+)\. ", text[text.index("## Exercises"):], re.M)
        assert listed == [str(n) for n in range(1, len(EXERCISES[chapter]) + 1)], chapter
        assert cells[-1].cell_type == "code" and cells[-1].source.strip().endswith(
            f'check_exercises("{chapter}")'), f"{chapter}: end with the exercises' check cell"
        module = importlib.import_module(f"solutions.ch{chapter}")
        assert [f"exercise_{n}" for n in range(1, len(EXERCISES[chapter]) + 1)] == sorted(
            name for name in vars(module) if name.startswith("exercise_")), chapter


@pytest.mark.parametrize("chapter", [  # 07's solutions start torchrun processes
    pytest.param(c, marks=pytest.mark.server) if c == "07_distributed" else c for c in CHAPTERS])
def test_each_solution_passes_its_check(chapter, tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_DIR", str(tmp_path))
    (tmp_path / "data").symlink_to(ROOT / "data", target_is_directory=True)
    monkeypatch.chdir(tmp_path)
    assert [evidence for _, evidence in exercise_status(chapter)] == [None] * len(EXERCISES[chapter])
    module = importlib.import_module(f"solutions.ch{chapter}")
    for number in range(1, len(EXERCISES[chapter]) + 1):
        getattr(module, f"exercise_{number}")()
        status = exercise_status(chapter)
        assert status[number - 1][1], f"{chapter} exercise {number}: its solution does not pass"
