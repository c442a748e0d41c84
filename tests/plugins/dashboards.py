"""A real TensorBoard on the chapters' own runs, and the system's Chromium for
pytest-playwright's ``page``: each shared by the whole session."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def course_runs(tmp_path_factory) -> tuple[Path, dict[str, Path]]:
    """Every chapter's newest run, as the chapter itself wrote it: (logdir, {name: run}).

    nbval executes the chapters first in this session's scratch course (pytest's testpaths
    put ``notebooks`` before ``tests``); a chapter without a run there is executed now."""
    from coursetools.chapters import chapter_runs
    from helpers.paths import course_dir

    logdir = tmp_path_factory.mktemp("course") / "runs"
    return logdir, chapter_runs(course_dir(), logdir)


@pytest.fixture(scope="session")
def tensorboard_server(course_runs):
    """A real TensorBoard on 127.0.0.1 for the course's runs; none of its processes outlives
    the session."""
    from coursetools.tensorboard import TensorBoard

    server = TensorBoard(course_runs[0], port=0, quiet=True)
    try:
        yield server
    finally:
        server.stop()
        assert not server.processes(), f"TensorBoard processes {server.processes()} survived stop()"


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """pytest-playwright's ``browser`` is the system's Chromium (`apt-get install chromium`),
    started with the course's flags; Playwright's own browser download is never used."""
    from coursetools.dashboards import CHROMIUM, CHROMIUM_ARGS, missing_chromium_message

    if not CHROMIUM.exists():
        pytest.fail(missing_chromium_message(CHROMIUM))
    return {**browser_type_launch_args, "executable_path": str(CHROMIUM), "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    """Every page of pytest-playwright's ``page`` has the screenshots' window size."""
    from coursetools.dashboards import VIEWPORT

    return {**browser_context_args, "viewport": VIEWPORT}
