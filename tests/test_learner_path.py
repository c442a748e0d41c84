"""The learner's path, in a real JupyterLab driven in the system's Chromium.

A scratch copy of the course in a folder whose name has a space and a non-ASCII letter
(``Mý Course``) is opened exactly as ``make lab`` opens it (``python -m coursetools.lab``).
For every chapter, the test clicks *Run → Run All Cells* in the learner's copy
(``my-notebooks/``), waits until every cell has run, and checks what a learner checks by
eye: no pink (stderr or error) output box, every picture loads, and the inline TensorBoard
frame shows the chapter's newest run and its data. While chapter 04 trains, its frame must
gain points by itself. Running a chapter twice must not start a second TensorBoard, and
once JupyterLab stops no TensorBoard of the course may be left.

One JupyterLab and one browser page serve the whole module, so the tests run in order.
Each failed check saves a screenshot and names it in the failure message. Skip this tier
with ``pytest -m "not learner_path"``.
"""

from __future__ import annotations

import json
import os
import re
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import pytest

from coursetools.chapters import newest_run
from coursetools.course import REPO, chapter_paths, copy_course
from coursetools.lab_page import (
    code_index,
    dismiss_news,
    frame_element,
    keep_in_view,
    on_screen,
    open_first_notebook,
    open_notebook,
    port_of,
    run_all,
    scalar_chart,
    scroll_to_cell,
    sweep,
    wait_for_kernel,
    wait_for_run_all,
    watch_prompts,
)
from coursetools.lab_server import (
    Lab,
    course_processes,
    describe,
    start_lab,
    stop_lab,
    tensorboard_processes,
)
from coursetools.tensorboard_responses import scalar_points, scalar_series
from helpers._runtime.servers import end_processes

pytestmark = [pytest.mark.browser, pytest.mark.learner_path]

CHAPTERS = [p.name for p in chapter_paths()]
RERUN = [name for name in CHAPTERS if name[:2] in ("00", "04")]
LIVE_CHAPTER, LIVE_TAG = "04_training.ipynb", "accuracy/train"  # Time Series shows it first
RUN_TIMEOUT_S = 300  # per chapter; 04, 06 and 07 train for 10-60 s on a busy 2-core CPU
FRAME_DELAY_S = 10  # TensorBoard starts in the background: its frame may join training late
VIEWPORT = {"width": 1280, "height": 960}
TB_TIMEOUT_MS = 30_000
_RUN_FILTER = ("scalars", "images", "histograms", "pr_curves", "text")  # have a run selector
_RECORDED = ("/data/runs", "/data/logdir", "/timeseries/timeSeries", "/scalars/scalars",
             "/scalars/scalars_multirun")


# --- the scratch course, its JupyterLab, one browser page ---------------------------------------


@pytest.fixture(scope="module")
def scratch(tmp_path_factory) -> tuple[Path, Path]:
    """(scratch folder, the course's copy ``<scratch>/Mý Course``)."""
    folder = tmp_path_factory.mktemp("learner-path")
    course = folder / "Mý Course"
    course.mkdir()
    copy_course(REPO, course)
    return folder, course


@pytest.fixture(scope="module")
def lab(scratch):
    """JupyterLab on the scratch course, started as ``make lab`` does; whatever it or its
    kernels started is gone afterwards, even when a test failed."""
    folder, course = scratch
    try:  # the kernels import the copy's own `helpers`, as in a clone installed with `-e .`
        server = start_lab(course, folder, extra_env={"PYTHONPATH": str(course)})
    except RuntimeError as err:
        pytest.fail(str(err))
    try:
        yield server
    finally:
        stop_lab(server)
        end_processes(course_processes(course, folder))


@dataclass
class Learner:
    """The browser page showing JupyterLab, and what its frames received from TensorBoard."""

    lab: Lab
    page: object
    shots: Path
    responses: list[tuple[float, str, str | None, str]] = field(default_factory=list, repr=False)
    runs: dict[str, int] = field(default_factory=dict)  # how often each chapter ran
    copies: str = "my-notebooks"  # the learner's copies of the chapters (of an edition)
    say: Callable[[str], str] = str  # JupyterLab's words in its language (lab_page.ui_text)

    @property
    def course(self) -> Path:
        return self.lab.course

    def record(self, response) -> None:
        """Keep TensorBoard's answers about runs and scalars (any port but JupyterLab's)."""
        if port_of(response.url) == self.lab.port or not response.url.startswith("http://"):
            return
        path = response.url.split("?")[0]
        if not path.endswith(_RECORDED):
            return
        try:
            body = response.text()
        except Exception:  # Playwright's Error: the frame reloaded and the body is gone
            return
        self.responses.append((time.monotonic(), response.url, response.request.post_data, body))

    def screenshot(self, name: str) -> Path:
        """Save what the browser shows now as ``<name>.png``; return its path."""
        path = self.shots / f"{name}.png"
        try:
            self.page.screenshot(path=str(path))
        except Exception as err:  # a screenshot must never hide the failure it illustrates
            return Path(f"{path} (not saved: {err})")
        return path

    def problem(self, tag: str, message: str) -> str:
        """``message``, with a screenshot of the page as it is now."""
        return f"{message}\n    screenshot: {self.screenshot(tag)}"


@pytest.fixture(scope="module")
def learner(lab, browser, tmp_path_factory):
    """One browser page on JupyterLab, opened at the first chapter as ``make lab`` opens it."""
    shots = tmp_path_factory.getbasetemp() / "browser-failures"
    shots.mkdir(exist_ok=True)
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    person = Learner(lab, page, shots)
    page.on("response", person.record)
    try:
        open_first_notebook(page, lab, f"my-notebooks/{CHAPTERS[0]}")
    except Exception as err:
        shot = person.screenshot("learner-path-jupyterlab-did-not-open")
        context.close()
        pytest.fail(f"JupyterLab did not open {CHAPTERS[0]}: {err}\n    screenshot: {shot}\n"
                    f"JupyterLab's log:\n{lab.output()[-3000:]}")
    try:
        yield person
    finally:
        context.close()


# --- what the learner sees after Run All ----------------------------------------------------


def run_names(run: Path, logdir: str) -> list[str]:
    """The names TensorBoard (on ``logdir``) gives the runs inside ``run``."""
    from helpers.board import find_runs

    return sorted({os.path.relpath(os.path.realpath(found), os.path.realpath(logdir))
                   for found in find_runs(run)})


def probe(url: str) -> str:
    """What answers at ``url``, in words (for a frame that shows nothing)."""
    try:
        with urllib.request.urlopen(url, timeout=10) as answer:
            return f"{url} answers {answer.status}, yet the page did not load"
    except OSError as err:
        return f"nothing usable answers at {url} ({getattr(err, 'reason', err)})"


def tensorboard_logdir(port: int) -> str:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/data/logdir", timeout=10) as answer:
        return json.load(answer)["logdir"]


_SHOW_STDERR_JS = """([panelId, index]) => document.getElementById(panelId).querySelector(
  `.jp-Cell[data-windowed-list-index="${index}"] `
  + '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]')
  ?.scrollIntoView({block: 'center'})"""

_OUTPUT_TEXT_JS = """([panelId, index]) => document.getElementById(panelId).querySelector(
  `.jp-Cell[data-windowed-list-index="${index}"] .jp-OutputArea`)?.innerText ?? ''"""


def check_outputs(learner: Learner, tag: str, panel: str, cells: dict[int, dict]) -> list[str]:
    """Pink boxes (stderr, tracebacks, warnings) and cells that did not run."""
    problems = []
    for index, cell in cells.items():
        if cell["stderr"]:
            scroll_to_cell(learner.page, panel, index)
            learner.page.evaluate(_SHOW_STDERR_JS, [panel, index])
            text = cell["stderr"][0].strip()[-600:]
            problems.append(learner.problem(
                f"{tag}-stderr-cell{index}",
                f"cell {index} [{cell['prompt']}] shows {len(cell['stderr'])} pink output "
                f"box(es) (stderr or error), ending:\n{text}"))
    skipped = [i for i, c in cells.items() if c["kind"] == "code" and c["prompt"] is None]
    if skipped:
        problems.append(learner.problem(
            f"{tag}-not-run", f"code cells {skipped} did not run (an error stopped Run All?)"))
    return problems


_IMAGE_JS = """([panelId, index]) => [...document.getElementById(panelId).querySelectorAll(
  `.jp-Cell[data-windowed-list-index="${index}"] .jp-RenderedMarkdown img`)].map(img => ({
    src: img.getAttribute('src'), url: img.currentSrc || img.src, complete: img.complete,
    width: img.naturalWidth}))"""


def check_pictures(learner: Learner, tag: str, panel: str, cells: dict[int, dict]) -> list[str]:
    """Every picture of the rendered markdown has loaded (seen on screen, after a moment)."""
    problems = []
    for index, cell in cells.items():
        images = cell["images"]
        if not images or all(i["complete"] and i["width"] > 0 for i in images):
            continue
        scroll_to_cell(learner.page, panel, index)
        for _ in range(20):  # up to 10 s on screen
            images = learner.page.evaluate(_IMAGE_JS, [panel, index])
            if all(i["complete"] and i["width"] > 0 for i in images):
                break
            learner.page.wait_for_timeout(500)
        broken = [i for i in images if not (i["complete"] and i["width"] > 0)]
        for image in broken:
            problems.append(learner.problem(
                f"{tag}-picture-cell{index}",
                f"the picture {image['src']} in markdown cell {index} does not load "
                f"(the browser asked for {image['url']})"))
    return problems


def check_frame(learner: Learner, tag: str, chapter: str, panel: str,
                cells: dict[int, dict]) -> list[str]:
    """The inline TensorBoard frame has loaded, lists the chapter's newest run and draws its
    data on each dashboard the chapter fills (`coursetools.dashboards.VIEWS`)."""
    from coursetools import dashboards

    page = learner.page
    frames = [(i, src) for i, c in cells.items() for src in c["frames"]
              if port_of(src) not in (None, learner.lab.port)]
    if not frames:
        shown = code_index(learner.course / learner.copies / f"{chapter}.ipynb",
                           "%tensorboard")
        said = ""
        if shown is not None:
            scroll_to_cell(page, panel, shown)
            said = page.evaluate(_OUTPUT_TEXT_JS, [panel, shown]).strip()
        return [learner.problem(
            f"{tag}-no-frame",
            f"no TensorBoard frame in any output; the TensorBoard cell (cell {shown}) shows: "
            f"{said[:300] or '(nothing)'}")]
    index, src = frames[-1]
    port = port_of(src)
    scroll_to_cell(page, panel, index)
    element = frame_element(page, panel, port)
    frame = element.element_handle().content_frame()
    try:
        frame.locator("tb-webapp").wait_for(state="attached", timeout=TB_TIMEOUT_MS)
    except Exception:
        return [learner.problem(
            f"{tag}-frame-not-loaded",
            f"the TensorBoard frame in cell {index} ({src}) shows no TensorBoard page: "
            f"{probe(src)}")]
    run = newest_run(learner.course, chapter)
    if run is None:
        return [learner.problem(f"{tag}-no-run", f"no run of {chapter} in runs/")]
    logdir = tensorboard_logdir(port)
    names = run_names(run, logdir)
    if not names:
        return [learner.problem(f"{tag}-empty-run", f"the newest run {run} has no event file")]
    problems = []
    listed = [json.loads(body) for _, url, _, body in learner.responses
              if port_of(url) == port and url.endswith("/data/runs")]
    missing = sorted(set(names) - set(listed[-1] if listed else []))
    if missing:
        problems.append(learner.problem(
            f"{tag}-newest-run-not-listed",
            f"the TensorBoard frame (logdir {logdir}) lists the runs {listed[-1] if listed else []}"
            f" but not the newest run(s) {missing} of {run.name}"))
    base = src.split("#")[0]
    for view in (v for v in dashboards.VIEWS if v.run == chapter):
        problems += check_view(learner, tag, frame, base, view, names)
    return problems


def check_view(learner: Learner, tag: str, frame, base: str, view, names: list[str]) -> list[str]:
    """The frame, sent to ``view``'s dashboard (showing only the newest run where the
    dashboard has a run selector), draws what the course's dashboard checks expect."""
    from playwright.sync_api import expect

    from coursetools import dashboards

    try:
        frame.goto("about:blank")
        if view.dashboard in _RUN_FILTER:
            only = "^(" + "|".join(re.escape(name) for name in names) + ")$"
            frame.goto(dashboards.view_url(base, view) + "&regexInput=" + quote(only, safe=""))
            expect.set_options(timeout=TB_TIMEOUT_MS)
            dashboards._CHECKS[view.dashboard](frame, view.shows)
            for name in names:
                expect(frame.get_by_text(name, exact=True).first,
                       f"the run {name!r} is not in the run selector").to_be_visible()
        else:
            dashboards.open_view(frame, base, view, timeout_ms=TB_TIMEOUT_MS)
    except Exception as err:  # Playwright's TimeoutError, or an AssertionError from the checks
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        return [learner.problem(
            f"{tag}-{view.name}",
            f"TensorBoard's {view.dashboard} dashboard in the frame does not show "
            f"{list(view.shows)} for the newest run {names}: {first}")]
    return []


# --- chapter 04: the frame follows training by itself -----------------------------------------


@dataclass
class LiveWatch:
    """Called at every look during Run All: notes when the training cell starts and ends,
    whether the TensorBoard frame was above it at the start, and keeps the frame on screen
    (as a learner watching it would) while training runs."""

    learner: Learner = field(repr=False)
    panel: str
    training: int
    previous: int
    tag: str
    clicked: float = field(default_factory=time.monotonic)
    started: float | None = None
    ended: float | None = None
    frame_seen: float | None = None  # seconds after training started
    chart_on_screen: bool = False
    port: int | None = None
    during: Path | None = None  # a screenshot taken while training ran
    _next_chart_look: float = 0.0
    _next_shot: float = 0.0

    def __call__(self, state) -> None:
        now = time.monotonic()
        train, previous = state.cells.get(self.training), state.cells.get(self.previous)
        if self.started is None and train == "scheduled" and previous == "done":
            self.started = now
        if self.started is None or self.ended is not None:
            return
        if train != "scheduled":
            self.ended = now
            return
        element = frame_element(self.learner.page, self.panel, before_cell=self.training)
        if element is None:
            return
        try:
            keep_in_view(element)
            self.port = port_of(element.get_attribute("src", timeout=2000) or "")
            if self.frame_seen is None and self.port:
                self.frame_seen = now - self.started
            if now - self.started > 3 and now >= self._next_shot:  # the last one before the end
                self._next_shot = now + 5
                self.during = self.learner.screenshot(f"{self.tag}-during-training")
            if now >= self._next_chart_look and not self.chart_on_screen:
                self._next_chart_look = now + 2
                frame = element.element_handle(timeout=2000).content_frame()
                chart = scalar_chart(frame, LIVE_TAG)
                self.chart_on_screen = on_screen(self.learner.page, chart, within=element)
        except Exception:  # the frame was replaced by a refresh meanwhile: next look
            pass

    def points(self) -> list[tuple[float, int]]:
        """(seconds after training started, points of ``LIVE_TAG``) the frames received."""
        found = []
        for at, url, post_data, body in self.learner.responses:
            count = scalar_points(url, post_data, body, LIVE_TAG)
            if count is not None and at >= self.clicked and self.started is not None:
                found.append((round(at - self.started, 1), count))
        return found

    def problems(self, tag: str) -> list[str]:
        if self.started is None or self.ended is None:
            return [self.learner.problem(
                f"{tag}-training-not-seen",
                f"the training cell (cell {self.training}) was never seen running")]
        problems = []
        shot = self.during or self.learner.screenshot(f"{tag}-after-training")
        if self.frame_seen is None or self.frame_seen > FRAME_DELAY_S:
            when = "never" if self.frame_seen is None else f"only {self.frame_seen:.0f} s in"
            problems.append(
                f"the TensorBoard frame above the training cell (cell {self.training}) came "
                f"{when} while training ran (at most {FRAME_DELAY_S} s): the learner cannot "
                f"watch the run grow\n    screenshot while training: {shot}")
        points = self.points()
        seen = [(at, n) for at, n in points if at <= self.ended - self.started]
        grew = any(n > earlier for k, (at, n) in enumerate(seen) if at >= 0
                   for _, earlier in seen[:k])
        if not grew:
            fetched = sorted({json.dumps(name) for at, url, post_data, body in
                              self.learner.responses
                              if at >= self.clicked and port_of(url) == self.port
                              for name in scalar_series(url, post_data, body)})
            problems.append(
                f"while training ran ({self.ended - self.started:.0f} s), the frame never received"
                f" more points of {LIVE_TAG!r} than before: (seconds, points) {points}; "
                f"the frame asked for the tags {', '.join(fetched) or 'none'}"
                f"\n    screenshot while training: {shot}")
        if not self.chart_on_screen:
            problems.append(
                f"while training ran, the chart of {LIVE_TAG!r} was never on screen in the "
                f"TensorBoard frame (kept in view)\n    screenshot while training: {shot}")
        if not problems:
            shot.unlink(missing_ok=True)  # only failures leave pictures behind
        return problems


# --- the learner's Run All ------------------------------------------------------------------


def run_chapter(learner: Learner, name: str) -> list[str]:
    """Open chapter ``name`` in the learner's copies, Run All, and check what is on screen."""
    chapter = name.removesuffix(".ipynb")
    learner.runs[name] = learner.runs.get(name, 0) + 1
    tag = f"learner-{chapter}-run{learner.runs[name]}"
    page = learner.page
    panel = open_notebook(page, name, say=learner.say)
    wait_for_kernel(page, panel)
    dismiss_news(page)
    watch = None
    if name == LIVE_CHAPTER:
        copy = learner.course / learner.copies / name
        training = code_index(copy, ".refresh(", "for epoch in")
        previous = max(i for i, c in sweep(page, panel).items()
                       if c["kind"] == "code" and i < training)
        watch = LiveWatch(learner, panel, training, previous, tag)
    watch_prompts(page, panel)
    run_all(page, panel, say=learner.say)
    try:
        wait_for_run_all(page, panel, RUN_TIMEOUT_S, on_poll=watch)
    except TimeoutError as err:
        return [learner.problem(f"{tag}-timeout", str(err))]
    cells = sweep(page, panel)
    problems = check_outputs(learner, tag, panel, cells)
    problems += check_pictures(learner, tag, panel, cells)
    if watch is not None:
        problems += watch.problems(tag)
    problems += check_frame(learner, tag, chapter, panel, cells)
    return problems


def report(name: str, problems: list[str]) -> str:
    return f"{name}: {len(problems)} problem(s) a learner would see:\n- " + "\n- ".join(problems)


@pytest.mark.parametrize("name", CHAPTERS, ids=lambda name: name.removesuffix(".ipynb"))
def test_run_all_shows_the_chapter_cleanly(learner, name):
    problems = run_chapter(learner, name)
    assert not problems, report(name, problems)


@pytest.mark.parametrize("name", RERUN, ids=lambda name: name.removesuffix(".ipynb"))
def test_second_run_all_starts_no_new_tensorboard(learner, name):
    before = tensorboard_processes(learner.course)
    problems = run_chapter(learner, name)
    after = tensorboard_processes(learner.course)
    if len(after) != len(before):
        problems.append(learner.problem(
            f"learner-{name[:2]}-second-run-tensorboards",
            f"a second Run All changed the course's TensorBoard processes from {len(before)} "
            f"to {len(after)}:\nbefore:\n{describe(before)}\nafter:\n{describe(after)}"))
    assert not problems, report(name, problems)


def test_stopping_jupyterlab_leaves_no_tensorboard(learner, lab):
    running = tensorboard_processes(learner.course)
    code = stop_lab(lab)
    deadline = time.monotonic() + 15
    while tensorboard_processes(learner.course) and time.monotonic() < deadline:
        time.sleep(0.5)
    left = tensorboard_processes(learner.course)
    shot = learner.screenshot("learner-path-after-jupyterlab-stopped") if left else None
    end_processes(left)
    assert not left, (
        f"JupyterLab stopped (exit code {code}), but {len(left)} of the course's "
        f"{len(running)} TensorBoard process(es) kept running:\n{describe(left)}\n"
        f"    screenshot: {shot}")
