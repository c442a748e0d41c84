"""The Colab edition: one uploaded notebook runs alone; a regular one alone says what to do.

The notebooks run in a real Jupyter kernel started the way an upload finds things: in an
empty temporary folder, with neither this repository nor the installed (editable) ``helpers``
visible -- the kernel's Python runs with ``-S`` (no ``.pth`` files, so no editable finder)
and sees only the environment's site-packages -- and with any download refused (proxies
point at a closed port), so Fashion-MNIST comes from the local copy.
"""

from __future__ import annotations

import base64
import io
import json
import os
import shutil
import socket
import sys
import sysconfig
from pathlib import Path

import nbformat
import psutil
import pytest
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import KernelManager
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError
from PIL import Image

from coursetools.colab import (
    BUILD_COMMAND,
    GUARD_LINE,
    TARGET_DIR,
    build_all,
    build_chapter,
    edition,
    helpers_sources,
    main,
)

pytestmark = pytest.mark.server

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
FAST_CHAPTER = "01_write_images.ipynb"


def bare_kernel_env() -> dict[str, str]:
    """The test's environment without the repository, ``$COURSE_DIR`` or a working network."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "COURSE_DIR")}
    paths = sysconfig.get_paths()
    env["PYTHONPATH"] = os.pathsep.join(dict.fromkeys([paths["purelib"], paths["platlib"]]))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{s.getsockname()[1]}"
    for name in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY"):
        env[name] = closed
    env.pop("no_proxy", None), env.pop("NO_PROXY", None)
    return env


def run_alone(nb: nbformat.NotebookNode, folder: Path, kernels: Path) -> nbformat.NotebookNode:
    """Execute ``nb`` in a fresh kernel whose working folder is ``folder`` (see the module doc)."""
    spec = kernels / "bare"
    spec.mkdir(parents=True, exist_ok=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-S", "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Python without site (.pth) files", "language": "python"}))
    specs = KernelSpecManager(kernel_dirs=[str(kernels)])
    km = KernelManager(kernel_name="bare", kernel_spec_manager=specs)
    client = NotebookClient(nb, km=km, timeout=300, resources={"metadata": {"path": str(folder)}})
    try:
        client.execute(env=bare_kernel_env())
    finally:  # as JupyterLab does, so the kernel stops what it started (its TensorBoard)
        if km.has_kernel:
            km.shutdown_kernel(now=False)
    left = [p.pid for p in psutil.process_iter(["cmdline"])
            if str(folder) in " ".join(p.info["cmdline"] or [])]
    assert not left, f"processes {left} outlived the chapter's kernel"
    return nb


def printed(cell) -> str:
    return "".join(o.get("text", "") for o in cell.get("outputs", []))


def test_colab_editions_are_up_to_date():
    built = build_all(ROOT)
    committed = sorted((ROOT / TARGET_DIR).glob("*.ipynb"))
    redo = f"run `{BUILD_COMMAND}` (or `make colab`) and commit {TARGET_DIR}/"
    assert sorted(built) == committed, f"{TARGET_DIR}/ has other chapters than notebooks/: {redo}"
    stale = [p.name for p, text in built.items() if p.read_text(encoding="utf-8") != text]
    assert not stale, f"{TARGET_DIR}/{', '.join(stale)} out of date: {redo}"


def imported_helpers(code: str) -> set[str]:
    """The ``helpers`` modules that ``code`` imports."""
    import re

    found = set(re.findall(r"\bhelpers\.(\w+)", code))
    for names in re.findall(r"from helpers import ([\w, ]+)", code):
        found |= {name.strip() for name in names.split(",")}
    return found


def test_helpers_holds_what_the_chapters_import_and_no_tooling():
    sources = {name.removesuffix(".py"): text for name, text in helpers_sources(ROOT).items()}
    needed = set()
    for path in NOTEBOOKS:
        code = "\n".join(c.source for c in nbformat.read(path, as_version=4).cells
                         if c.cell_type == "code")
        assert "coursetools" not in code, f"{path.name} uses the tooling, which Colab lacks"
        needed |= imported_helpers(code)
    while True:  # and what those modules import in turn
        more = set().union(*(imported_helpers(sources[m]) for m in needed if m in sources))
        if more <= needed:
            break
        needed |= more
    for name, text in sources.items():
        assert "coursetools" not in text, f"helpers/{name}.py imports the tooling"
    unused = set(sources) - needed - {"__init__"}
    assert not unused, f"no chapter needs helpers/{unused}: tooling belongs in coursetools/"


def test_built_notebook_runs_alone_offline_and_replaces_an_older_helpers(tmp_path):
    upload = tmp_path / "content"
    upload.mkdir()
    shutil.copy(ROOT / TARGET_DIR / FAST_CHAPTER, upload)
    old = upload / "helpers"  # left behind by an earlier upload of an older edition
    old.mkdir()
    (old / "EDITION").write_text("000000000000\n")
    (old / "__init__.py").write_text("raise ImportError('an older edition')\n")

    nb = nbformat.read(upload / FAST_CHAPTER, as_version=4)
    nb.cells = [c for c in nb.cells  # no TensorBoard server
                if "nbval-skip" not in c.get("metadata", {}).get("tags", [])]
    nb.cells.insert(0, nbformat.v4.new_code_cell(
        "import importlib.util, sys\nprint('before:', importlib.util.find_spec('helpers').origin)\n"
        "print('finders:', [type(f).__module__ for f in sys.meta_path if 'editable' in repr(f)])"))
    nb.cells.append(nbformat.v4.new_code_cell(
        "import helpers.paths\nprint('helpers:', helpers.__file__)\n"
        "print('course:', helpers.paths.course_dir())\n"
        "import subprocess, sys, tempfile\n"
        "code = 'import helpers.paths; print(helpers.paths.course_dir())'\n"
        "print('program:', subprocess.run([sys.executable, '-c', code], cwd=tempfile.gettempdir(),"
        " capture_output=True, text=True, check=True).stdout.strip())"))
    run_alone(nb, upload, tmp_path / "kernels")

    before = dict(line.split(": ", 1) for line in printed(nb.cells[0]).splitlines())
    assert before == {"before": str(old / "__init__.py"), "finders": "[]"}, "sees another helpers"
    lines = dict(line.split(": ", 1) for line in printed(nb.cells[-1]).splitlines())
    assert Path(lines["helpers"]).resolve() == (upload / "helpers" / "__init__.py").resolve()
    assert Path(lines["course"]).resolve() == upload.resolve()
    assert Path(lines["program"]).resolve() == upload.resolve(), "a program finds another helpers"
    assert (upload / "helpers" / "EDITION").read_text().strip() == edition(helpers_sources(ROOT))
    for name, text in helpers_sources(ROOT).items():
        assert (upload / "helpers" / name).read_text(encoding="utf-8") == text, name
    assert len(list((upload / "data" / "FashionMNIST" / "raw").glob("*-ubyte"))) == 4
    runs = list((upload / "runs" / "01_write_images").iterdir())
    assert len(runs) == 1 and list((upload / "runs").iterdir()) == [runs[0].parent]
    regular = nbformat.read(ROOT / "notebooks" / FAST_CHAPTER, as_version=4)
    shows = [printed(next(c for c in reversed(n.cells) if "summarize(RUN_DIR)" in c.source))
             for n in (nb, regular)]
    assert shows[0].splitlines()[1:] == shows[1].splitlines()[1:], "TensorBoard shows other things"
    assert sorted(p.name for p in upload.iterdir()) == [FAST_CHAPTER, "data", "helpers", "runs"]


def test_regular_notebook_alone_stops_with_what_to_do(tmp_path):
    upload = tmp_path / "content"
    upload.mkdir()
    shutil.copy(ROOT / "notebooks" / FAST_CHAPTER, upload)
    nb = nbformat.read(upload / FAST_CHAPTER, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None  # so what runs now shows
    with pytest.raises(CellExecutionError):
        run_alone(nb, upload, tmp_path / "kernels")
    code = [c for c in nb.cells if c.cell_type == "code"]
    [error] = [o for o in code[0].outputs if o.output_type == "error"]
    assert error.ename == "SystemExit"
    assert "edition from colab/" in error.evalue and "make lab" in error.evalue
    everything = json.dumps([c.get("outputs", []) for c in code])
    assert "ModuleNotFoundError" not in everything and "Traceback" not in everything
    assert all(c.execution_count is None for c in code[1:]), "cells after the message ran"


def test_every_chapter_starts_with_the_same_clear_message():
    firsts = {next(c for c in nbformat.read(p, as_version=4).cells if c.cell_type == "code").source
              for p in NOTEBOOKS}
    assert len(firsts) == 1 and firsts.pop().startswith(GUARD_LINE)


def test_built_notebook_refuses_to_overwrite_a_foreign_helpers_folder(tmp_path):
    upload = tmp_path / "content"
    (upload / "helpers").mkdir(parents=True)
    (upload / "helpers" / "mine.py").write_text("x = 1\n")
    nb = build_chapter(ROOT / "notebooks" / FAST_CHAPTER, ROOT)
    nb.cells = [c for c in nb.cells if c.get("id") == "colab-setup"]
    with pytest.raises(CellExecutionError):
        run_alone(nb, upload, tmp_path / "kernels")
    [error] = [o for o in nb.cells[0].outputs if o.output_type == "error"]
    assert error.ename == "SystemExit" and "was not written by this course" in error.evalue
    assert (upload / "helpers" / "mine.py").read_text() == "x = 1\n"


def test_built_notebook_names_a_missing_package_outside_colab(small_repo, tmp_path):
    requirements = small_repo / "requirements.txt"
    requirements.write_text(requirements.read_text().replace("torch>=2.4", "no-such-package>=1.0"))
    nb = build_chapter(small_repo / "notebooks" / "01_small.ipynb", small_repo)
    nb.cells = [c for c in nb.cells if c.get("id") == "colab-setup"]
    upload = tmp_path / "content"
    upload.mkdir()
    with pytest.raises(CellExecutionError):
        run_alone(nb, upload, tmp_path / "kernels")
    [error] = [o for o in nb.cells[0].outputs if o.output_type == "error"]
    assert error.ename == "SystemExit"
    assert error.evalue == "This chapter needs: pip install 'no-such-package>=1.0'"
    assert list(upload.iterdir()) == []


# --- the build itself, on a small repository of its own ---

def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("L", (2, 2)).save(buffer, "PNG")
    return buffer.getvalue()


@pytest.fixture
def small_repo(tmp_path) -> Path:
    (tmp_path / "helpers").mkdir()
    (tmp_path / "helpers" / "__init__.py").write_text("")
    (tmp_path / "helpers" / "paths.py").write_text("WHERE = 'here'\n")
    (tmp_path / "requirements.txt").write_text(
        "# --- the course itself ---\ntorch>=2.4   # why\n\n# --- the tests ---\npytest  # why\n")
    (tmp_path / "docs" / "screenshots").mkdir(parents=True)
    (tmp_path / "docs" / "screenshots" / "01_grid.png").write_bytes(png_bytes())
    nb = nbformat.v4.new_notebook(metadata={"language_info": {"name": "python", "version": "3.11"}})
    nb.cells = [
        nbformat.v4.new_markdown_cell("# 01 · Small", id="c0"),
        nbformat.v4.new_markdown_cell("## Setup", id="c1"),
        nbformat.v4.new_code_cell(GUARD_LINE + "\nimport helpers", id="c2", execution_count=1),
        nbformat.v4.new_markdown_cell("Look:\n![the grid](../docs/screenshots/01_grid.png)",
                                      id="c3"),
        nbformat.v4.new_code_cell("%tensorboard --logdir runs", id="c4", execution_count=2,
                                  outputs=[nbformat.v4.new_output("stream", text="x\n")]),
    ]
    (tmp_path / "notebooks").mkdir()
    nbformat.write(nb, tmp_path / "notebooks" / "01_small.ipynb")
    return tmp_path


def test_build_puts_helpers_first_embeds_images_and_drops_outputs(small_repo):
    nb = build_chapter(small_repo / "notebooks" / "01_small.ipynb", small_repo)
    assert [c.get("id") for c in nb.cells] == ["c0", "c1", "colab-setup", "c3", "c4",
                                               "colab-tensorboard"]
    setup = nb.cells[2].source
    assert "'paths.py': \"WHERE = 'here'\\n\"," in setup and "PACKAGES = ['torch>=2.4']" in setup
    assert 'if missing and "google.colab" in sys.modules:\n    PIP_ARGS' in setup
    assert "Colab edition" in nb.cells[1].source and "GPU" in nb.cells[1].source
    data = base64.b64encode(png_bytes()).decode()
    assert nb.cells[3].source == f"Look:\n![the grid](data:image/png;base64,{data})"
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.outputs == [] and c.execution_count is None for c in code)
    assert "403" in nb.cells[5].source and "third-party cookies" in nb.cells[5].source
    assert nb.metadata.language_info == {"name": "python"}  # re-executing a chapter changes nothing


def test_build_names_a_missing_image(small_repo):
    (small_repo / "docs" / "screenshots" / "01_grid.png").unlink()
    with pytest.raises(ValueError, match=r"01_small.ipynb links to images that do not exist: "
                                         r"\.\./docs/screenshots/01_grid\.png"):
        build_chapter(small_repo / "notebooks" / "01_small.ipynb", small_repo)


def test_build_command_writes_every_chapter_and_removes_editions_of_gone_ones(small_repo, capsys):
    (small_repo / TARGET_DIR).mkdir()
    (small_repo / TARGET_DIR / "09_gone.ipynb").write_text("{}")
    assert main(["--root", str(small_repo)]) == 0
    assert sorted(p.name for p in (small_repo / TARGET_DIR).iterdir()) == ["01_small.ipynb"]
    assert "removed colab/09_gone.ipynb" in capsys.readouterr().out
    assert build_all(small_repo) == {small_repo / TARGET_DIR / "01_small.ipynb":
                                     (small_repo / TARGET_DIR / "01_small.ipynb").read_text()}
