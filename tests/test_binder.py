"""binder/ launches the same course as requirements.txt, CPU-only, with the notebook proxy.

Binder itself cannot be reached from the test machines: these checks keep its files
consistent with the rest of the course.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import yaml

from coursetools.course import REPO

BINDER = REPO / "binder"


def lines(path: Path) -> list[str]:
    return [line.split("#", 1)[0].strip() for line in path.read_text().splitlines()
            if line.split("#", 1)[0].strip()]


def test_binder_installs_the_course_requirements_with_the_cpu_build_of_torch():
    assert lines(BINDER / "requirements.txt") == [
        "--extra-index-url https://download.pytorch.org/whl/cpu", "-r ../requirements.txt"]
    course = lines(REPO / "requirements.txt")
    assert any(line.startswith("jupyter-server-proxy") for line in course), \
        "Binder serves under /user/<name>/: the frame needs jupyter-server-proxy"
    assert course[-1] == "-e .", "helpers must install last, from the repository's root"


def test_binder_uses_the_course_python_and_prepares_the_data():
    env = yaml.safe_load((REPO / "environment.yml").read_text())
    python = next(d for d in env["dependencies"] if isinstance(d, str) and d.startswith("python="))
    assert (BINDER / "runtime.txt").read_text().strip() == "python-" + python.split("=")[1]
    post_build = BINDER / "postBuild"
    assert os.access(post_build, os.X_OK), "repo2docker runs postBuild only if it is executable"
    assert re.search(r"^python -m coursetools\.prepare_data --require$", post_build.read_text(), re.M)
