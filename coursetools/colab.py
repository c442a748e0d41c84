"""The Colab edition: every chapter as one notebook that carries the course's ``helpers``.

``python -m coursetools.colab`` builds ``colab/NN_x.ipynb`` from each ``notebooks/NN_x.ipynb``
of this repository. A built notebook's first code cell writes this exact version of
``helpers`` into ``helpers/`` in the kernel's working folder (where ``runs/`` and ``data/``
then go too) and installs only packages that are missing, so uploading that one file to
Colab is enough. Markdown images are embedded, outputs are left out.

Example:
    >>> from coursetools.colab import build_chapter, repo_root
    >>> nb = build_chapter(repo_root() / "notebooks" / "01_write_images.ipynb")
    >>> nb.cells[2].source.splitlines()[0]
    "# @title Put the course's `helpers` in place (run this cell first)"
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import re
import sys
from pathlib import Path

import nbformat

SOURCE_DIR = "notebooks"
TARGET_DIR = "colab"
BUILD_COMMAND = "python -m coursetools.colab"
GUARD_LINE = 'if __import__("importlib.util").util.find_spec("helpers") is None:'

"""First line of every chapter's first code cell; the Colab edition replaces that cell."""

IMAGE_TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg",
               ".gif": "image/gif", ".svg": "image/svg+xml"}
MARKDOWN_IMAGE = re.compile(r"!\[(?P<alt>[^\]]*)\]\((?P<target>[^)\s]+)(?P<title>\s+\"[^\"]*\")?\)")


def repo_root() -> Path:
    """The course's repository (the folder holding ``helpers/`` and ``coursetools/``).

    Example:
        >>> (repo_root() / "helpers" / "data.py").is_file()
        True
    """
    return Path(__file__).resolve().parent.parent


def helpers_sources(root: Path) -> dict[str, str]:
    """Every ``.py`` file of ``root/helpers``, by path inside the package, sorted.

    Example:
        >>> sorted(helpers_sources(repo_root()))[:2]
        ['__init__.py', 'board.py']
    """
    package = root / "helpers"
    files = sorted(p for p in package.rglob("*.py") if "__pycache__" not in p.parts)
    return {p.relative_to(package).as_posix(): p.read_text(encoding="utf-8") for p in files}


def edition(sources: dict[str, str]) -> str:
    """A short fingerprint of the sources: it changes whenever any file of ``helpers`` does.

    Example:
        >>> edition({"__init__.py": ""})
        'ed3e372b28e5'
    """
    digest = hashlib.sha256()
    for name, text in sorted(sources.items()):
        digest.update(f"{name}\0{text}\0".encode())
    return digest.hexdigest()[:12]


def course_packages(root: Path) -> list[str]:
    """The requirements under ``# --- the course itself`` in ``requirements.txt``.

    Example:
        >>> [p.split(">")[0] for p in course_packages(repo_root())][:2]
        ['torch', 'torchvision']
    """
    packages, inside = [], False
    for line in (root / "requirements.txt").read_text(encoding="utf-8").splitlines():
        if line.startswith("# ---"):
            inside = line.startswith("# --- the course itself")
            continue
        spec = line.split("#", 1)[0].strip()
        if inside and spec:
            packages.append(spec)
    if not packages:
        raise ValueError(
            f"{root / 'requirements.txt'} lists no packages under '# --- the course itself'.")
    return packages


SETUP_CELL = '''\
# @title Put the course's `helpers` in place (run this cell first)
# The Colab edition of {chapter}, built by `{command}`.
# This cell writes the course's `helpers` package (edition {edition}) into helpers/ in the
# working folder, where runs/, data/ and checkpoints/ go too. It installs a package only
# on Colab and only if it is missing: Colab already has all of them.
import importlib
import importlib.util
import os
import re
import shlex
import shutil
import sys
import tempfile
from pathlib import Path

EDITION = {edition!r}
PACKAGES = {packages!r}
HELPERS = {{
{files}}}

modules = {{p: re.split(r"[<>=!~ ]", p)[0].replace("-", "_") for p in PACKAGES}}
missing = [p for p, module in modules.items() if importlib.util.find_spec(module) is None]
if missing and "google.colab" in sys.modules:
    PIP_ARGS = " ".join(shlex.quote(p) for p in missing)
    %pip install -q {{PIP_ARGS}}
elif missing:
    raise SystemExit("This chapter needs: pip install " + " ".join(shlex.quote(p) for p in missing))

folder = Path.cwd() / "helpers"
marker = folder / "EDITION"
if not (marker.is_file() and marker.read_text().strip() == EDITION):
    if folder.exists() and not marker.is_file():
        raise SystemExit(f"{{folder}} was not written by this course: "
                         "rename or delete it, then run this cell again.")
    fresh = Path(tempfile.mkdtemp(prefix=".helpers-", dir=Path.cwd()))
    for name, text in HELPERS.items():
        (fresh / name).parent.mkdir(parents=True, exist_ok=True)
        (fresh / name).write_text(text, encoding="utf-8")
    (fresh / "EDITION").write_text(EDITION + "\\n")
    shutil.rmtree(folder, ignore_errors=True)  # an older edition from an earlier upload
    fresh.rename(folder)
    for module in [m for m in sys.modules if m == "helpers" or m.startswith("helpers.")]:
        del sys.modules[module]  # forget an older edition imported before
if str(folder.parent) not in sys.path:
    sys.path.insert(0, str(folder.parent))
if str(folder.parent) not in os.environ.get("PYTHONPATH", "").split(os.pathsep):
    # so that programs this notebook starts (torchrun, a script) find the same `helpers`
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(folder.parent),
                                                             os.environ.get("PYTHONPATH")]))
importlib.invalidate_caches()
import helpers

if Path(helpers.__file__).resolve().parent != folder.resolve():
    raise SystemExit(f"Another `helpers` package ({{helpers.__file__}}) hides the course's: "
                     "uninstall it, then restart.")
print(f"helpers {{EDITION}} ready; runs/ and data/ go into {{folder.parent}}")
'''

SETUP_NOTE = """

*Colab edition.* Run the next cell first: it puts the course's `helpers` package beside this
notebook (nothing is downloaded for it) and installs only what is missing. On Colab, choose a
GPU with *Runtime → Change runtime type* if you like; every chapter runs on the CPU too."""

TENSORBOARD_NOTE = """\
**On Colab:** the TensorBoard frame is served through Colab and needs third-party cookies. If it
shows *403* or stays blank, allow cookies for `colab.research.google.com`, or use another
browser, or read the logged numbers without TensorBoard: the table at the end of this
notebook, and chapter 06's static matplotlib plot of the logged scalars."""


def setup_cell_source(chapter: str, sources: dict[str, str], packages: list[str]) -> str:
    """The first code cell of a Colab edition: writes ``sources`` as ``helpers/`` and imports it.

    Example:
        >>> src = setup_cell_source("notebooks/01_x.ipynb", {"__init__.py": ""}, ["torch"])
        >>> "EDITION = 'ed3e372b28e5'" in src and "'__init__.py': ''," in src
        True
    """
    files = "".join(f"    {name!r}: {text!r},\n" for name, text in sources.items())
    return SETUP_CELL.format(chapter=chapter, command=BUILD_COMMAND, edition=edition(sources),
                             packages=packages, files=files)


def embed_images(markdown: str, folder: Path) -> tuple[str, list[str]]:
    """Replace links to image files under ``folder`` by the images themselves (data URIs).

    Colab shows neither relative links nor cell attachments, but it shows data URIs.
    Returns the new markdown and the links whose file does not exist (left as they are).

    Example:
        >>> embed_images("![grid](https://example.org/a.png)", Path("."))
        ('![grid](https://example.org/a.png)', [])
    """
    missing = []

    def embed(match: re.Match) -> str:
        target = match["target"]
        path = folder / target
        if re.match(r"^[a-z]+:", target) or path.suffix.lower() not in IMAGE_TYPES:
            return match[0]
        if not path.is_file():
            missing.append(target)
            return match[0]
        data = base64.b64encode(path.read_bytes()).decode("ascii")
        return f"![{match['alt']}](data:{IMAGE_TYPES[path.suffix.lower()]};base64,{data})"

    return MARKDOWN_IMAGE.sub(embed, markdown), missing


def build_chapter(path: Path, root: Path | None = None) -> nbformat.NotebookNode:
    """The Colab edition of one chapter notebook ``path`` (not written anywhere).

    Raises `ValueError` if the chapter has no code cell or an image link points nowhere.

    Example:
        >>> nb = build_chapter(repo_root() / "notebooks" / "00_setup.ipynb")
        >>> nb.cells[2].metadata["cellView"], nb.cells[2].id
        ('form', 'colab-setup')
    """
    root = root if root is not None else repo_root()
    nb = nbformat.read(path, as_version=4)
    chapter = path.relative_to(root).as_posix() if path.is_relative_to(root) else path.name
    kept = {k: v for k, v in nb.metadata.items() if k == "kernelspec"}
    nb.metadata = nbformat.from_dict({**kept, "language_info": {"name": "python"}})
    cells, broken, guard = [], [], None
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
            if cell.source.startswith(GUARD_LINE):
                guard = len(cells)  # the Colab setup cell takes its place
                continue
        if cell.cell_type == "markdown":
            cell.source, missing = embed_images(cell.source, path.parent)
            broken += missing
        cells.append(cell)
    if broken:
        raise ValueError(f"{chapter} links to images that do not exist: {', '.join(broken)}")
    first_code = guard if guard is not None else next(
        (i for i, c in enumerate(cells) if c.cell_type == "code"), None)
    if first_code is None:
        raise ValueError(f"{chapter} has no code cell: nothing to build.")
    setup = nbformat.v4.new_code_cell(
        setup_cell_source(chapter, helpers_sources(root), course_packages(root)),
        metadata={"cellView": "form"}, id="colab-setup")
    if first_code > 0 and cells[first_code - 1].source.startswith("## Setup"):
        cells[first_code - 1].source += SETUP_NOTE
    cells.insert(first_code, setup)
    magic = next((i for i, c in enumerate(cells) if c.cell_type == "code"
                  and re.search(r"^%tensorboard ", c.source, re.M)), None)
    explained = any(c.cell_type == "markdown" and "403" in c.source for c in cells)
    if magic is not None and not explained:
        note = nbformat.v4.new_markdown_cell(TENSORBOARD_NOTE, id="colab-tensorboard")
        cells.insert(magic + 1, note)
    nb.cells = cells
    nbformat.validate(nb)
    return nb


def build_all(root: Path | None = None) -> dict[Path, str]:
    """Every chapter's Colab edition as file text, by the path it belongs at under ``colab/``.

    Example:
        >>> sorted(p.name for p in build_all())[:2]
        ['00_setup.ipynb', '01_write_images.ipynb']
    """
    root = root if root is not None else repo_root()
    built = {}
    for path in sorted((root / SOURCE_DIR).glob("[0-9][0-9]_*.ipynb")):
        text = nbformat.writes(build_chapter(path, root))
        built[root / TARGET_DIR / path.name] = text if text.endswith("\n") else text + "\n"
    return built


def main(argv: list[str] | None = None) -> int:
    """Write every Colab edition into ``colab/`` and remove editions of chapters that are gone."""
    parser = argparse.ArgumentParser(prog=BUILD_COMMAND, description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", type=Path, default=repo_root(),
                        help="the repository (default: %(default)s)")
    root = parser.parse_args(argv).root.resolve()
    try:
        built = build_all(root)
    except ValueError as err:
        print(f"Not built: {err}", file=sys.stderr)
        return 1
    target = root / TARGET_DIR
    target.mkdir(exist_ok=True)
    for old in sorted(target.glob("*.ipynb")):
        if old not in built:
            old.unlink()
            print(f"removed {old.relative_to(root)}")
    for path, text in built.items():
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
        print(f"built {path.relative_to(root)} ({len(text) // 1024} KiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
