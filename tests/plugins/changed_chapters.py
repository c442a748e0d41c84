"""The session's header names each chapter that differs from the course's committed version:
nbval compares it as it is now, and the note says how to keep the work and restore it."""

from __future__ import annotations

import subprocess
from pathlib import Path

from coursetools.course import CHAPTERS, REPO


def changed_chapters_note(course: Path) -> list[str]:
    """One line per chapter in ``course/notebooks`` that git sees changed: what nbval will
    compare, and how to keep the work and restore the course's version."""
    try:
        status = subprocess.run(["git", "status", "--porcelain", "--", CHAPTERS], cwd=course,
                                capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    paths = [line[3:].strip('"') for line in status.splitlines() if line.endswith(".ipynb")]
    return [f"NOTE: {path} differs from the course's version; nbval compares it as it is now. "
            f"Keep your work with `cp {path} my-notebooks/`, then restore the course's with "
            f"`git checkout -- {path}`." for path in paths]


def pytest_report_header(config):
    """Say which chapters differ from the course's committed version, and how to restore them."""
    return changed_chapters_note(REPO) or None
