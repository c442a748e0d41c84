"""The course's folder, its chapters and scratch copies of it: one place for the tooling,
the tests, the screenshots and the benchmark. Loads no torch.

Example:
    >>> chapter_names()[:2]
    ['00_setup', '01_write_images']
    >>> (REPO / "helpers").is_dir()
    True
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from helpers.paths import COURSE_DIR_ENV

REPO = Path(__file__).resolve().parent.parent
"""The course's repository: ``notebooks/``, ``helpers/``, ``data/``, ``coursetools/``."""
CHAPTERS = "notebooks"
"""The folder of the chapters, in a course folder."""
EDITIONS = {"ko": "한국어", "zh": "简体中文"}
"""The translated editions: each language's code (its folder, ``ko/``) and its own name."""


def chapter_paths(course: Path = REPO) -> list[Path]:
    """The chapters ``notebooks/NN_*.ipynb`` of ``course``, in order.

    Example:
        >>> [path.name for path in chapter_paths()][:1]
        ['00_setup.ipynb']
    """
    return sorted((Path(course) / CHAPTERS).glob("[0-9][0-9]_*.ipynb"))


def edition_paths(language: str, course: Path = REPO) -> list[Path]:
    """The chapters of the edition ``language`` (``ko/NN_*.ipynb``), in order.

    Example:
        >>> [path.name for path in edition_paths("ko")][:1]
        ['00_setup.ipynb']
    """
    return sorted((Path(course) / language).glob("[0-9][0-9]_*.ipynb"))


def chapter_names(course: Path = REPO) -> list[str]:
    """Every chapter's name, in order: ``['00_setup', '01_write_images', ...]``.

    Example:
        >>> chapter_names()[-1]
        '08_debugging'
    """
    return [path.stem for path in chapter_paths(course)]


def chapter_path(chapter: str, course: Path = REPO) -> Path:
    """The chapter named ``chapter`` (``"04_training"``) or numbered (``"04"``).

    Example:
        >>> chapter_path("04").name
        '04_training.ipynb'
    """
    found = [path for path in chapter_paths(course) if chapter in (path.stem, path.name[:2])]
    if len(found) != 1:
        raise ValueError(f"No chapter {chapter!r}: the chapters are {chapter_names(course)}.")
    return found[0]


def link_data(course: Path, data: Path | None = None) -> Path:
    """Give the folder ``course`` a ``data/`` that links to ``data`` (default: the
    repository's own, created if missing), so no chapter downloads again; return ``course``.

    Example:
        >>> link_data(Path("/tmp/scratch-course"))  # doctest: +SKIP
        PosixPath('/tmp/scratch-course')
    """
    if data is None:
        data = REPO / "data"
        data.mkdir(exist_ok=True)
    course = Path(course)
    course.mkdir(parents=True, exist_ok=True)
    (course / "data").symlink_to(Path(data).resolve(), target_is_directory=True)
    return course


@contextmanager
def course_dir_set_to(course: Path) -> Iterator[Path]:
    """Inside the block, ``$COURSE_DIR`` is ``course``: the helpers (and every kernel started
    there) write runs and checkpoints in it, not in the repository.

    Example:
        >>> with course_dir_set_to(Path("/tmp/x")):
        ...     os.environ[COURSE_DIR_ENV]
        '/tmp/x'
    """
    before = os.environ.get(COURSE_DIR_ENV)
    os.environ[COURSE_DIR_ENV] = str(course)
    try:
        yield Path(course)
    finally:
        if before is None:
            os.environ.pop(COURSE_DIR_ENV, None)
        else:
            os.environ[COURSE_DIR_ENV] = before


NOT_COURSE = (".git", ".venv", "venv", "runs", "data", "my-notebooks", "checkpoints",
              "__pycache__", "*.egg-info", ".ipynb_checkpoints", ".pytest_cache")
"""What a copy of the course leaves out when git cannot list its files."""


def copy_course(source: Path, target: Path) -> Path:
    """Copy the course's files that git knows (tracked, or new and not ignored) from
    ``source`` to ``target`` (outside a git checkout: everything but `NOT_COURSE`), with a
    ``data/`` that links to ``source``'s (`link_data`), so nothing is downloaded; return
    ``target``.

    Example:
        >>> copy_course(REPO, Path("/tmp/Mý Course"))  # doctest: +SKIP
        PosixPath('/tmp/Mý Course')
    """
    source, target = Path(source), Path(target)
    try:
        listing = subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=source, capture_output=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        shutil.copytree(source, target, dirs_exist_ok=True,
                        ignore=shutil.ignore_patterns(*NOT_COURSE))
    else:
        for name in filter(None, listing.split(b"\0")):
            path = source / os.fsdecode(name)
            if path.is_file() and not path.is_symlink():
                (target / os.fsdecode(name)).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(path, target / os.fsdecode(name))
    return link_data(target, source / "data")
