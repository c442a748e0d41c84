"""The Colab edition: one uploaded notebook runs alone and carries only the ``helpers``
modules its chapter reaches; a regular one alone says what to do.

The notebooks run in a real Jupyter kernel started the way an upload finds things: in an
empty temporary folder, with neither this repository nor the installed (editable) ``helpers``
visible -- the kernel's Python runs with ``-S`` (no ``.pth`` files, so no editable finder)
and sees only the environment's site-packages -- and with any download refused (proxies
point at a closed port), so Fashion-MNIST comes from the local copy.
"""

from __future__ import annotations

import base64
import bz2
import io
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import sysconfig
from modulefinder import ModuleFinder
from pathlib import Path

import nbformat
import psutil
import pytest
from IPython.core.inputtransformer2 import TransformerManager
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
    setup_cell_source,
)
from coursetools.course import EDITIONS, REPO, chapter_path, chapter_paths, edition_paths
from tests.test_editions_browser import letters

pytestmark = pytest.mark.server

FAST = chapter_path("01_write_images")
FAST_CHAPTER = FAST.name
BUDGET = 1 << 20
"""Bytes of ``colab/``'s nine chapters in all, with their images and helpers: 1 MB as `du`
counts it (1 MiB)."""
EDITION_BUDGET = BUDGET + (96 << 10)
"""Bytes of a translated edition's nine chapters (``colab/ko/``): each also carries its
language's catalog of what ``helpers`` prints (about 8 KiB packed), and a Korean or Chinese
letter takes 3 bytes."""


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


def files_in(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` (Python's byte-code caches aside), by path, with its text."""
    return {p.relative_to(folder).as_posix(): p.read_text(encoding="utf-8")
            for p in sorted(folder.rglob("*")) if p.is_file() and "__pycache__" not in p.parts}


FOLDERS = [TARGET_DIR, *(f"{TARGET_DIR}/{language}" for language in EDITIONS)]
"""The English Colab edition's folder, and each translated edition's."""


def test_colab_editions_are_up_to_date():
    built = build_all(REPO)
    committed = sorted(p for folder in FOLDERS for p in (REPO / folder).glob("*.ipynb"))
    redo = f"run `{BUILD_COMMAND}` (or `make colab`) and commit {TARGET_DIR}/"
    assert sorted(built) == committed, f"{TARGET_DIR}/ has other chapters than the editions: {redo}"
    stale = [p.relative_to(REPO).as_posix() for p, text in built.items()
             if p.read_text(encoding="utf-8") != text]
    assert not stale, f"{', '.join(stale)} out of date: {redo}"


@pytest.mark.parametrize("folder", FOLDERS)
def test_colab_editions_are_small(folder):
    sizes = {p.name: p.stat().st_size for p in sorted((REPO / folder).glob("*.ipynb"))}
    biggest = max(sizes, key=sizes.get)
    budget = BUDGET if folder == TARGET_DIR else EDITION_BUDGET
    assert sum(sizes.values()) <= budget, (
        f"{folder}/ holds {sum(sizes.values()):,} bytes, more than {budget:,}; the biggest "
        f"is {biggest} ({sizes[biggest]:,} bytes). Run `make colab` to rebuild it; if it "
        "stays too big, a chapter carries too much of helpers/ or too many images.")


@pytest.mark.parametrize("language", EDITIONS)
def test_an_edition_carries_its_languages_catalog_and_prints_in_it(language, tmp_path):
    edition = nbformat.read(REPO / TARGET_DIR / language / "00_setup.ipynb", as_version=4)
    setup = next(c for c in edition.cells if c.get("id") == "colab-setup").source
    packed = re.search(r'b85decode\("([^"]+)"\)', setup)[1]
    helpers = json.loads(bz2.decompress(base64.b85decode(packed)))
    catalog = f"locale/{language}/LC_MESSAGES/helpers.mo"
    assert sorted(name for name in helpers if name.startswith("locale/")) == [catalog]
    carried = helpers[catalog].encode("utf-8", "surrogateescape")
    assert carried == (REPO / "helpers" / catalog).read_bytes()
    # the setup cell and the edition's language cell, run alone in an empty folder: the
    # exercise check then speaks the edition's language
    language_cell = next(c.source for c in edition.cells
                         if c.cell_type == "code" and "use_language(" in c.source)
    code = "\n".join([TransformerManager().transform_cell(setup), language_cell,
                      "from helpers.exercises import report_exercises",
                      'report_exercises("00_setup")'])
    run = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=bare_kernel_env(),
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-2000:]
    checks = run.stdout.splitlines()[1:]
    assert len(checks) == 2 and all(letters(line, language) for line in checks), run.stdout
    assert not any("not yet" in line for line in checks), run.stdout


def modules_found(chapter: Path) -> dict[str, Path]:
    """The ``helpers`` modules ``chapter`` reaches, found without the build's code: its
    ``helpers`` imports by pattern, then what they import by the standard library's
    `ModuleFinder`, which reads their bytecode (functions included)."""
    code = "\n".join(c.source for c in nbformat.read(chapter, as_version=4).cells
                     if c.cell_type == "code")
    finder = ModuleFinder(path=[str(REPO)])
    for module in re.findall(r"^\s*import (helpers[\w.]*)", code, re.M):
        finder.import_hook(module)
    pattern = r"^\s*from (helpers[\w.]*) import (?:\(([^)]*)\)|([^\n]+))"
    for module, wrapped, names in re.findall(pattern, code, re.M):
        finder.import_hook(module)
        for name in (n.split()[0] for n in (wrapped or names).split(",") if n.strip()):
            try:
                finder.import_hook(module, fromlist=[name])
            except ImportError:
                pass  # a name defined in the package, not a module of it
    return {name: Path(module.__file__) for name, module in finder.modules.items()
            if name.split(".")[0] == "helpers"}


def test_modules_found_sees_chapter_07s_script():
    assert "helpers.train" in modules_found(chapter_path("07"))  # only train_ddp.py imports it


@pytest.mark.parametrize("chapter", chapter_paths(), ids=lambda p: p.stem)
def test_each_edition_carries_the_helpers_modules_its_chapter_reaches_and_no_other(chapter):
    found = {path.relative_to(REPO / "helpers").as_posix()
             for path in modules_found(chapter).values()}
    carried = set(helpers_sources(chapter))
    assert carried == found, (f"{chapter.name} carries {sorted(carried - found)} it never "
                              f"imports, and lacks {sorted(found - carried)}")
    assert {"__init__.py", "_runtime/__init__.py", "paths.py"} <= carried
    if chapter.stem == "00_setup":
        assert not {"debugging.py", "distributed.py", "train.py", "compare.py"} & carried


def test_helpers_holds_what_the_chapters_import_and_no_tooling():
    package = REPO / "helpers"
    modules = {path.relative_to(package).as_posix(): path.read_text(encoding="utf-8")
               for path in package.rglob("*.py") if "__pycache__" not in path.parts}
    editions = [path for language in EDITIONS for path in edition_paths(language)]
    reached = set().union(*(helpers_sources(path) for path in chapter_paths() + editions))
    tooling = re.compile(r"^\s*(from|import) coursetools\b", re.M)
    for path in chapter_paths():
        code = "\n".join(c.source for c in nbformat.read(path, as_version=4).cells
                         if c.cell_type == "code")
        assert not tooling.search(code), f"{path.name} uses the tooling, which Colab lacks"
    for name, text in modules.items():
        assert not tooling.search(text), f"helpers/{name} imports the tooling"
    unused = set(modules) - reached
    assert not unused, f"no chapter needs helpers/{sorted(unused)}: tooling belongs in coursetools/"


def test_built_notebook_runs_alone_offline_and_replaces_an_older_helpers(tmp_path):
    upload = tmp_path / "content"
    upload.mkdir()
    shutil.copy(REPO / TARGET_DIR / FAST_CHAPTER, upload)
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
    sources = helpers_sources(FAST)
    assert (upload / "helpers" / "EDITION").read_text().strip() == edition(sources)
    assert files_in(upload / "helpers") == sources | {"EDITION": edition(sources) + "\n"}
    assert len(list((upload / "data" / "FashionMNIST" / "raw").glob("*-ubyte"))) == 4
    runs = list((upload / "runs" / "01_write_images").iterdir())
    assert len(runs) == 1 and list((upload / "runs").iterdir()) == [runs[0].parent]
    regular = nbformat.read(FAST, as_version=4)
    shows = [printed(next(c for c in reversed(n.cells) if "summarize(RUN_DIR)" in c.source))
             for n in (nb, regular)]
    assert shows[0].splitlines()[1:] == shows[1].splitlines()[1:], "TensorBoard shows other things"
    assert sorted(p.name for p in upload.iterdir()) == [FAST_CHAPTER, "data", "helpers", "runs"]


def run_setup_cell(folder: Path, sources: dict[str, str]) -> str:
    """Run the setup cell of an edition carrying ``sources`` in ``folder``, in a plain Python
    (no site-packages, so only that folder's ``helpers``); return what it printed."""
    python = TransformerManager().transform_cell(setup_cell_source("x.ipynb", sources, []))
    return run_python(folder, python)


def run_python(folder: Path, python: str) -> str:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    done = subprocess.run([sys.executable, "-S", "-c", python], cwd=folder, env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_two_chapters_in_one_folder_keep_each_others_modules(tmp_path):
    first = {"__init__.py": "", "paths.py": "WHERE = 'here'\n"}  # like chapter 00
    later = {**first, "plots.py": "DRAWN = 'drawn'\n",  # like chapter 04: more modules
             "train.py": "def fit():\n    from helpers.plots import DRAWN\n    return DRAWN\n"}
    newer = {**first, "paths.py": "WHERE = 'elsewhere'\n"}  # chapter 00 of another version
    folder = tmp_path / "helpers"

    assert f"helpers {edition(later)} ready" in run_setup_cell(tmp_path, later)
    run_setup_cell(tmp_path, first)  # the learner opens chapter 00 too, then goes back to 04
    assert files_in(folder) == later | {"EDITION": edition(later) + "\n"}
    assert run_python(tmp_path, "import helpers.train; print(helpers.train.fit())") == "drawn\n"

    shutil.rmtree(folder)
    run_setup_cell(tmp_path, first)  # chapter 00 first, then 04: 04 adds its modules
    run_setup_cell(tmp_path, later)
    assert files_in(folder) == later | {"EDITION": edition(first) + "\n"}

    run_setup_cell(tmp_path, newer)  # another version replaces the folder whole
    assert files_in(folder) == newer | {"EDITION": edition(newer) + "\n"}
    run_setup_cell(tmp_path, later)  # and chapter 04's own version comes back with its cell
    assert files_in(folder) == later | {"EDITION": edition(later) + "\n"}
    assert run_python(tmp_path, "import helpers.train; print(helpers.train.fit())") == "drawn\n"


def test_regular_notebook_alone_stops_with_what_to_do(tmp_path):
    upload = tmp_path / "content"
    upload.mkdir()
    shutil.copy(FAST, upload)
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
              for p in chapter_paths()}
    assert len(firsts) == 1 and firsts.pop().startswith(GUARD_LINE)


def test_built_notebook_refuses_to_overwrite_a_foreign_helpers_folder(tmp_path):
    upload = tmp_path / "content"
    (upload / "helpers").mkdir(parents=True)
    (upload / "helpers" / "mine.py").write_text("x = 1\n")
    nb = build_chapter(FAST)
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

def embedded_files(setup: str) -> dict[str, str]:
    """The ``helpers`` files a built setup cell writes, unpacked as the cell unpacks them."""
    [packed] = re.findall(r'b85decode\("([^"]+)"\)', setup)
    return json.loads(bz2.decompress(base64.b85decode(packed)))


def image_pixels(data: bytes) -> tuple:
    with Image.open(io.BytesIO(data)) as image:
        return image.size, image.convert("RGB").tobytes()


def test_every_embedded_picture_is_its_screenshot_in_a_few_colours():
    for path in chapter_paths():
        edition = nbformat.read(REPO / TARGET_DIR / path.name, as_version=4)
        markdown = "\n".join(c.source for c in edition.cells if c.cell_type == "markdown")
        embedded = re.findall(r"data:image/\w+;base64,([A-Za-z0-9+/=]+)", markdown)
        sources = re.findall(r"\]\(([^)\s]+\.png)\)", "\n".join(
            c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "markdown"))
        assert len(embedded) == len(sources), f"{path.name}: a picture was not embedded"
        for data, source in zip(embedded, sources):
            (size, got), (want_size, want) = (image_pixels(base64.b64decode(data)),
                                              image_pixels((path.parent / source).read_bytes()))
            assert size == want_size, f"{path.name}: {source} changed size"
            off = sum(abs(a - b) for a, b in zip(got, want)) / len(want)
            assert off < 3, f"{path.name}: {source} differs by {off:.1f} levels of 255 on average"


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("L", (2, 2)).save(buffer, "PNG")
    return buffer.getvalue()


@pytest.fixture
def small_repo(tmp_path) -> Path:
    (tmp_path / "helpers" / "_runtime").mkdir(parents=True)
    (tmp_path / "helpers" / "__init__.py").write_text("")
    (tmp_path / "helpers" / "paths.py").write_text(
        "WHERE = 'here'\n\n\ndef checked():\n    from ._runtime import checks\n"
        "    return checks.CHECKED\n")
    (tmp_path / "helpers" / "_runtime" / "__init__.py").write_text("")
    (tmp_path / "helpers" / "_runtime" / "checks.py").write_text("CHECKED = True\n")
    (tmp_path / "helpers" / "unused.py").write_text("from helpers import paths\n")
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
        nbformat.v4.new_code_cell("from helpers.paths import WHERE\n%tensorboard --logdir runs",
                                  id="c4", execution_count=2,
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
    files = embedded_files(setup)
    assert files["paths.py"].startswith("WHERE = 'here'\n") and "PACKAGES = ['torch>=2.4']" in setup
    assert files["_runtime/checks.py"] == "CHECKED = True\n" and "unused.py" not in files
    assert 'if missing and "google.colab" in sys.modules:\n    PIP_ARGS' in setup
    assert "Colab edition" in nb.cells[1].source and "GPU" in nb.cells[1].source
    picture = r"^Look:\n!\[the grid\]\(data:(image/\w+);base64,(\S+)\)$"
    [(kind, data)] = re.findall(picture, nb.cells[3].source)
    assert kind in ("image/png", "image/webp")
    assert image_pixels(base64.b64decode(data)) == image_pixels(png_bytes())
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.outputs == [] and c.execution_count is None for c in code)
    assert "403" in nb.cells[5].source and "third-party cookies" in nb.cells[5].source
    assert nb.metadata.language_info == {"name": "python"}  # re-executing a chapter changes nothing


def test_build_carries_only_the_modules_the_chapter_reaches(small_repo):
    assert list(helpers_sources(small_repo / "notebooks" / "01_small.ipynb", small_repo)) == [
        "__init__.py", "_runtime/__init__.py", "_runtime/checks.py", "paths.py"]


def test_build_names_a_module_that_is_imported_but_missing(small_repo):
    chapter = small_repo / "notebooks" / "01_small.ipynb"
    (small_repo / "helpers" / "paths.py").write_text("def f():\n    from ._runtime.gone import y\n")
    with pytest.raises(ValueError, match=r"^helpers\.paths imports helpers\._runtime\.gone, "
                                         r"but helpers/_runtime/gone\.py does not exist\.$"):
        build_chapter(chapter, small_repo)
    nb = nbformat.read(chapter, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell("from helpers.gone import x"))
    nbformat.write(nb, chapter)
    with pytest.raises(ValueError, match=r"^notebooks/01_small\.ipynb imports helpers\.gone, "
                                         r"but helpers/gone\.py does not exist\.$"):
        build_chapter(chapter, small_repo)


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
