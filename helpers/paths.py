"""Where the course keeps its data and runs.

>>> from helpers.paths import course_dir
>>> (course_dir() / "runs").name
'runs'
"""

from __future__ import annotations

import os
from pathlib import Path

COURSE_DIR_ENV = "COURSE_DIR"


def course_dir() -> Path:
    """The course's root folder: ``$COURSE_DIR``, else the folder that holds ``helpers/``.

    A notebook in ``notebooks/`` and a test in ``tests/`` both get the repository root,
    so ``data/`` and ``runs/`` are shared, wherever the kernel was started.

    >>> course_dir().is_dir()
    True
    """
    if os.environ.get(COURSE_DIR_ENV):
        return Path(os.environ[COURSE_DIR_ENV]).expanduser().resolve()
    return Path(__file__).resolve().parent.parent
