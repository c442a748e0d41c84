"""JupyterLab's page in a real browser, as a learner uses it: open a chapter, click *Run → Run
All Cells*, wait, and read what is on screen.

Every function takes a Playwright ``page`` (sync API) showing a JupyterLab started by
`coursetools.lab_server.start_lab`. Everything is read from the DOM a learner looks at:
prompts (``[*]``, ``[3]``), output areas, rendered markdown pictures, and TensorBoard's
frame. JupyterLab 4 may keep off-screen cells out of the DOM (its *windowing mode*), so
`sweep` scrolls the notebook from top to bottom and collects every cell on the way.

Example:
    >>> panel = open_first_notebook(page, lab, "my-notebooks/00_setup.ipynb")  # doctest: +SKIP
    >>> watch_prompts(page, panel); run_all(page, panel)  # doctest: +SKIP
    >>> wait_for_run_all(page, panel)  # doctest: +SKIP
    RunState(status='idle', ...)
"""

from __future__ import annotations

import gettext
import importlib
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from coursetools.lab import LANGUAGE_PACKS
from coursetools.lab_server import Lab

STDERR_MIME = "application/vnd.jupyter.stderr"
_PROMPT = re.compile(r"\[\s*(\*|\d*)\s*\]")


def prompt_state(prompt: str) -> str | int | None:
    """What an input prompt says: ``'*'`` (queued or running), an execution count, or ``None``
    (never run, or cancelled).

    Example:
        >>> prompt_state("[*]:"), prompt_state("[12]:"), prompt_state("[ ]:"), prompt_state("")
        ('*', 12, None, None)
    """
    match = _PROMPT.search(prompt)
    if not match or not match.group(1):
        return None
    return "*" if match.group(1) == "*" else int(match.group(1))


def panel_locator(page, panel: str):
    """The notebook panel whose id is ``panel`` (see `open_notebook`)."""
    return page.locator(f'[id="{panel}"]')


def _tab(page, name: str):
    label = page.locator(".lm-TabBar-tabLabel").filter(
        has_text=re.compile(rf"^{re.escape(name)}$"))
    return page.locator(".lm-DockPanel-tabBar .lm-TabBar-tab").filter(has=label)


def _panel_of(page, name: str, timeout_ms: float) -> str:
    tab = _tab(page, name).first
    tab.wait_for(timeout=timeout_ms)
    panel = tab.get_attribute("data-id")
    panel_locator(page, panel).locator(".jp-Cell").first.wait_for(timeout=timeout_ms)
    return panel


def open_first_notebook(page, lab: Lab, path: str, timeout_ms: float = 60_000,
                        say: Callable[[str], str] = str) -> str:
    """Open JupyterLab at ``path`` (relative to the course), as the address ``make lab``
    prints; return the notebook panel's id.

    Example:
        >>> open_first_notebook(page, lab, "my-notebooks/00_setup.ipynb")  # doctest: +SKIP
        'id-5c1e...'
    """
    page.goto(f"{lab.url}lab/tree/{path}?token={lab.token}", timeout=timeout_ms)
    panel = _panel_of(page, Path(path).name, timeout_ms)
    accept_kernel_dialog(page, say=say)
    return panel


def open_notebook(page, name: str, timeout_ms: float = 60_000, say: Callable[[str], str] = str) -> str:
    """Double-click ``name`` in the file browser (already showing its folder), or bring its
    tab to the front if it is open; return the notebook panel's id.

    Example:
        >>> open_notebook(page, "01_write_images.ipynb")  # doctest: +SKIP
        'id-9f2a...'
    """
    if _tab(page, name).count():
        _tab(page, name).first.click()
    else:
        text = page.locator(".jp-DirListing-itemText").filter(
            has_text=re.compile(rf"^{re.escape(name)}$"))
        page.locator(".jp-DirListing-item").filter(has=text).first.dblclick()
    panel = _panel_of(page, name, timeout_ms)
    accept_kernel_dialog(page, say=say)
    return panel


def ui_text(language: str | None = None) -> Callable[[str], str]:
    """JupyterLab's own words in the language its language pack gives it: ``ui_text("ko")("Run")``
    is the Korean menu's ``실행``; English (None) as it is.

    Example:
        >>> ui_text("zh")("Run All Cells"), ui_text()("Run")
        ('运行所有单元格', 'Run')
    """
    if language is None:
        return str
    locale = LANGUAGE_PACKS[language][1]
    pack = Path(importlib.import_module(f"jupyterlab_language_pack_{locale}").__file__).parent
    return gettext.translation("jupyterlab", pack / "locale", languages=[locale]).gettext


def accept_kernel_dialog(page, wait_ms: float = 1500, say: Callable[[str], str] = str) -> bool:
    """If JupyterLab asks which kernel to use, accept its choice (Python 3); return whether
    it asked (``say``: `ui_text` of JupyterLab's language).

    Example:
        >>> accept_kernel_dialog(page)  # doctest: +SKIP
        False
    """
    words = "kernel" if say is str else re.escape(say("Select Kernel"))
    dialog = page.locator(".jp-Dialog").filter(has_text=re.compile(words, re.I))
    try:
        dialog.first.wait_for(timeout=wait_ms)
    except Exception:  # Playwright's TimeoutError: no dialog
        return False
    dialog.first.locator(".jp-Dialog-button.jp-mod-accept").click()
    return True


def dismiss_news(page) -> None:
    """Answer JupyterLab's first-start question about Jupyter news with *No*, if it is shown.

    Example:
        >>> dismiss_news(page)  # doctest: +SKIP
    """
    toast = page.locator(".Toastify__toast").filter(has_text="Jupyter news")
    try:
        if toast.count():
            toast.first.get_by_role("button", name="No", exact=True).click(timeout=5000)
    except Exception:  # Playwright's errors: the toast went away by itself meanwhile
        pass


def wait_for_kernel(page, panel: str, timeout_ms: float = 120_000) -> None:
    """Wait until the notebook's kernel is started and idle (the toolbar's circle).

    Example:
        >>> wait_for_kernel(page, panel)  # doctest: +SKIP
    """
    indicator = panel_locator(page, panel).locator(
        '.jp-Notebook-ExecutionIndicator[data-status="idle"]')
    indicator.first.wait_for(state="attached", timeout=timeout_ms)


def run_all(page, panel: str, say: Callable[[str], str] = str) -> None:
    """*Run → Run All Cells* from the menu bar (in JupyterLab's language: ``say``, see
    `ui_text`), on the notebook in ``panel``.

    Example:
        >>> run_all(page, panel)  # doctest: +SKIP
    """
    page.locator(f'.lm-DockPanel-tabBar .lm-TabBar-tab[data-id="{panel}"]').click()
    page.locator(".lm-MenuBar-item").filter(has_text=re.compile(rf"^{re.escape(say('Run'))}$")).click()
    label = page.locator(".lm-Menu-itemLabel").filter(
        has_text=re.compile(rf"^{re.escape(say('Run All Cells'))}$"))
    page.locator(".lm-Menu-item").filter(has=label).first.click()


_WATCH_JS = """(panelId) => {
  // Note every prompt change from now on: a cell that showed [*] is 'scheduled', and then
  // 'done' once it shows a number, or 'cancelled' once it shows none (an error above it).
  const panel = document.getElementById(panelId);
  const run = {cells: {}, scheduled: false};
  const look = () => {
    for (const cell of panel.querySelectorAll('.jp-CodeCell')) {
      const index = cell.dataset.windowedListIndex;
      const match = (cell.querySelector('.jp-InputPrompt')?.textContent ?? '')
        .match(/\\[\\s*(\\*|\\d*)\\s*\\]/);
      const value = match ? match[1] : '';
      if (value === '*') { run.cells[index] = 'scheduled'; run.scheduled = true; }
      else if (run.cells[index] === 'scheduled') run.cells[index] = value ? 'done' : 'cancelled';
    }
  };
  window.__learnerPath?.observer.disconnect();
  const observer = new MutationObserver(look);
  observer.observe(panel, {subtree: true, childList: true, characterData: true});
  window.__learnerPath = {run, observer};
}"""

_STATE_JS = """(panelId) => {
  const panel = document.getElementById(panelId);
  const dialog = document.querySelector('.jp-Dialog');
  const run = window.__learnerPath?.run ?? {cells: {}, scheduled: false};
  return {
    status: panel.querySelector('.jp-Notebook-ExecutionIndicator')?.getAttribute('data-status'),
    prompts: [...panel.querySelectorAll('.jp-CodeCell')].map(cell => [
      Number(cell.dataset.windowedListIndex),
      cell.querySelector('.jp-InputPrompt')?.textContent ?? '']),
    dialog: dialog ? dialog.innerText.slice(0, 500) : null,
    cells: run.cells,
    scheduled: run.scheduled,
  };
}"""


@dataclass
class RunState:
    """One look at a notebook during Run All: the kernel indicator (``idle``, ``busy``), each
    code cell's prompt by cell index (see `prompt_state`), the text of an open dialog, and
    what each cell did since `watch_prompts` (``scheduled``, ``done``, ``cancelled``)."""

    status: str | None
    prompts: dict[int, str | int | None]
    dialog: str | None = None
    cells: dict[int, str] = field(default_factory=dict)

    def running(self) -> bool:
        """Whether a cell still waits or runs (``[*]``)."""
        return "*" in self.prompts.values()


def watch_prompts(page, panel: str) -> None:
    """From now on, note which cells of ``panel`` get queued (``[*]``) and finish, however
    fast (a browser ``MutationObserver``); call it right before *Run All*.

    Example:
        >>> watch_prompts(page, panel); run_all(page, panel)  # doctest: +SKIP
    """
    page.evaluate(_WATCH_JS, panel)


def run_state(page, panel: str) -> RunState:
    """What the notebook in ``panel`` shows now (cells that are in the DOM).

    Example:
        >>> run_state(page, panel).running()  # doctest: +SKIP
        False
    """
    state = page.evaluate(_STATE_JS, panel)
    prompts = {index: prompt_state(text) for index, text in state["prompts"]}
    cells = {int(index): what for index, what in state["cells"].items()}
    return RunState(state["status"], prompts, state["dialog"], cells)


def run_finished(state: RunState) -> bool:
    """Whether the Run All seen by `watch_prompts` has ended: cells were queued, none waits
    or runs any more, and the kernel is idle.

    Example:
        >>> run_finished(RunState("idle", {2: 1, 4: 2, 5: None}, cells={2: "done", 4: "done"}))
        True
        >>> run_finished(RunState("idle", {2: 1, 4: "*"}, cells={2: "done", 4: "scheduled"}))
        False
        >>> run_finished(RunState("idle", {2: 1, 4: 2}))  # not started yet
        False
    """
    return state.status == "idle" and bool(state.cells) and not state.running() \
        and "scheduled" not in state.cells.values()


def wait_for_run_all(page, panel: str, timeout: float = 300.0,
                     on_poll: Callable[[RunState], None] | None = None,
                     poll_ms: float = 500) -> RunState:
    """Wait until the Run All watched by `watch_prompts` has finished (see `run_finished`,
    confirmed over the whole notebook by `sweep`); call ``on_poll`` with each look. A kernel
    dialog (*Select Kernel*) is accepted.

    Raises ``TimeoutError`` naming the cells still waiting.

    Example:
        >>> wait_for_run_all(page, panel, timeout=300)  # doctest: +SKIP
        RunState(status='idle', ...)
    """
    deadline = time.monotonic() + timeout
    stable = 0
    while True:
        state = run_state(page, panel)
        if on_poll is not None:
            on_poll(state)
        if state.dialog and "select kernel" in state.dialog.lower():
            accept_kernel_dialog(page, wait_ms=500)
        stable = stable + 1 if run_finished(state) else 0
        if stable >= 2:
            cells = sweep(page, panel)
            if not any(cell["prompt"] == "*" for cell in cells.values()):
                return state
            stable = 0
        if time.monotonic() > deadline:
            waiting = sorted(i for i, p in state.prompts.items() if p == "*")
            raise TimeoutError(
                f"Run All did not finish within {timeout:.0f} s: cells {waiting} show [*], "
                f"cells that ran: {state.cells or 'none'}, kernel {state.status}"
                + (f", dialog: {state.dialog}" if state.dialog else ""))
        page.wait_for_timeout(poll_ms)


_CELLS_JS = """([panelId, stderrMime]) => {
  const panel = document.getElementById(panelId);
  return [...panel.querySelectorAll('.jp-Cell')].map(cell => ({
    index: Number(cell.dataset.windowedListIndex),
    kind: cell.classList.contains('jp-CodeCell') ? 'code'
        : cell.classList.contains('jp-MarkdownCell') ? 'markdown' : 'raw',
    promptText: cell.querySelector('.jp-InputPrompt')?.textContent ?? '',
    stderr: [...cell.querySelectorAll(`.jp-OutputArea-output[data-mime-type="${stderrMime}"]`)]
      .map(output => output.textContent.slice(0, 1500)),
    images: [...cell.querySelectorAll('.jp-RenderedMarkdown img')].map(img => ({
      src: img.getAttribute('src'), url: img.currentSrc || img.src, complete: img.complete,
      width: img.naturalWidth})),
    frames: [...cell.querySelectorAll('.jp-OutputArea-output iframe')].map(frame => frame.src),
  }));
}"""

_SCROLL_JS = """([panelId, top]) => {
  const scroller = document.getElementById(panelId).querySelector('.jp-WindowedPanel-outer');
  if (top !== null) { scroller.scrollTop = top; return false; }
  const before = scroller.scrollTop;
  scroller.scrollTop = before + Math.max(100, scroller.clientHeight * 0.8);
  return scroller.scrollTop === before;
}"""


def sweep(page, panel: str, pause_ms: float = 120) -> dict[int, dict]:
    """Every cell of the notebook by index, scrolled through from top to bottom so that
    cells JupyterLab keeps out of the DOM while off screen are seen too.

    Each cell: ``kind`` (code, markdown, raw), ``prompt`` (see `prompt_state`), ``stderr``
    (texts of pink output boxes: tracebacks, warnings, anything written to stderr),
    ``images`` (markdown pictures: ``src``, ``complete``, ``width``), ``frames`` (iframe
    addresses in its outputs).

    Example:
        >>> cells = sweep(page, panel)  # doctest: +SKIP
        >>> cells[2]["prompt"]  # doctest: +SKIP
        1
    """
    cells: dict[int, dict] = {}
    page.evaluate(_SCROLL_JS, [panel, 0])
    for _ in range(1000):
        page.wait_for_timeout(pause_ms)
        for cell in page.evaluate(_CELLS_JS, [panel, STDERR_MIME]):
            cell["prompt"] = prompt_state(cell.pop("promptText"))
            cells[cell["index"]] = cell
        if page.evaluate(_SCROLL_JS, [panel, None]):
            break
    return dict(sorted(cells.items()))


def code_index(notebook: Path, *needles: str) -> int | None:
    """The index of the first code cell whose source contains one of ``needles`` (tried in
    order), as `scroll_to_cell` counts cells.

    Example:
        >>> code_index(Path("notebooks/01_write_images.ipynb"), "show_tensorboard(")  # doctest: +SKIP
        11
    """
    cells = json.loads(Path(notebook).read_text(encoding="utf-8"))["cells"]
    for needle in needles:
        for index, cell in enumerate(cells):
            if cell["cell_type"] == "code" and needle in "".join(cell["source"]):
                return index
    return None


def scroll_to_cell(page, panel: str, index: int) -> bool:
    """Scroll the notebook until cell ``index`` is on screen; return whether it was found.

    Example:
        >>> scroll_to_cell(page, panel, 19)  # doctest: +SKIP
        True
    """
    cell = panel_locator(page, panel).locator(f'.jp-Cell[data-windowed-list-index="{index}"]')
    page.evaluate(_SCROLL_JS, [panel, 0])
    for _ in range(1000):
        if cell.count():
            cell.first.evaluate("cell => cell.scrollIntoView({block: 'start'})")
            page.wait_for_timeout(300)
            return True
        if page.evaluate(_SCROLL_JS, [panel, None]):
            return False
        page.wait_for_timeout(100)
    return False


_FRAME_JS = """([panelId, port, beforeCell]) => {
  const found = [];
  for (const cell of document.getElementById(panelId).querySelectorAll('.jp-Cell')) {
    const index = Number(cell.dataset.windowedListIndex);
    if (beforeCell !== null && index >= beforeCell) continue;
    cell.querySelectorAll('.jp-OutputArea-output iframe').forEach((frame, k) => {
      let framePort = null;
      try { framePort = Number(new URL(frame.src).port); } catch (error) {}
      if (port === null || framePort === port) found.push([index, k]);
    });
  }
  return found.length ? found[found.length - 1] : null;
}"""


def frame_element(page, panel: str, port: int | None = None, before_cell: int | None = None):
    """The last iframe in the notebook's outputs (on ``port``, in a cell above
    ``before_cell``) as a Playwright locator, or ``None``.

    Example:
        >>> frame_element(page, panel).element_handle().content_frame()  # doctest: +SKIP
        <Frame name= url='http://127.0.0.1:6006/#timeseries'>
    """
    found = page.evaluate(_FRAME_JS, [panel, port, before_cell])
    if found is None:
        return None
    index, k = found
    cell = panel_locator(page, panel).locator(f'.jp-Cell[data-windowed-list-index="{index}"]')
    return cell.locator(".jp-OutputArea-output iframe").nth(k)


def keep_in_view(element) -> None:
    """Scroll the notebook so that ``element`` (a locator, e.g. a frame) starts at the top of
    the notebook's area, as a learner watching it would; leave it where it is if it does.

    Example:
        >>> keep_in_view(frame_element(page, panel))  # doctest: +SKIP
    """
    element.evaluate("""element => {
      const scroller = element.closest('.jp-WindowedPanel-outer');
      const top = element.getBoundingClientRect().top;
      const area = scroller ? scroller.getBoundingClientRect().top : 0;
      if (Math.abs(top - area) > 40) element.scrollIntoView({block: 'start'});
    }""", timeout=2000)


def _box(element) -> dict | None:
    try:
        box = element.bounding_box(timeout=2000)
    except Exception:  # Playwright's errors: detached, or replaced during a reload
        return None
    return box if box and box["width"] > 0 and box["height"] > 0 else None


def _overlap(a: dict, b: dict) -> bool:
    return (a["x"] < b["x"] + b["width"] and b["x"] < a["x"] + a["width"]
            and a["y"] < b["y"] + b["height"] and b["y"] < a["y"] + a["height"])


def on_screen(page, element, within=None) -> bool:
    """Whether some of ``element`` (a locator, in the page or in a frame) is inside the
    browser window, and inside the box of ``within`` (its iframe's locator) if given.

    Example:
        >>> on_screen(page, scalar_chart(frame, "loss"), within=iframe)  # doctest: +SKIP
        True
    """
    box = _box(element)
    size = page.viewport_size or {"width": 0, "height": 0}
    window = {"x": 0, "y": 0, "width": size["width"], "height": size["height"]}
    if box is None or not _overlap(box, window):
        return False
    if within is None:
        return True
    outer = _box(within)
    return outer is not None and _overlap(box, outer)


def scalar_chart(frame, tag: str):
    """The chart of scalar ``tag`` in TensorBoard's page ``frame`` (Time Series or Scalars
    dashboard), as a locator.

    Example:
        >>> scalar_chart(frame, "loss/train").is_visible()  # doctest: +SKIP
        True
    """
    cards = frame.locator("scalar-card, tf-scalar-card").filter(has_text=tag)
    return cards.locator("line-chart, vz-line-chart2").first


def port_of(url: str) -> int | None:
    """The port of an address.

    Example:
        >>> port_of("http://127.0.0.1:6006/#scalars")
        6006
    """
    return urlsplit(url).port
