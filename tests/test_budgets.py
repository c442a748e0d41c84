"""helpers stays small enough to read: what the chapters import, docstrings included, and the
whole package, in lines (what `wc -l` counts)."""

from __future__ import annotations

import pytest

from coursetools.course import REPO

pytestmark = pytest.mark.unit

PUBLIC_BUDGET = 1_600
"""The public modules (``helpers/*.py``), the ones a learner opens from a chapter."""
PACKAGE_BUDGET = 3_584 + 76
"""The whole package, ``helpers/_runtime/`` included: its size before it was split by reader,
plus what printing the checks in the editions' languages takes (``language.py``,
``_runtime/language.py``, and each message written as ``_("...").format(...)``)."""


def lines(paths) -> dict[str, int]:
    return {path.relative_to(REPO).as_posix(): len(path.read_text().splitlines()) for path in paths}


def test_the_public_modules_fit_their_budget():
    public = lines(sorted((REPO / "helpers").glob("*.py")))
    assert sum(public.values()) <= PUBLIC_BUDGET, (
        f"the public helpers are {sum(public.values())} lines, over {PUBLIC_BUDGET}: move checks "
        f"and plumbing to helpers/_runtime/ ({sorted(public.items(), key=lambda kv: -kv[1])[:3]})")


def test_the_whole_package_is_no_larger_than_before_its_split():
    package = lines(sorted((REPO / "helpers").rglob("*.py")))
    assert sum(package.values()) <= PACKAGE_BUDGET, (
        f"helpers/ is {sum(package.values())} lines, over {PACKAGE_BUDGET} "
        f"(largest: {sorted(package.items(), key=lambda kv: -kv[1])[:3]})")
