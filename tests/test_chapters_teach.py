"""Each chapter teaches TensorBoard's own API: the calls it is about are in its code cells.

A learner who finishes the course must be able to write ``torch.utils.tensorboard`` code
without the course: every chapter that writes creates its `SummaryWriter` in its own code,
every chapter that shows TensorBoard loads the extension and runs ``%tensorboard`` itself,
and every ``add_*`` call a chapter is about is a line the learner reads, runs and can change
(in chapter 07, a line of the script its ``%%writefile`` cell writes).
"""

from __future__ import annotations

import re

import nbformat
import pytest

from coursetools.course import chapter_names, chapter_path

pytestmark = pytest.mark.unit


TEACHES: dict[str, list[str]] = {
    "00_setup": ["add_scalar", "flush", "close"],
    "01_write_images": ["make_grid", "add_image"],
    "02_graph": ["add_graph"],
    "03_projector": ["add_embedding"],
    "04_training": ["add_scalar", "add_figure", "flush"],
    "05_pr_curves": ["add_pr_curve"],
    "06_comparing_runs": ["add_scalar", "add_histogram", "add_text", "add_hparams|hparams"],
    "07_distributed": ["add_scalar", "all_reduce"],
    "08_debugging": ["add_scalar", "add_histogram", "register_forward_hook", "add_figure|add_image"],
}
"""The TensorBoard (and PyTorch) calls each chapter is about."""


def code_of(chapter: str) -> str:
    nb = nbformat.read(chapter_path(chapter), as_version=4)
    return "\n".join(cell.source for cell in nb.cells if cell.cell_type == "code")


def calls(code: str, name: str) -> bool:
    return any(re.search(rf"\b{alternative}\(", code) for alternative in name.split("|"))


def test_every_chapter_is_listed():
    assert sorted(TEACHES) == chapter_names()


@pytest.mark.parametrize("chapter", sorted(TEACHES))
def test_the_chapter_writes_with_its_own_summary_writer(chapter):
    code = code_of(chapter)
    assert re.search(r"^from torch\.utils\.tensorboard import .*SummaryWriter", code, re.M), chapter
    assert calls(code, "SummaryWriter"), f"{chapter} creates no SummaryWriter in its code cells"
    assert "make_writer(" not in code, f"{chapter} hides its writer in a helper"


@pytest.mark.parametrize("chapter", sorted(TEACHES))
def test_the_chapter_shows_tensorboard_with_its_magic(chapter):
    code = code_of(chapter)
    assert re.search(r"^%(re)?load_ext tensorboard$", code, re.M), chapter
    assert re.search(r'^%tensorboard --logdir "', code, re.M), chapter
    assert "show_tensorboard(" not in code


@pytest.mark.parametrize("chapter,name", [(c, n) for c, names in TEACHES.items() for n in names])
def test_the_call_the_chapter_teaches_is_in_its_code(chapter, name):
    assert calls(code_of(chapter), name), f"{chapter} teaches {name} but no code cell calls it"


def test_the_check_refuses_a_call_in_a_comment_or_prose():
    assert calls("writer.add_histogram('w', w, 0)", "add_histogram")
    assert not calls("writer.add_histograms(net)", "add_histogram")
    assert calls("summary.hparams(h, m)", "add_hparams|hparams")
