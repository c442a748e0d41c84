"""Hosted Jupyter (JupyterHub, Binder): the browser reaches only Jupyter's own port, under a
base URL such as ``/user/learner/``. The chapter's TensorBoard frame must still show its run,
through the Jupyter server (jupyter-server-proxy), with nothing for the learner to do.

The browser is forbidden every other port of the machine, TensorBoard's included.
"""

from __future__ import annotations

import re

import pytest

from coursetools.course import REPO, copy_course
from coursetools.lab_page import (
    code_index,
    dismiss_news,
    frame_element,
    open_first_notebook,
    run_all,
    scroll_to_cell,
    wait_for_kernel,
    wait_for_run_all,
    watch_prompts,
)
from coursetools.lab_server import course_processes, start_lab, stop_lab
from helpers._runtime.servers import end_processes

pytestmark = [pytest.mark.browser, pytest.mark.learner_path]

CHAPTER = "01_write_images"
BASE_URL = "/user/learner/"


@pytest.fixture
def hosted(tmp_path, browser):
    """A course copy served by JupyterLab under ``/user/learner/``, and a page that can reach
    nothing on this machine but that JupyterLab."""
    course = tmp_path / "Mý Course"
    copy_course(REPO, course)
    lab = start_lab(course, tmp_path / "scratch", base_url=BASE_URL,
                    extra_env={"PYTHONPATH": str(course)})
    context = browser.new_context(viewport={"width": 1280, "height": 960})
    page = context.new_page()
    blocked = []
    other_port = re.compile(rf"^https?://(127\.0\.0\.1|localhost):(?!{lab.port}/)\d+/")

    def refuse(route):
        blocked.append(route.request.url)
        route.abort()

    page.route(other_port, refuse)
    try:
        yield lab, page, blocked
    finally:
        context.close()
        stop_lab(lab)
        end_processes(course_processes(course))


def test_the_frame_reaches_tensorboard_through_the_jupyter_server(hosted, tmp_path):
    lab, page, blocked = hosted
    panel = open_first_notebook(page, lab, f"my-notebooks/{CHAPTER}.ipynb")
    wait_for_kernel(page, panel)
    dismiss_news(page)
    watch_prompts(page, panel)
    run_all(page, panel)
    wait_for_run_all(page, panel, timeout=300)

    shot = tmp_path / "hosted-frame.png"
    # JupyterLab draws only the cells on screen: go to the frame's cell, as a learner would
    shown = code_index(lab.course / "my-notebooks" / f"{CHAPTER}.ipynb", "%tensorboard")
    scroll_to_cell(page, panel, shown)
    frame = frame_element(page, panel)
    assert frame is not None, f"no TensorBoard frame: {page.screenshot(path=shot) and shot}"
    frame.scroll_into_view_if_needed()
    content = frame.element_handle().content_frame()
    assert content.url.startswith(f"{lab.url}proxy/"), content.url
    run = max((lab.course / "runs" / CHAPTER).iterdir()).name
    try:
        content.get_by_text(run, exact=True).first.wait_for(timeout=60_000)
        content.locator("img").first.wait_for(timeout=60_000)  # the grid, wherever the frame opens
    except Exception as err:  # Playwright's timeout: say what the learner saw
        page.screenshot(path=shot)
        raise AssertionError(f"the frame did not show run {run} and its image: {shot}") from err
    assert blocked == [], f"the page tried to reach other ports directly: {blocked}"
