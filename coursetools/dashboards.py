"""TensorBoard's dashboards in a real browser: open each one and wait for what a person looks for.

`VIEWS` lists, chapter by chapter, which dashboard shows that chapter's run and what must
be on screen. The browser tests check every view; ``python -m coursetools.screenshots``
photographs them. Chromium is the system's (Debian package ``chromium``), driven by
Playwright; Playwright's own browser download is never used.

Example:
    >>> [view.name for view in VIEWS][:3]
    ['00_scalars', '01_images', '02_graphs']
    >>> from playwright.sync_api import sync_playwright
    >>> with sync_playwright() as p:  # doctest: +SKIP
    ...     page = launch_chromium(p).new_page(viewport=VIEWPORT)
    ...     open_view(page, "http://127.0.0.1:6006/", VIEWS[0])
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from coursetools.chapters import chapter_value
from helpers._runtime.datafiles import CLASSES

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",  # runs as root in containers and CI
    "--disable-gpu",  # the projector's WebGL then renders in software
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
SWEEP_RUNS = tuple(chapter_value("06_comparing_runs", "NAMES"))  # the sweep's run names
FOLDER_OF_RUNS = ("06_comparing_runs", "08_debugging")  # whose run folder holds one run per setting
VIEWPORT = {"width": 1200, "height": 800}
TIMEOUT_MS = 30_000


@dataclass(frozen=True)
class View:
    """One dashboard showing one chapter's run, and what must be visible on it.

    ``shows`` are tags for Scalars, Images, Histograms, PR Curves and Text; node names
    for Graphs; the point count text for the Projector; run names for HParams.
    """

    run: str
    dashboard: str
    shows: tuple[str, ...]

    @property
    def chapter(self) -> str:
        """``'04'`` for the run ``'04_training'``."""
        return self.run[:2]

    @property
    def name(self) -> str:
        """``'04_scalars'``: the chapter and the dashboard, the screenshot's file name."""
        return f"{self.chapter}_{self.dashboard}"


VIEWS: tuple[View, ...] = (
    View("00_setup", "scalars", ("setup/square",)),
    View("01_write_images", "images", ("four_fashion_mnist_images",)),
    View("02_graph", "graphs", ("Net",)),
    View("03_projector", "projector", (f"Points: {chapter_value('03_projector', 'N_POINTS')}",)),
    View("04_training", "scalars", ("loss/train", "accuracy/train", "accuracy/test")),
    View("04_training", "images", ("predictions vs. actuals",)),
    View("05_pr_curves", "pr_curves", CLASSES),
    View("05_pr_curves", "images", ("confusion matrix", "most confident mistakes")),
    View("06_comparing_runs", "scalars", ("accuracy/test", "loss/train")),
    View("06_comparing_runs", "hparams", SWEEP_RUNS),
    View("06_comparing_runs", "histograms", ("gradients/conv1",)),
    View("06_comparing_runs", "text", ("notes/text_summary",)),
    View("07_distributed", "scalars", ("loss/train", "accuracy/train", "accuracy/test",
                                       "progress/images_seen")),
    View("08_debugging", "scalars", ("loss/train", "loss/test")),
    View("08_debugging", "histograms", ("inputs", "activations/fc1")),
    View("08_debugging", "images", ("a training batch with its labels",)),
)
"""Every dashboard the course's chapters fill, in chapter order: one line per view."""


def missing_chromium_message(executable: str | Path = CHROMIUM) -> str:
    """What to do when there is no Chromium at ``executable``.

    Example:
        >>> missing_chromium_message("/nowhere/chromium").split(":")[0]
        'No Chromium at /nowhere/chromium'
    """
    return (f"No Chromium at {executable}: install it with `sudo apt-get install chromium` "
            "(Debian/Ubuntu). The course drives the system's Chromium with Playwright and "
            "never downloads a browser of its own.")


def launch_chromium(playwright, executable: str | Path = CHROMIUM):
    """Headless Chromium from the system's package, driven by Playwright.

    Example:
        >>> launch_chromium(playwright, "/nowhere/chromium")  # doctest: +SKIP
        Traceback (most recent call last):
        ...
        FileNotFoundError: No Chromium at /nowhere/chromium: install it with `sudo apt-get ...
    """
    if not Path(executable).exists():
        raise FileNotFoundError(missing_chromium_message(executable))
    return playwright.chromium.launch(executable_path=str(executable), args=CHROMIUM_ARGS)


def tag_filter(tags: tuple[str, ...]) -> str:
    """The regular expression a person would type into TensorBoard's tag filter for ``tags``.

    Example:
        >>> print(tag_filter(("predictions vs. actuals", "loss")))
        predictions vs\\. actuals|loss
    """
    return "|".join(re.sub(r"([.^$*+?()\[\]{}|\\])", r"\\\1", tag) for tag in tags)


def view_url(base_url: str, view: View, filter_tags: bool = True) -> str:
    """The address of ``view``'s dashboard, filtered to its tags where the dashboard can filter
    and ``filter_tags`` is true (so every tag's card is open, even where TensorBoard would fold
    some away because a run has many tags).

    Example:
        >>> view_url("http://127.0.0.1:6006/", VIEWS[0])
        'http://127.0.0.1:6006/#scalars&tagFilter=setup/square'
    """
    url = f"{base_url}#{view.dashboard}"
    if filter_tags and view.dashboard in ("scalars", "images", "histograms", "pr_curves", "text"):
        url += "&tagFilter=" + quote(tag_filter(view.shows), safe="/")
    return url


def open_view(page, base_url: str, view: View, filter_tags: bool = True,
              timeout_ms: int = TIMEOUT_MS) -> None:
    """Open ``view`` in ``page`` (see `view_url`) and wait until everything in ``view.shows``
    is drawn.

    Raises Playwright's ``TimeoutError`` (or an ``AssertionError``) saying what is missing.

    Example:
        >>> open_view(page, "http://127.0.0.1:6006/", VIEWS[2])  # doctest: +SKIP
    """
    from playwright.sync_api import expect

    page.goto(view_url(base_url, view, filter_tags))
    expect.set_options(timeout=timeout_ms)
    check = _CHECKS[view.dashboard]
    check(page, view.shows)


def _card(page, element: str, tag: str):
    """The first card of ``tag``: a tag filter lists it under "search results" and under its
    own heading."""
    from playwright.sync_api import expect

    card = page.locator(element).filter(has=page.get_by_text(f"tag: {tag}", exact=True)).first
    expect(card, f"no {element} for tag {tag!r}").to_be_visible()
    return card


def _shown_tags(page, element: str) -> set[str]:
    texts = page.locator(element).get_by_text(re.compile(r"^\s*tag: ")).all_text_contents()
    return {text.strip().removeprefix("tag: ") for text in texts}


def _check_scalars(page, tags: tuple[str, ...]) -> None:
    from playwright.sync_api import expect

    for tag in tags:
        chart = _card(page, "tf-scalar-card", tag).locator("vz-line-chart2")
        expect(chart, f"no chart for {tag!r}").to_be_visible()
        line = chart.locator("svg path.line").first
        expect(line, f"the chart of {tag!r} has no data").to_be_attached()


def _check_images(page, tags: tuple[str, ...]) -> None:
    from playwright.sync_api import expect

    for tag in tags:
        image = _card(page, "tf-image-loader", tag).locator("img")
        expect(image).to_be_visible()
        expect(image).to_have_js_property("complete", True)
        assert image.evaluate("img => img.naturalWidth") > 0, f"the image of {tag!r} did not load"


def _check_histograms(page, tags: tuple[str, ...]) -> None:
    from playwright.sync_api import expect

    for tag in tags:
        cards = page.locator("tf-histogram-loader").filter(has=page.get_by_text(tag, exact=True))
        expect(cards.first, f"no histogram for tag {tag!r}").to_be_visible()
        expect(cards.first.locator("vz-histogram-timeseries path").first).to_be_attached()


def _check_pr_curves(page, tags: tuple[str, ...]) -> None:
    from playwright.sync_api import expect

    for tag in tags:
        curve = _card(page, "tf-pr-curve-card", tag).locator("svg path.line").first
        expect(curve, f"the PR curve of {tag!r} is not drawn").to_be_visible()
    shown = _shown_tags(page, "tf-pr-curve-card")
    assert shown == set(tags), f"PR curves for {sorted(shown)}, expected one for each of {tags}"


def _check_text(page, tags: tuple[str, ...]) -> None:
    from playwright.sync_api import expect

    for tag in tags:
        cards = page.locator("tf-text-loader").filter(has=page.get_by_text(tag, exact=True))
        expect(cards.first, f"no text for tag {tag!r}").to_be_visible()


def _check_graphs(page, nodes: tuple[str, ...]) -> None:
    from playwright.sync_api import expect

    for node in nodes:
        expect(page.locator(f"g.node[data-name='{node}']"), f"no node {node!r}").to_be_visible()


def _check_projector(page, texts: tuple[str, ...]) -> None:
    from playwright.sync_api import expect

    projector = page.frame_locator("iframe").frame_locator("iframe")
    for text in texts:
        expect(projector.get_by_text(text, exact=True)).to_be_visible()
    page.wait_for_timeout(1500)  # the thumbnails fade in after the points


def _check_hparams(page, runs: tuple[str, ...]) -> None:
    from playwright.sync_api import expect

    cells = page.locator("vaadin-grid-cell-content")
    for run in runs:
        row = cells.filter(has_text=re.compile(rf"(^\s*|/){re.escape(run)}\s*$"))
        expect(row, f"no row for the run {run!r}").to_have_count(1)


_CHECKS = {
    "scalars": _check_scalars,
    "images": _check_images,
    "histograms": _check_histograms,
    "pr_curves": _check_pr_curves,
    "text": _check_text,
    "graphs": _check_graphs,
    "projector": _check_projector,
    "hparams": _check_hparams,
}
