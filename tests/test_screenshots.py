"""Every chapter shows its dashboards' screenshots, and the README shows them all."""

from __future__ import annotations

import nbformat
import pytest
from PIL import Image

from coursetools.course import REPO, chapter_path
from coursetools.dashboards import VIEWPORT
from coursetools.screenshots import screenshot_views

VIEWS = screenshot_views()
RENEW = "run `make screenshots` (python -m coursetools.screenshots) and commit docs/screenshots/"


@pytest.mark.parametrize("view", VIEWS, ids=lambda view: view.name)
def test_each_view_has_a_small_screenshot(view):
    path = REPO / "docs" / "screenshots" / f"{view.name}.png"
    assert path.exists(), f"no {path.name}: {RENEW}"
    with Image.open(path) as image:
        assert image.size == (VIEWPORT["width"], VIEWPORT["height"])
    assert path.stat().st_size < 150_000


def test_screenshots_are_few_and_none_is_stale():
    pngs = sorted(p.name for p in (REPO / "docs" / "screenshots").glob("*.png"))
    assert pngs == sorted(f"{view.name}.png" for view in VIEWS), f"stale or missing: {RENEW}"
    assert sum(p.stat().st_size for p in (REPO / "docs" / "screenshots").glob("*.png")) < 1_500_000


@pytest.mark.parametrize("chapter", sorted({view.chapter for view in VIEWS}))
def test_each_chapter_shows_what_you_should_see(chapter):
    path = chapter_path(chapter)
    cells = nbformat.read(path, as_version=4).cells
    end = next(i for i, c in enumerate(cells)
               if c.source.startswith("## What TensorBoard now shows"))
    cell = cells[end - 1]
    assert cell.cell_type == "markdown" and cell.source.startswith("### What you should see"), \
        f"{path.name}: put a '### What you should see' cell right before the self-check"
    shown = [view.name for view in VIEWS
             if f"](../docs/screenshots/{view.name}.png)" in cell.source]
    assert shown == [view.name for view in VIEWS if view.chapter == chapter]


def test_the_readme_shows_every_screenshot_and_how_to_renew_them():
    readme = (REPO / "README.md").read_text()
    for view in VIEWS:
        assert f"](docs/screenshots/{view.name}.png)" in readme, view.name
    assert "make screenshots" in readme and "python -m coursetools.screenshots" in readme
