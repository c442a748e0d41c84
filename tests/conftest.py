"""The test session's configuration: each job is a plugin module in ``tests/plugins/``.

The session works in a scratch course (`plugins.scratch_course`), names chapters that
differ from the course's version (`plugins.changed_chapters`), marks every test with its
tier and times the tiers (`plugins.tiers`), orders and groups the tests for ``pytest -n 2``
(`plugins.groups`), and gives fixtures for the data files (`plugins.data_files`) and for a
real TensorBoard and Chromium (`plugins.dashboards`).
"""

from __future__ import annotations

import pytest

pytest.register_assert_rewrite("plugins")  # before pytest imports them as plugins

pytest_plugins = [
    "plugins.scratch_course",
    "plugins.changed_chapters",
    "plugins.tiers",
    "plugins.groups",
    "plugins.data_files",
    "plugins.dashboards",
]
