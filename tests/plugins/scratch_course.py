"""The whole test session works in a scratch course folder (``$COURSE_DIR``), so the tests
never write into the learner's own ``runs/`` or ``checkpoints/``; its ``data/`` is the
course's own, shared. Every kernel the tests start inherits it; under ``pytest -n`` each
worker has its own. A translated edition's chapter (``ko/01_write_images.ipynb``) runs in a
scratch course of its language, as ``make editions`` ran it: its exercise lines count the
runs of that edition, not the English chapter's.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from contextlib import ExitStack
from pathlib import Path

import pytest

from coursetools.course import EDITIONS, course_dir_set_to, link_data
from coursetools.lab_server import course_processes
from helpers._runtime.servers import end_processes
from helpers.paths import COURSE_DIR_ENV

SCRATCH = pytest.StashKey[tuple[Path, ExitStack]]()
EDITION_SCRATCH = pytest.StashKey[dict[str, Path]]()


def pytest_configure(config):
    """Point the session at a scratch course whose data/ is the course's own."""
    scratch = link_data(Path(tempfile.mkdtemp(prefix="course-tests-")))
    stack = ExitStack()
    stack.enter_context(course_dir_set_to(scratch))
    config.stash[SCRATCH] = (scratch, stack)
    config.stash[EDITION_SCRATCH] = {}


def edition_of(item) -> str | None:
    """The language of the edition ``item`` belongs to (``ko/...ipynb``), else ``None``."""
    try:
        folder = item.path.relative_to(item.config.rootpath).parts[0]
    except ValueError:
        return None
    return folder if folder in EDITIONS else None


@pytest.hookimpl(tryfirst=True)  # before nbval starts the notebook's kernel, which inherits it
def pytest_runtest_setup(item):
    language = edition_of(item)
    if language is not None:
        courses = item.config.stash[EDITION_SCRATCH]
        if language not in courses:
            courses[language] = link_data(Path(tempfile.mkdtemp(prefix=f"course-tests-{language}-")))
        os.environ[COURSE_DIR_ENV] = str(courses[language])


def pytest_runtest_teardown(item):
    if edition_of(item) is not None:
        os.environ[COURSE_DIR_ENV] = str(item.config.stash[SCRATCH][0])


def pytest_unconfigure(config):
    """Stop what the session's kernels left running there (nbval kills its kernels, so their
    TensorBoards never hear of it), and remove the scratch course."""
    scratch, stack = config.stash[SCRATCH]
    for course in [scratch, *config.stash[EDITION_SCRATCH].values()]:
        end_processes(course_processes(course))
        shutil.rmtree(course, ignore_errors=True)
    stack.close()  # $COURSE_DIR as it was before the session
