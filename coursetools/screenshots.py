"""Screenshots of each chapter's dashboards, made from the chapters' own runs.

Run ``python -m coursetools.screenshots`` (or ``make screenshots``). It executes the chapters
top to bottom in a scratch course folder (`coursetools.chapters`: the real code, data and
settings, as a learner's *Run All*), opens each chapter's folder in its own TensorBoard on
127.0.0.1, as the chapter's frame does, waits in headless Chromium until the dashboard shows
what it should (`coursetools.dashboards`), and saves
``docs/screenshots/<chapter>_<dashboard>.png``.

Example:
    >>> from coursetools.screenshots import screenshot_views
    >>> [view.name for view in screenshot_views()][:2]
    ['00_scalars', '01_images']
"""

from __future__ import annotations

import argparse
import io
import sys
import tempfile
from itertools import groupby
from pathlib import Path

from coursetools.course import REPO, chapter_paths, link_data
from coursetools.dashboards import FOLDER_OF_RUNS, VIEWPORT, VIEWS, View, launch_chromium, open_view

COLORS = 256  # a palette PNG: a third of the size, and the dashboards use few colours


def screenshot_dir() -> Path:
    """``docs/screenshots/`` in the repository, where the README and chapters find them.

    Example:
        >>> screenshot_dir().relative_to(REPO).as_posix()
        'docs/screenshots'
    """
    return REPO / "docs" / "screenshots"


def screenshot_views(course: str | Path = REPO) -> list[View]:
    """The views of every chapter that ``course`` has (its ``notebooks/NN_*.ipynb``).

    Example:
        >>> [view.name for view in screenshot_views()][:3]
        ['00_scalars', '01_images', '02_graphs']
        >>> screenshot_views("no-such-course")
        []
    """
    chapters = {path.name[:2] for path in chapter_paths(Path(course))}
    return [view for view in VIEWS if view.chapter in chapters]


def save_png(png: bytes, path: str | Path, colors: int = COLORS) -> Path:
    """Save screenshot bytes as a small, optimised palette PNG.

    Example:
        >>> from PIL import Image
        >>> buffer = io.BytesIO(); Image.new("RGB", (8, 8), "orange").save(buffer, "PNG")
        >>> import tempfile, os; path = os.path.join(tempfile.mkdtemp(), "x.png")
        >>> Image.open(save_png(buffer.getvalue(), path)).mode
        'P'
    """
    from PIL import Image

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    image = Image.open(io.BytesIO(png)).convert("RGB")
    image.quantize(colors, method=Image.Quantize.MEDIANCUT).save(path, "PNG", optimize=True)
    return path


def take_screenshot(page, base_url: str, view: View, path: str | Path) -> Path:
    """Open ``view`` and, once it shows what it should, save the page as ``path``.

    Example:
        >>> take_screenshot(page, tb.url, VIEWS[0], "shots/00_scalars.png")  # doctest: +SKIP
        PosixPath('shots/00_scalars.png')
    """
    open_view(page, base_url, view, filter_tags=len(view.shows) > 1)  # one tag: its card is open
    page.mouse.move(0, VIEWPORT["height"] - 1)  # no hover effects or tooltips in the picture
    return save_png(page.screenshot(), path)


def take_screenshots(out_dir: str | Path, views: list[View]) -> list[Path]:
    """Run the chapters in a scratch course and photograph ``views`` into ``out_dir``.

    Example:
        >>> take_screenshots("docs/screenshots", screenshot_views())  # doctest: +SKIP
        [PosixPath('docs/screenshots/00_scalars.png'), ...]
    """
    from playwright.sync_api import sync_playwright

    from coursetools.chapters import chapter_runs
    from coursetools.tensorboard import TensorBoard

    saved = []
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as playwright:
        course = link_data(Path(tmp) / "course")
        runs = chapter_runs(course, Path(tmp) / "runs", sorted({view.run for view in views}))
        browser = launch_chromium(playwright)
        try:
            page = browser.new_page(viewport=VIEWPORT)
            for run, run_views in groupby(views, key=lambda view: view.run):
                # the folder the chapter's frame shows (the chapter's runs; 06, 08: the newest), given
                # relative, so the dashboards show "runs/<chapter>" as on a learner's screen
                folder = runs[run] if run in FOLDER_OF_RUNS else runs[run].parent
                with TensorBoard(folder.relative_to(tmp), port=0, quiet=True, cwd=tmp) as board:
                    for view in run_views:
                        path = Path(out_dir) / f"{view.name}.png"
                        saved.append(take_screenshot(page, board.url, view, path))
        finally:
            browser.close()
    return saved


def main(argv: list[str] | None = None) -> int:
    """Command line: ``python -m coursetools.screenshots [--out DIR] [--only 04_scalars ...]``."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=screenshot_dir(), help="folder for the PNGs")
    parser.add_argument("--only", nargs="*", metavar="NAME", help="views to take, e.g. 04_scalars")
    args = parser.parse_args(argv)
    views = screenshot_views()
    if args.only:
        unknown = set(args.only) - {view.name for view in views}
        if unknown:
            names = [view.name for view in views]
            parser.error(f"unknown view(s) {sorted(unknown)}; choose from {names}")
        views = [view for view in views if view.name in args.only]
    for path in take_screenshots(args.out, views):
        print(f"{path}  {path.stat().st_size / 1024:.0f} KB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
