"""The import boundaries: chapters and solutions -> the public helpers -> ``helpers._runtime``;
the tooling (``coursetools``) -> only the torch-free helpers modules, so that building the
Colab edition, taking screenshots or opening ``make lab`` never loads torch.

Each failure names the file and the import that crosses a boundary.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from IPython.core.inputtransformer2 import TransformerManager

from coursetools.course import REPO, chapter_paths

pytestmark = pytest.mark.unit

TORCH_FREE = ("helpers.paths", "helpers._runtime.servers", "helpers._runtime.datafiles",
              "helpers._runtime.language")
"""The only helpers modules the tooling may import: none of them loads torch."""
PACKAGES = {"helpers", "helpers._runtime"}  # loaded on the way to a module of theirs
TOOLING = sorted(REPO.glob("coursetools/*.py"))
RUNTIME = sorted(REPO.glob("helpers/_runtime/*.py"))
SOLUTIONS = sorted(REPO.glob("solutions/*.py"))


def imported_modules(source: str) -> list[tuple[int, str, str]]:
    """Every import in ``source``, also inside functions: (line, module, name imported from
    it, or ``""``). ``from helpers import data`` gives ``helpers`` and ``data``.

    Example:
        >>> imported_modules("import os.path\\ndef f():\\n    from helpers.data import CLASSES")
        [(1, 'os.path', ''), (3, 'helpers.data', 'CLASSES')]
    """
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name, "") for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found += [(node.lineno, node.module, alias.name) for alias in node.names]
    return sorted(found)


def helpers_imports(source: str) -> list[tuple[int, str]]:
    """The helpers modules ``source`` imports, as (line, dotted name); a name imported from a
    package counts as its module (``from helpers import data`` is ``helpers.data``), other
    names as what they are taken from (``from helpers.data import CLASSES``: ``helpers.data``)
    except a private one, which is kept (``helpers.data._check``).

    Example:
        >>> helpers_imports("from helpers import data\\nfrom helpers.paths import course_dir")
        [(1, 'helpers.data'), (2, 'helpers.paths')]
        >>> helpers_imports("from helpers.plots import _check")
        [(1, 'helpers.plots._check')]
    """
    found = []
    for line, module, name in imported_modules(source):
        if module != "helpers" and not module.startswith("helpers."):
            continue
        if module in PACKAGES or name.startswith("_"):
            found.append((line, f"{module}.{name}" if name else module))
        else:
            found.append((line, module))
    return sorted(set(found))


def chapter_code(path: Path) -> dict[int, str]:
    """A chapter's code cells as plain Python (IPython's ``%magics`` become calls), by index."""
    cells = nbformat.read(path, as_version=4).cells
    return {index: TransformerManager().transform_cell(cell.source)
            for index, cell in enumerate(cells) if cell.cell_type == "code"}


def loaded_after_import(module: str) -> list[str]:
    """The modules a fresh Python has loaded after ``import <module>``, in the repository."""
    code = f"import json, sys, {module}; print(json.dumps(sorted(sys.modules)))"
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, f"import {module} failed:\n{result.stderr[-2000:]}"
    return json.loads(result.stdout.splitlines()[-1])


def torch_and_helpers(loaded: list[str]) -> tuple[list[str], list[str]]:
    """(torch's modules, helpers modules other than the torch-free ones) among ``loaded``."""
    torch = [name for name in loaded if name == "torch" or name.startswith("torch.")]
    others = [name for name in loaded if (name == "helpers" or name.startswith("helpers."))
              and name not in TORCH_FREE and name not in PACKAGES]
    return torch, others


# --- the tooling: no torch, and only the torch-free helpers modules ----------------------------


@pytest.mark.parametrize("path", TOOLING, ids=lambda path: path.stem)
def test_importing_the_tooling_loads_no_torch(path):
    module = f"coursetools.{path.stem}" if path.stem != "__init__" else "coursetools"
    torch, others = torch_and_helpers(loaded_after_import(module))
    assert not torch, f"{path.relative_to(REPO)}: `import {module}` loads torch ({torch[:5]})"
    assert not others, (f"{path.relative_to(REPO)}: `import {module}` loads {others}; the "
                        f"tooling may use only {TORCH_FREE}")


@pytest.mark.parametrize("path", TOOLING, ids=lambda path: path.stem)
def test_the_tooling_imports_only_the_torch_free_helpers(path):
    wrong = [(line, module) for line, module in helpers_imports(path.read_text(encoding="utf-8"))
             if module not in TORCH_FREE]
    assert not wrong, "; ".join(f"{path.relative_to(REPO)}:{line} imports {module}, not one of "
                                f"the torch-free {TORCH_FREE}" for line, module in wrong)


@pytest.mark.parametrize("module", TORCH_FREE)
def test_the_torch_free_helpers_load_no_torch(module):
    torch, others = torch_and_helpers(loaded_after_import(module))
    path = REPO / (module.replace(".", "/") + ".py")
    assert not torch, f"{path.relative_to(REPO)}: `import {module}` loads torch ({torch[:5]})"
    assert not others, f"{path.relative_to(REPO)}: `import {module}` loads {others}"


# --- chapters and solutions: the public helpers only -------------------------------------------


def public_only(source: str) -> list[tuple[int, str]]:
    """The imports of ``source`` that a chapter or a solution may not make: a private helpers
    module or name (any part starting with ``_``), or the tooling."""
    wrong = [(line, module) for line, module in helpers_imports(source)
             if any(part.startswith("_") for part in module.split("."))]
    wrong += [(line, module) for line, module, _ in imported_modules(source)
              if module == "coursetools" or module.startswith("coursetools.")]
    return sorted(wrong)


@pytest.mark.parametrize("path", chapter_paths(), ids=lambda path: path.stem)
def test_the_chapters_import_only_public_helpers(path):
    wrong = [(index, module) for index, code in chapter_code(path).items()
             for _, module in public_only(code)]
    assert not wrong, "; ".join(f"{path.relative_to(REPO)} (cell {index}) imports {module}: "
                                "chapters import only public helpers" for index, module in wrong)


@pytest.mark.parametrize("path", SOLUTIONS, ids=lambda path: path.stem)
def test_the_solutions_import_only_public_helpers(path):
    wrong = public_only(path.read_text(encoding="utf-8"))
    assert not wrong, "; ".join(f"{path.relative_to(REPO)}:{line} imports {module}: solutions "
                                "import only public helpers" for line, module in wrong)


def test_the_checks_see_a_private_import():
    assert public_only("from helpers._runtime.checks import check_batch") == [
        (1, "helpers._runtime.checks")]
    assert public_only("from helpers.data import _unpack") == [(1, "helpers.data._unpack")]
    assert public_only("import coursetools.course") == [(1, "coursetools.course")]
    assert public_only("from helpers.data import CLASSES\nimport helpers.model") == []


# --- helpers/_runtime: never the public modules it serves (but helpers.paths) ------------------


@pytest.mark.parametrize("path", RUNTIME, ids=lambda path: path.stem)
def test_the_runtime_imports_no_public_helpers_module(path):
    wrong = [(line, module) for line, module in helpers_imports(path.read_text(encoding="utf-8"))
             if module not in ("helpers.paths", "helpers._runtime")
             and not module.startswith("helpers._runtime.")]
    assert not wrong, "; ".join(f"{path.relative_to(REPO)}:{line} imports {module}: "
                                "helpers/_runtime/ imports no public helpers module but "
                                "helpers.paths" for line, module in wrong)
