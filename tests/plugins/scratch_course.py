"""The whole test session works in a scratch course folder (``$COURSE_DIR``), so the tests
never write into the learner's own ``runs/`` or ``checkpoints/``; its ``data/`` is the
course's own, shared. Every kernel the tests start inherits it; under ``pytest -n`` each
worker has its own.
"""

from __future__ import annotations

import shutil
import tempfile
from contextlib import ExitStack
from pathlib import Path

import pytest

from coursetools.course import course_dir_set_to, link_data
from coursetools.lab_server import course_processes
from helpers._runtime.servers import end_processes

SCRATCH = pytest.StashKey[tuple[Path, ExitStack]]()


def pytest_configure(config):
    """Point the session at a scratch course whose data/ is the course's own."""
    scratch = link_data(Path(tempfile.mkdtemp(prefix="course-tests-")))
    stack = ExitStack()
    stack.enter_context(course_dir_set_to(scratch))
    config.stash[SCRATCH] = (scratch, stack)


def pytest_unconfigure(config):
    """Stop what the session's kernels left running there (nbval kills its kernels, so their
    TensorBoards never hear of it), and remove the scratch course."""
    scratch, stack = config.stash[SCRATCH]
    end_processes(course_processes(scratch))
    shutil.rmtree(scratch, ignore_errors=True)
    stack.close()  # $COURSE_DIR as it was before the session
