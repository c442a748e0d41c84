"""A real browser (headless Chromium) renders every dashboard with what a person looks for.

One TensorBoard and one Chromium serve the whole session; each view opens in a fresh page,
and a failing view leaves a screenshot of what the browser showed in test-results/.
"""

from __future__ import annotations

import pytest
from PIL import Image

from coursetools.dashboards import CHROMIUM, VIEWPORT, VIEWS, View, launch_chromium, open_view
from coursetools.screenshots import take_screenshot

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("view", VIEWS, ids=lambda view: view.name)
def test_dashboard_shows_the_chapter_run(page, tensorboard_server, view):
    open_view(page, tensorboard_server.url, view)


def test_a_missing_tag_fails_with_a_screenshot_worthy_message(page, tensorboard_server):
    missing = View("04_training", "scalars", ("validation loss",))
    with pytest.raises(AssertionError, match="no tf-scalar-card for tag 'validation loss'"):
        open_view(page, tensorboard_server.url, missing, timeout_ms=1500)


def test_a_screenshot_is_a_small_png_of_the_viewport(page, tensorboard_server, tmp_path):
    view = next(v for v in VIEWS if v.dashboard == "graphs")
    path = take_screenshot(page, tensorboard_server.url, view, tmp_path / f"{view.name}.png")
    image = Image.open(path)
    assert image.size == (VIEWPORT["width"], VIEWPORT["height"]) and image.mode == "P"
    assert path.stat().st_size < 150_000


def test_without_chromium_the_message_says_how_to_install_it(playwright, tmp_path):
    assert CHROMIUM.exists(), "CI installs Chromium: `apt-get install chromium`"
    with pytest.raises(FileNotFoundError, match="apt-get install chromium"):
        launch_chromium(playwright, tmp_path / "chromium")
