"""The test session's configuration: each job is a plugin module in ``tests/plugins/``.

The session works in a scratch course (`plugins.scratch_course`), names chapters that
differ from the course's version (`plugins.changed_chapters`), marks every test with its
tier and times the tiers (`plugins.tiers`), orders and groups the tests for ``pytest -n 2``
(`plugins.groups`), and gives fixtures for the data files (`plugins.data_files`) and for a
real TensorBoard and Chromium (`plugins.dashboards`).
"""

from __future__ import annotations

import pytest

pytest.register_assert_rewrite("plugins")  # before the imports below, as for pytest_plugins

from plugins.changed_chapters import changed_chapters_note  # noqa: E402, F401 - tests import it here
from plugins.data_files import idx_bytes  # noqa: E402, F401 - tests import it here

pytest_plugins = [
    "plugins.scratch_course",
    "plugins.changed_chapters",
    "plugins.tiers",
    "plugins.groups",
    "plugins.data_files",
    "plugins.dashboards",
]
