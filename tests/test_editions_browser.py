"""The Korean and Chinese editions on the learner's screen: ``make lab LANG=ko`` (and ``zh``)
in a real JupyterLab driven in the system's Chromium.

For each language, a scratch copy of the course is opened as ``make lab LANG=<language>``
opens it (``python -m coursetools.lab --language <language>``). The test checks that
JupyterLab's own menus are in that language, runs one chapter of the edition with Run All
(in ``my-notebooks-<language>/``), and checks what the English learner path checks: no pink
output box, every picture loads, the TensorBoard frame shows the chapter's newest run. It
then asks Chromium which fonts drew the chapter's title: the Korean or Chinese letters must
come from a font that has them (Noto Sans CJK, Debian's ``fonts-noto-cjk``), not from the
empty boxes a browser draws when no font has them. Screenshots of the exercise checks' lines
(in the edition's language), the TensorBoard frame and the chapter's title are kept in the
test's temporary folder.
"""

from __future__ import annotations

import re
import unicodedata

import pytest

from coursetools.course import REPO, copy_course
from coursetools.lab_page import frame_element, keep_in_view, open_first_notebook, ui_text
from coursetools.lab_server import course_processes, start_lab, stop_lab
from helpers._runtime.servers import end_processes
from tests.test_learner_path import VIEWPORT, Learner, report, run_chapter

pytestmark = [pytest.mark.browser, pytest.mark.learner_path]

CHAPTER = {"ko": "01_write_images.ipynb", "zh": "02_graph.ipynb"}
"""The chapter each edition runs here: short ones, each with pictures, a TensorBoard frame and
the exercise checks' lines in the edition's language."""
SCRIPT = {"ko": "HANGUL", "zh": "CJK UNIFIED IDEOGRAPH"}


def letters(text: str, language: str) -> list[str]:
    """The letters of ``text`` in ``language``'s script (Hangul, or Chinese characters).

    Example:
        >>> letters("04 · 학습 loss", "ko"), letters("训练 loss", "zh")
        (['학', '습'], ['训', '练'])
    """
    return [c for c in text if unicodedata.name(c, "").startswith(SCRIPT[language])]


DRAWN = """heading => {
    const box = heading.getBoundingClientRect();
    return box.top >= 0 && box.bottom <= window.innerHeight
        && heading.checkVisibility({contentVisibilityAuto: true});
}"""
"""Whether the heading is in the window and drawn: JupyterLab leaves cells outside the window
undrawn (``content-visibility: auto``) until they scroll in."""


def show_title(page, panel: str) -> None:
    """Scroll back to the chapter's title after Run All, and wait until Chromium draws it."""
    heading = page.locator(f'[id="{panel}"] .jp-RenderedMarkdown h1').first
    heading.scroll_into_view_if_needed()
    page.wait_for_function(DRAWN, arg=heading.element_handle(), timeout=10_000)
    page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")


def title_fonts(page, panel: str) -> tuple[str, list[dict]]:
    """The text of the chapter's title (its first heading) and the fonts Chromium drew it
    with (Chrome DevTools Protocol: ``CSS.getPlatformFontsForNode``)."""
    session = page.context.new_cdp_session(page)
    session.send("DOM.enable")
    session.send("CSS.enable")
    root = session.send("DOM.getDocument", {"depth": 0})["root"]["nodeId"]
    heading = session.send("DOM.querySelector", {
        "nodeId": root, "selector": f'[id="{panel}"] .jp-RenderedMarkdown h1'})["nodeId"]
    text = page.locator(f'[id="{panel}"] .jp-RenderedMarkdown h1').first.inner_text()
    return text, session.send("CSS.getPlatformFontsForNode", {"nodeId": heading})["fonts"]


@pytest.mark.parametrize("language", sorted(CHAPTER))
def test_an_edition_runs_in_its_language_with_its_letters_drawn(language, browser, tmp_path):
    course = tmp_path / "Mý Course"
    course.mkdir()
    copy_course(REPO, course)
    say = ui_text(language)
    try:
        lab = start_lab(course, tmp_path, extra_env={"PYTHONPATH": str(course)}, language=language)
    except RuntimeError as err:
        pytest.fail(str(err))
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    learner = Learner(lab, page, tmp_path, copies=f"my-notebooks-{language}", say=say)
    page.on("response", learner.record)
    try:
        panel = open_first_notebook(page, lab, f"{learner.copies}/{CHAPTER[language]}", say=say)
        menus = page.locator(".lm-MenuBar-item").all_inner_texts()
        assert say("Run") in menus and "Run" not in menus, (
            f"JupyterLab's menus are not in {language}: {menus}\n"
            f"    screenshot: {learner.screenshot(f'{language}-menus')}")
        problems = run_chapter(learner, CHAPTER[language])
        # Run All ends on the exercise checks: their lines are on screen, in the edition's language
        checks = page.locator(f'[id="{panel}"] .jp-CodeCell .jp-OutputArea-output').last
        checks.scroll_into_view_if_needed()
        shown = checks.inner_text()
        shot = learner.screenshot(f"{language}-{CHAPTER[language][:2]}-checks")
        assert letters(shown, language) and "not yet" not in shown and "done" not in shown, (
            f"the exercise checks did not print in {language}: {shown!r}\n    screenshot: {shot}")
        frame = frame_element(page, panel)
        if frame is not None:  # a missing frame is among the problems run_chapter reports
            keep_in_view(frame)
            learner.screenshot(f"{language}-{CHAPTER[language][:2]}-frame")
        show_title(page, panel)
        shot = learner.screenshot(f"{language}-{CHAPTER[language][:2]}-title")
        title, fonts = title_fonts(page, panel)
        wanted = letters(title, language)
        drawn = sum(font["glyphCount"] for font in fonts if re.search("CJK", font["familyName"]))
        assert wanted and drawn >= len(wanted), (
            f"the title {title!r} has {len(wanted)} {language} letters, but the fonts that drew "
            f"it are {fonts}: no CJK font (install fonts-noto-cjk)\n    screenshot: {shot}")
        assert not problems, report(f"{language}/{CHAPTER[language]}", problems)
    finally:
        context.close()
        stop_lab(lab)
        end_processes(course_processes(course, tmp_path))
