"""The Colab edition: every chapter as one notebook that carries the course's ``helpers``.

``python -m coursetools.colab`` builds ``colab/NN_x.ipynb`` from each ``notebooks/NN_x.ipynb``
of this repository. A built notebook's first code cell writes the ``helpers`` modules that
chapter reaches (`helpers_sources`), in this exact version, into ``helpers/`` in the kernel's
working folder (where ``runs/`` and ``data/`` then go too) and installs only packages that
are missing, so uploading that one file to Colab is enough. Markdown images are embedded,
outputs are left out.

Example:
    >>> from coursetools.colab import build_chapter
    >>> from coursetools.course import chapter_path
    >>> nb = build_chapter(chapter_path("01_write_images"))
    >>> nb.cells[2].source.splitlines()[0]
    "# @title Put the course's `helpers` in place (run this cell first)"
"""

from __future__ import annotations

import argparse
import ast
import base64
import bz2
import functools
import hashlib
import json
import re
import sys
from pathlib import Path

import nbformat
from IPython.core.inputtransformer2 import TransformerManager

from coursetools.course import EDITIONS, REPO, chapter_paths, edition_paths

PACKAGE = "helpers"
TARGET_DIR = "colab"
BUILD_COMMAND = "python -m coursetools.colab"
GUARD_LINE = 'if __import__("importlib.util").util.find_spec("helpers") is None:'

"""First line of every chapter's first code cell; the Colab edition replaces that cell."""

IMAGE_TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg",
               ".gif": "image/gif", ".svg": "image/svg+xml"}
MARKDOWN_IMAGE = re.compile(r"!\[(?P<alt>[^\]]*)\]\((?P<target>[^)\s]+)(?P<title>\s+\"[^\"]*\")?\)")


def chapter_python(path: Path) -> list[str]:
    """The Python of every code cell of the chapter ``path`` that its edition keeps (all but
    the guard): IPython's magics become the calls they stand for, and a cell magic's body
    (``%%writefile train_ddp.py``) is read as Python too when it is Python.

    Example:
        >>> from coursetools.course import chapter_path
        >>> python = chapter_python(chapter_path("07"))  # writes train_ddp.py
        >>> any(p.startswith("get_ipython().run_cell_magic('writefile'") for p in python)
        True
        >>> any("from helpers.train import evaluate" in p for p in python)
        True
    """
    python = []
    for cell in nbformat.read(path, as_version=4).cells:
        if cell.cell_type != "code" or cell.source.startswith(GUARD_LINE):
            continue
        python.append(TransformerManager().transform_cell(cell.source))
        if cell.source.startswith("%%"):
            body = TransformerManager().transform_cell(cell.source.partition("\n")[2])
            try:
                ast.parse(body)
            except SyntaxError:
                continue  # a shell script or a data file: no Python to follow
            python.append(body)
    return python


def imports(python: str, package: str = "") -> list[tuple[str, list[str]]]:
    """Every import in ``python``, inside functions too: the module and the names taken from
    it (``[]`` for ``import m``). ``package``, the package the code belongs to, resolves
    relative imports.

    Example:
        >>> imports("import helpers.paths\\ndef f():\\n    from helpers import data, model")
        [('helpers.paths', []), ('helpers', ['data', 'model'])]
        >>> imports("from .checks import check_image", package="helpers._runtime")
        [('helpers._runtime.checks', ['check_image'])]
    """
    found = []
    for node in ast.walk(ast.parse(python)):
        if isinstance(node, ast.Import):
            found += [(alias.name, []) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level:
                parts = package.split(".")
                parts = parts[:len(parts) - node.level + 1]
                module = ".".join(parts + ([module] if module else []))
            found.append((module, [alias.name for alias in node.names if alias.name != "*"]))
    return found


def module_file(name: str, root: Path) -> Path | None:
    """The file of module ``name`` under ``root`` (a module or a package), or None.

    Example:
        >>> module_file("helpers._runtime", REPO).relative_to(REPO).as_posix()
        'helpers/_runtime/__init__.py'
    """
    path = root.joinpath(*name.split("."))
    for candidate in (path.with_name(path.name + ".py"), path / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def reached_modules(python: list[str], root: Path, where: str) -> dict[str, Path]:
    """Every ``helpers`` module that ``python`` imports, and every one those import in turn,
    with the ``__init__.py`` of each package on the way: by dotted name, with its file.

    Raises `ValueError` naming ``where`` (or the module) when an imported module's file is
    missing. Imports through strings (``importlib.import_module``) are not followed.

    Example:
        >>> sorted(reached_modules(["import helpers.paths"], REPO, "a cell"))
        ['helpers', 'helpers.paths']
    """
    reached: dict[str, Path] = {}
    todo = [(module, names, where) for code in python for module, names in imports(code)]
    while todo:
        module, names, importer = todo.pop()
        if module != PACKAGE and not module.startswith(PACKAGE + "."):
            continue
        # ``from m import n``: n is a module of its own when its file exists
        submodules = [f"{module}.{n}" for n in names if module_file(f"{module}.{n}", root)]
        for name in [module, *submodules]:
            if name in reached:
                continue
            path = module_file(name, root)
            if path is None:
                raise ValueError(f"{importer} imports {name}, but "
                                 f"{name.replace('.', '/')}.py does not exist.")
            reached[name] = path
            parent = name.rpartition(".")[0]
            package = name if path.name == "__init__.py" else parent
            todo += [(parent, [], name)] if parent else []
            todo += [(m, n, name) for m, n in imports(path.read_text(encoding="utf-8"), package)]
    return dict(sorted(reached.items()))


def helpers_sources(chapter: Path, root: Path = REPO) -> dict[str, str]:
    """The ``helpers`` files the chapter ``chapter`` reaches (`reached_modules`), by path
    inside the package, sorted.

    Example:
        >>> from coursetools.course import chapter_path
        >>> sources = helpers_sources(chapter_path("00"))
        >>> list(sources)[:2], "debugging.py" in sources
        (['__init__.py', '_runtime/__init__.py'], False)
    """
    where = chapter.relative_to(root).as_posix() if chapter.is_relative_to(root) else chapter.name
    package = root / PACKAGE
    sources = {path.relative_to(package).as_posix(): path.read_text(encoding="utf-8")
               for path in sorted(reached_modules(chapter_python(chapter), root, where).values())}
    language = nbformat.read(chapter, as_version=4).metadata.get("course_edition")
    if language:  # an edition's checks speak its language: its gettext catalog comes along
        catalog = f"locale/{language}/LC_MESSAGES/{PACKAGE}.mo"
        # a binary file, carried as text: each byte that is not UTF-8 as a lone surrogate
        sources[catalog] = (package / catalog).read_bytes().decode("utf-8", "surrogateescape")
    return sources


def edition(sources: dict[str, str]) -> str:
    """A short fingerprint of the sources: it changes whenever one of these files does.

    Example:
        >>> edition({"__init__.py": ""})
        'ed3e372b28e5'
    """
    digest = hashlib.sha256()
    for name, text in sorted(sources.items()):
        digest.update(f"{name}\0{text}\0".encode("utf-8", "surrogateescape"))
    return digest.hexdigest()[:12]


def course_packages(root: Path) -> list[str]:
    """The requirements under ``# --- the course itself`` in ``requirements.txt``.

    Example:
        >>> [p.split(">")[0] for p in course_packages(REPO)][:2]
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
# This cell writes the modules of the course's `helpers` package that this chapter uses
# (edition {edition}) into helpers/ in the working folder, where runs/, data/ and
# checkpoints/ go too: beside another chapter's of the same version, instead of another
# version's. It installs a package only on Colab and only if it is missing: Colab already
# has all of them.
import base64
import bz2
import importlib
import importlib.util
import json
import os
import re
import shlex
import shutil
import sys
import tempfile
from pathlib import Path

EDITION = {edition!r}
PACKAGES = {packages!r}
# the modules' text, {{path: text}} (a gettext catalog's .mo: its bytes that are not UTF-8 as
# lone surrogates), packed (JSON, bz2, base85) so this cell stays short
HELPERS = json.loads(bz2.decompress(base64.b85decode("{packed}")))


def content(name):
    return HELPERS[name].encode("utf-8", "surrogateescape")


modules = {{p: re.split(r"[<>=!~ ]", p)[0].replace("-", "_") for p in PACKAGES}}
missing = [p for p, module in modules.items() if importlib.util.find_spec(module) is None]
if missing and "google.colab" in sys.modules:
    PIP_ARGS = " ".join(shlex.quote(p) for p in missing)
    %pip install -q {{PIP_ARGS}}
elif missing:
    raise SystemExit("This chapter needs: pip install " + " ".join(shlex.quote(p) for p in missing))

folder = Path.cwd() / "helpers"
if folder.exists() and not (folder / "EDITION").is_file():
    raise SystemExit(f"{{folder}} was not written by this course: "
                     "rename or delete it, then run this cell again.")
found = {{name: (folder / name).read_bytes() for name in HELPERS if (folder / name).is_file()}}
if not folder.exists() or any(data != content(name) for name, data in found.items()):
    # none yet, or another version of the course's: this one replaces it whole
    fresh = Path(tempfile.mkdtemp(prefix=".helpers-", dir=Path.cwd()))
    for name in HELPERS:
        (fresh / name).parent.mkdir(parents=True, exist_ok=True)
        (fresh / name).write_bytes(content(name))
    (fresh / "EDITION").write_text(EDITION + "\\n")
    shutil.rmtree(folder, ignore_errors=True)
    fresh.rename(folder)
    for module in [m for m in sys.modules if m == "helpers" or m.startswith("helpers.")]:
        del sys.modules[module]  # forget another version imported before
else:
    # the same version, written by this chapter or another one: add the modules it lacks,
    # so the other chapter's modules stay for when the learner goes back to it
    for name in sorted(HELPERS.keys() - found.keys()):
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(content(name))
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
        >>> "EDITION = 'ed3e372b28e5'" in src and pack({"__init__.py": ""}) in src
        True
    """
    return SETUP_CELL.format(chapter=chapter, command=BUILD_COMMAND, edition=edition(sources),
                             packages=packages, packed=pack(sources))


def pack(sources: dict[str, str]) -> str:
    """``sources`` as one short ASCII string (JSON, bz2, base85) that the setup cell unpacks.

    Example:
        >>> import base64, bz2, json
        >>> json.loads(bz2.decompress(base64.b85decode(pack({"a.py": "x = 1"}))))
        {'a.py': 'x = 1'}
    """
    data = json.dumps(sources, sort_keys=True).encode("ascii")  # a lone surrogate as \udcXX
    return base64.b85encode(bz2.compress(data, 9)).decode("ascii")


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
        kind, image = smaller_image(path)
        data = base64.b64encode(image).decode("ascii")
        return f"![{match['alt']}](data:{kind};base64,{data})"

    return MARKDOWN_IMAGE.sub(embed, markdown), missing


SCREENSHOT_COLOURS = (16, 48)
"""Colours kept in an embedded screenshot: its 16 most frequent exactly (TensorBoard's flat
UI: white cards on grey), then the rest picked to cover the image (the runs' colours, the
greys of Fashion-MNIST), 48 in all. The pictures look the same and take 2/3 of the bytes."""


def few_colours(image):
    """``image`` (RGB) in `SCREENSHOT_COLOURS` colours, without dithering."""
    from PIL import Image

    exact, total = SCREENSHOT_COLOURS
    frequent = [colour for _, colour in sorted(image.getcolors(image.width * image.height),
                                               reverse=True)[:exact]]
    spread = image.quantize(colors=total, method=Image.Quantize.FASTOCTREE,
                            dither=Image.Dither.NONE).getpalette()[:3 * total]
    colours = list(dict.fromkeys(frequent + [tuple(spread[i:i + 3]) for i in range(0, len(spread), 3)]))
    palette = Image.new("P", (1, 1))
    flat = [value for colour in colours[:total] for value in colour]
    palette.putpalette(flat + flat[:3] * (256 - len(colours[:total])))
    return image.quantize(palette=palette, dither=Image.Dither.NONE).convert("RGB")


@functools.cache  # the editions in three languages embed the same pictures
def smaller_image(path: Path) -> tuple[str, bytes]:
    """The image at ``path`` as the smaller of its own file and a lossless WebP of it in
    `few_colours`, with its media type: nine chapters each carry their pictures, in at most
    1 MB in all.

    Example:
        >>> kind, image = smaller_image(REPO / "docs" / "screenshots" / "00_scalars.png")
        >>> kind, len(image) < (REPO / "docs" / "screenshots" / "00_scalars.png").stat().st_size
        ('image/webp', True)
    """
    import io

    from PIL import Image

    original = path.read_bytes()
    if path.suffix.lower() not in (".png", ".jpg", ".jpeg"):
        return IMAGE_TYPES[path.suffix.lower()], original
    with Image.open(path) as image:
        few = few_colours(image.convert("RGB"))
    webp = io.BytesIO()
    few.save(webp, "WEBP", lossless=True, quality=100, method=4)
    if len(webp.getvalue()) < len(original):
        return "image/webp", webp.getvalue()
    return IMAGE_TYPES[path.suffix.lower()], original


def build_chapter(path: Path, root: Path = REPO) -> nbformat.NotebookNode:
    """The Colab edition of one chapter notebook ``path`` (not written anywhere).

    Raises `ValueError` if the chapter has no code cell or an image link points nowhere.

    Example:
        >>> from coursetools.course import chapter_path
        >>> nb = build_chapter(chapter_path("00"))
        >>> nb.cells[2].metadata["cellView"], nb.cells[2].id
        ('form', 'colab-setup')
    """
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
        setup_cell_source(chapter, helpers_sources(path, root), course_packages(root)),
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


def build_all(root: Path = REPO) -> dict[Path, str]:
    """Every chapter's Colab edition as file text, by the path it belongs at: ``colab/`` for
    the English chapters, ``colab/<language>/`` for an edition's (`EDITIONS`).

    Example:
        >>> sorted(p.relative_to(REPO).as_posix() for p in build_all())[::9]  # doctest: +SKIP
        ['colab/00_setup.ipynb', 'colab/ko/00_setup.ipynb', 'colab/zh/00_setup.ipynb']
    """
    built = {}
    sources = [(chapter_paths(root), root / TARGET_DIR)]
    sources += [(edition_paths(language, root), root / TARGET_DIR / language) for language in EDITIONS]
    for chapters, target in sources:
        for path in chapters:
            text = nbformat.writes(build_chapter(path, root))
            built[target / path.name] = text if text.endswith("\n") else text + "\n"
    return built


def main(argv: list[str] | None = None) -> int:
    """Write every Colab edition into ``colab/`` and remove editions of chapters that are gone."""
    parser = argparse.ArgumentParser(prog=BUILD_COMMAND, description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", type=Path, default=REPO,
                        help="the repository (default: %(default)s)")
    root = parser.parse_args(argv).root.resolve()
    try:
        built = build_all(root)
    except ValueError as err:
        print(f"Not built: {err}", file=sys.stderr)
        return 1
    targets = [root / TARGET_DIR, *(root / TARGET_DIR / language for language in EDITIONS)]
    for old in sorted(p for target in targets for p in target.glob("*.ipynb")):
        if old not in built:
            old.unlink()
            print(f"removed {old.relative_to(root)}")
    for path, text in built.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
        print(f"built {path.relative_to(root)} ({len(text) // 1024} KiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
