"""Every test gets its tier: nbval's notebook items ``notebooks``; a test module's
``pytestmark`` gives ``server`` or ``browser``; every other test is ``unit``. So
``pytest -m "not browser"`` runs all but what needs Chromium. At the end, the session says
how long each tier took (summed over pytest-xdist's workers), so a slow one shows.
"""

from __future__ import annotations

import time

import pytest

TIERS = ("notebooks", "server", "browser")
TIER_SECONDS = pytest.StashKey[dict]()


def pytest_collection_modifyitems(config, items):
    """Mark every test with its tier (see the module's docstring)."""
    for item in items:
        if item.path.suffix == ".ipynb":
            item.add_marker(pytest.mark.notebooks)
        elif not any(item.get_closest_marker(tier) for tier in TIERS):
            item.add_marker(pytest.mark.unit)


def tier_of(item) -> str:
    """The tier a collected test belongs to (see `pytest_collection_modifyitems`)."""
    return next((t for t in ("browser", *TIERS[:-1], "unit") if item.get_closest_marker(t)), "unit")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item, nextitem):
    """Add each test's time (setup, call and teardown) to its tier's."""
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


@pytest.hookimpl(optionalhook=True)  # a hook of pytest-xdist's
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
