"""The order of the tests, and which of them run together on one pytest-xdist worker.

`make test` runs the tests on two workers (`pytest -n 2`), each with its own scratch course.
nbval's items and the tests that read the runs nbval wrote stay together on one worker, in
order; the learner's Run All in JupyterLab (the longest group) runs beside them from the
start; every other module is one unit, sent to whichever worker is free, the longest first
(`GROUP_ORDER`).
"""

from __future__ import annotations

import pytest

from coursetools.course import EDITIONS

CHAPTER_RUN_MODULES = ("tests/test_notebooks.py", "tests/test_dashboards_server.py",
                       "tests/test_dashboards_browser.py", "tests/test_server_safety.py")
GROUP_ORDER = ("learner", "chapters", "tests/test_exercises.py", "tests/test_editions_browser.py",
               "tests/test_benchmark.py", "tests/test_distributed.py")
"""The longest groups, longest first, right after the docstrings' examples (some expect a
process that has started no TensorBoard yet): the first two start one on each worker, and
the others go out before the short ones, so the two workers finish close together."""


def group_of(nodeid: str) -> str:
    """The group of tests a node id belongs to: ``learner``, ``chapters``, or its module.

    Example:
        >>> group_of("notebooks/04_training.ipynb::Cell 5")
        'chapters'
        >>> group_of("zh/02_graph.ipynb::Cell 3")
        'editions'
        >>> group_of("tests/test_data.py::test_a_bad_path[x]")
        'tests/test_data.py'
    """
    module = nodeid.split("::")[0]
    if module == "tests/test_learner_path.py":
        return "learner"
    if module.split("/")[0] in EDITIONS:  # ko/01_write_images.ipynb: its own scratch runs
        return "editions"
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
    """Order: the examples in ``helpers/`` and ``coursetools/``, the longest groups of tests
    (`group_of`), the rest; each in its own order."""
    rank = {group: i for i, group in enumerate(GROUP_ORDER, start=1)}
    items.sort(key=lambda item: 0 if item.path.suffix == ".py" and item.path.parent.name in (
        "helpers", "_runtime", "coursetools") else rank.get(group_of(item.nodeid), len(rank) + 1))
