"""Shared fixtures: synthetic IDX files, the real data, and a clean environment.

The whole test session works in a scratch course folder (``$COURSE_DIR``), so the tests never
write into the learner's own ``runs/`` or ``checkpoints/``; its ``data/`` is the course's
own, shared. Every kernel the tests start inherits it.
"""

from __future__ import annotations

import gzip
import os
import shutil
import struct
import subprocess
import tempfile
from pathlib import Path

import psutil
import pytest

from helpers._runtime.servers import end_processes
from helpers._runtime.datafiles import DEBIAN_COPY, LOCAL_COPY_ENV, RAW_FILES
from helpers.paths import COURSE_DIR_ENV

ROOT = Path(__file__).resolve().parent.parent


def pytest_configure(config):
    """Point the session at a scratch course whose data/ is the course's own."""
    scratch = Path(tempfile.mkdtemp(prefix="course-tests-"))
    (ROOT / "data").mkdir(exist_ok=True)
    (scratch / "data").symlink_to(ROOT / "data", target_is_directory=True)
    config.stash[SCRATCH] = (scratch, os.environ.get(COURSE_DIR_ENV))
    os.environ[COURSE_DIR_ENV] = str(scratch)


def pytest_unconfigure(config):
    """Stop what the session's kernels left running there (nbval kills its kernels, so their
    TensorBoards never hear of it), and remove the scratch course."""
    scratch, before = config.stash[SCRATCH]
    processes = [p for p in psutil.process_iter(["cmdline"])
                 if any(str(scratch) in arg for arg in p.info["cmdline"] or [])]
    end_processes(processes)
    shutil.rmtree(scratch, ignore_errors=True)
    if before is None:
        os.environ.pop(COURSE_DIR_ENV, None)
    else:
        os.environ[COURSE_DIR_ENV] = before


def changed_chapters_note(root: Path) -> list[str]:
    """One line per chapter in ``root/notebooks`` that git sees changed: what nbval will
    compare, and how to keep the work and restore the course's version."""
    try:
        status = subprocess.run(["git", "status", "--porcelain", "--", "notebooks"], cwd=root,
                                capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    paths = [line[3:].strip('"') for line in status.splitlines() if line.endswith(".ipynb")]
    return [f"NOTE: {path} differs from the course's version; nbval compares it as it is now. "
            f"Keep your work with `cp {path} my-notebooks/`, then restore the course's with "
            f"`git checkout -- {path}`." for path in paths]


TIERS = ("notebooks", "server", "browser")


# `make test` runs the tests on two pytest-xdist workers (`pytest -n 2`), each with its own
# scratch course. nbval's items and the tests that read the runs nbval wrote stay together on
# one worker, in order; the learner's Run All in JupyterLab (the longest group) runs beside
# them from the start; every other module is one unit, sent to whichever worker is free.
CHAPTER_RUN_MODULES = ("tests/test_notebooks.py", "tests/test_dashboards_server.py",
                       "tests/test_dashboards_browser.py", "tests/test_server_safety.py")
GROUP_ORDER = ("learner", "chapters")  # the two longest groups, one per worker, right after
# the docstrings' examples (some expect a process that has started no TensorBoard yet)


def group_of(nodeid: str) -> str:
    """The group of tests a node id belongs to: ``learner``, ``chapters``, or its module.

    Example:
        >>> group_of("notebooks/04_training.ipynb::Cell 5")
        'chapters'
        >>> group_of("tests/test_data.py::test_a_bad_path[x]")
        'tests/test_data.py'
    """
    module = nodeid.split("::")[0]
    if module == "tests/test_learner_path.py":
        return "learner"
    if module.endswith(".ipynb") or module in CHAPTER_RUN_MODULES:
        return "chapters"
    return module


@pytest.hookimpl(optionalhook=True)  # a hook of pytest-xdist's
def pytest_xdist_make_scheduler(config, log):
    """Under ``pytest -n``: each group of tests (`group_of`) runs on one worker, in the
    order collected (`pytest_collection_modifyitems` puts the longest groups first)."""
    from xdist.scheduler import LoadScopeScheduling

    class GroupScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return group_of(nodeid)

    config.option.loadscopereorder = False  # keep the collected order of the groups
    return GroupScheduling(config, log)


def pytest_collection_modifyitems(config, items):
    """Mark every test with its tier: nbval's notebook items ``notebooks``; a test module's
    ``pytestmark`` gives ``server`` or ``browser``; every other test is ``unit``. So
    ``pytest -m "not browser"`` runs all but what needs Chromium. Order: the examples in
    ``helpers/`` and ``coursetools/``, the longest groups of tests (`group_of`), the rest;
    each in its own order."""
    for item in items:
        if item.path.suffix == ".ipynb":
            item.add_marker(pytest.mark.notebooks)
        elif not any(item.get_closest_marker(tier) for tier in TIERS):
            item.add_marker(pytest.mark.unit)
    rank = {group: i for i, group in enumerate(GROUP_ORDER, start=1)}
    items.sort(key=lambda item: 0 if item.path.suffix == ".py" and item.path.parent.name in (
        "helpers", "coursetools") else rank.get(group_of(item.nodeid), len(rank) + 1))  # stable


TIER_SECONDS = pytest.StashKey[dict]()


def tier_of(item) -> str:
    """The tier a collected test belongs to (see `pytest_collection_modifyitems`)."""
    return next((t for t in ("browser", *TIERS[:-1], "unit") if item.get_closest_marker(t)), "unit")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item, nextitem):
    """Add each test's time (setup, call and teardown) to its tier's."""
    import time

    start = time.perf_counter()
    try:
        return (yield)
    finally:
        seconds = item.config.stash.setdefault(TIER_SECONDS, {})
        tier = tier_of(item)
        seconds[tier] = seconds.get(tier, 0.0) + time.perf_counter() - start


def pytest_sessionfinish(session):
    """On an xdist worker, hand its tiers' times to the controller."""
    if hasattr(session.config, "workeroutput"):
        session.config.workeroutput["tier_seconds"] = session.config.stash.get(TIER_SECONDS, {})


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error):
    """On the xdist controller, add a finished worker's tier times to the session's."""
    seconds = node.config.stash.setdefault(TIER_SECONDS, {})
    for tier, worker_seconds in getattr(node, "workeroutput", {}).get("tier_seconds", {}).items():
        seconds[tier] = seconds.get(tier, 0.0) + worker_seconds


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    """Say how long each tier took (summed over xdist's workers), so a slow one shows."""
    seconds = config.stash.get(TIER_SECONDS, {})
    if seconds:
        parts = ", ".join(f"{tier} {seconds[tier]:.0f} s" for tier in
                          ("unit", "notebooks", "server", "browser") if tier in seconds)
        terminalreporter.write_line(f"time per tier: {parts}")


def pytest_report_header(config):
    """Say which chapters differ from the course's committed version, and how to restore them."""
    return changed_chapters_note(ROOT) or None


SCRATCH = pytest.StashKey[tuple]()


def idx_bytes(name: str, count: int | None = None) -> bytes:
    """A valid, all-zero IDX file of the real Fashion-MNIST size for ``name``."""
    magic, size = RAW_FILES[name]
    n = count if count is not None else (60_000 if name.startswith("train") else 10_000)
    if magic == 2051:
        return struct.pack(">iiii", magic, n, 28, 28) + bytes(n * 28 * 28)
    return struct.pack(">ii", magic, n) + bytes(n)


@pytest.fixture(scope="session")
def fake_gz_copy(tmp_path_factory) -> Path:
    """A folder with four valid (all-zero) ``.gz`` files, like Debian's copy."""
    folder = tmp_path_factory.mktemp("fake-copy")
    for name in RAW_FILES:
        with gzip.open(folder / f"{name}.gz", "wb", compresslevel=1) as f:
            f.write(idx_bytes(name))
    return folder


@pytest.fixture
def offline(monkeypatch):
    """torchvision's download points at a local port where nothing listens: a real refusal."""
    import socket

    from torchvision import datasets

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setattr(datasets.FashionMNIST, "mirrors", [f"http://127.0.0.1:{port}/"])
    monkeypatch.setattr(datasets.CIFAR10, "url", f"http://127.0.0.1:{port}/cifar-10-python.tar.gz")


@pytest.fixture
def no_local_copy(monkeypatch, tmp_path):
    """``$FASHION_MNIST_DIR`` points at an empty folder."""
    empty = tmp_path / "no-copy"
    empty.mkdir()
    monkeypatch.setenv(LOCAL_COPY_ENV, str(empty))
    return empty


@pytest.fixture(scope="session")
def real_copy() -> Path:
    """The real Fashion-MNIST ``.gz`` files: ``$FASHION_MNIST_DIR`` or Debian's package."""
    import os

    folder = Path(os.environ.get(LOCAL_COPY_ENV) or DEBIAN_COPY)
    if not all((folder / f"{n}.gz").exists() for n in RAW_FILES):
        pytest.fail(
            f"The real Fashion-MNIST is not in {folder}: install it with "
            "`apt-get install dataset-fashion-mnist` or set FASHION_MNIST_DIR."
        )
    return folder


# --- a real TensorBoard on the course's runs, and a real browser (shared by the whole session) ---


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
