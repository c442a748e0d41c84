"""The tutorial's code is taught in the chapters, and `helpers` runs exactly that code.

Each function or class in `TAUGHT` is defined in a code cell of the chapter that teaches it
(the learner reads, runs and can change it there); later chapters import it from `helpers`.
The two definitions must be the same code: the same syntax tree, docstrings aside (d2l's
``#@save`` idea, checked instead of generated). Change one, and this test names the other.
"""

from __future__ import annotations

import ast
import inspect
import textwrap
from importlib import import_module

import nbformat
import pytest
from IPython.core.inputtransformer2 import TransformerManager

from coursetools.course import chapter_path

pytestmark = pytest.mark.unit


TAUGHT: list[tuple[str, str, str]] = [
    # (chapter, name, helpers module that later chapters import it from)
    ("01_write_images", "make_transform", "helpers.data"),
    ("01_write_images", "matplotlib_imshow", "helpers.plots"),
    ("02_graph", "Net", "helpers.model"),
    ("03_projector", "select_n_random", "helpers.data"),
    ("04_training", "images_to_probs", "helpers.plots"),
    ("04_training", "plot_classes_preds", "helpers.plots"),
]
"""The tutorial's code, where the course teaches it and where later chapters import it from."""


def chapter_definitions(chapter: str) -> dict[str, ast.AST]:
    """Every top-level function and class defined in the chapter's code cells, by name."""
    nb = nbformat.read(chapter_path(chapter), as_version=4)
    found = {}
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        python = TransformerManager().transform_cell(cell.source)  # %magics become calls
        for node in ast.parse(python).body:
            if isinstance(node, ast.FunctionDef | ast.ClassDef):
                found[node.name] = node
    return found


def without_docstrings(node: ast.AST) -> str:
    """The syntax tree of ``node`` as text, docstrings left out."""
    node = ast.parse(ast.unparse(node)).body[0]  # a copy
    for inner in ast.walk(node):
        body = getattr(inner, "body", None)
        if (isinstance(inner, ast.FunctionDef | ast.ClassDef | ast.AsyncFunctionDef) and body
                and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant)
                and isinstance(body[0].value.value, str)):
            inner.body = body[1:] or [ast.Pass()]
    return ast.dump(node)


@pytest.mark.parametrize("chapter,name,module", TAUGHT, ids=[f"{c}:{n}" for c, n, _ in TAUGHT])
def test_the_chapter_and_helpers_define_the_same_code(chapter, name, module):
    defined = chapter_definitions(chapter)
    assert name in defined, f"{chapter} does not define {name} in its code cells"
    source = textwrap.dedent(inspect.getsource(getattr(import_module(module), name)))
    in_helpers = ast.parse(source).body[0]
    assert without_docstrings(defined[name]) == without_docstrings(in_helpers), (
        f"{name} in {chapter} and in {module} differ: change both, or neither")


def test_the_check_sees_a_changed_line():
    tree = ast.parse("def f(x):\n    '''doc'''\n    return x + 1\n").body[0]
    same = ast.parse("def f(x):\n    '''other doc'''\n    return x + 1  # a comment\n").body[0]
    changed = ast.parse("def f(x):\n    return x + 2\n").body[0]
    assert without_docstrings(tree) == without_docstrings(same)
    assert without_docstrings(tree) != without_docstrings(changed)
