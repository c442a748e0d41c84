"""``make lab`` (``python -m coursetools.lab``): the learner's own copies, and JupyterLab on
the course's root, opening the first chapter."""

from __future__ import annotations

import doctest
import json
import os
import shutil
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

import coursetools.lab
import coursetools.lab_page
import coursetools.lab_server
import coursetools.tensorboard_responses
from coursetools.course import REPO
from coursetools.lab import (
    copies_message,
    copy_chapters,
    lab_command,
    lab_env,
    main,
    parse_args,
    settle_settings,
)
from coursetools.lab_server import start_lab, stop_lab

pytestmark = pytest.mark.server


@pytest.fixture
def course(tmp_path) -> Path:
    """A small course: two chapters, a notebook that is no chapter, and a picture."""
    root = tmp_path / "Mý Course"
    (root / "notebooks").mkdir(parents=True)
    for name in ("00_setup.ipynb", "01_write_images.ipynb", "scratch.ipynb"):
        (root / "notebooks" / name).write_text(json.dumps({"name": name}))
    (root / "docs" / "screenshots").mkdir(parents=True)
    shutil.copy(REPO / "docs" / "screenshots" / "00_scalars.png", root / "docs" / "screenshots")
    return root


def test_every_chapter_is_copied_into_my_notebooks(course):
    made = copy_chapters(course)
    assert [p.name for p in made] == ["00_setup.ipynb", "01_write_images.ipynb"]
    assert sorted(p.name for p in (course / "my-notebooks").iterdir()) == [p.name for p in made]
    assert (course / "my-notebooks" / "00_setup.ipynb").read_text() == \
        (course / "notebooks" / "00_setup.ipynb").read_text()


def test_a_learners_copy_is_never_overwritten(course):
    copy_chapters(course)
    mine = course / "my-notebooks" / "00_setup.ipynb"
    mine.write_text("my half-executed work")
    (course / "my-notebooks" / "01_write_images.ipynb").unlink()  # deleted: a fresh copy comes

    made = copy_chapters(course)

    assert mine.read_text() == "my half-executed work"
    assert [p.name for p in made] == ["01_write_images.ipynb"]


def test_the_message_says_where_the_copies_are_and_how_to_get_a_fresh_one(course):
    message = copies_message(course)
    assert str(course / "my-notebooks") in message and "delete" in message
    assert "\n" not in message


def test_allow_root_only_as_root(course, monkeypatch):
    assert "--allow-root" in lab_command(course, as_root=True)
    assert "--allow-root" not in lab_command(course, as_root=False)
    assert lab_command(course, ["--allow-root"], as_root=True).count("--allow-root") == 1
    monkeypatch.setattr(os, "geteuid", lambda: 0, raising=False)
    assert "--allow-root" in lab_command(course)
    monkeypatch.setattr(os, "geteuid", lambda: 1000, raising=False)
    assert "--allow-root" not in lab_command(course)
    monkeypatch.delattr(os, "geteuid", raising=False)  # Windows
    assert "--allow-root" not in lab_command(course)


def test_jupyterlab_serves_the_course_root_and_opens_the_first_copy(course):
    command = lab_command(course, ["--no-browser", "--port", "8899"], python="py", as_root=False)
    assert command[:3] == ["py", "-m", "jupyterlab"]
    assert f"--ServerApp.root_dir={course}" in command
    assert str(course / "my-notebooks" / "00_setup.ipynb") in command
    assert command[-3:] == ["--no-browser", "--port", "8899"]  # passed through unchanged


def test_course_dir_is_set_and_this_pythons_bin_comes_first_on_path(course):
    env = lab_env(course, {"PATH": "/usr/bin", "HOME": "/home/me"}, python="/v/bin/python")
    assert env["COURSE_DIR"] == str(course)
    assert env["PATH"].split(os.pathsep) == ["/v/bin", "/usr/bin"]
    assert env["HOME"] == "/home/me"


def test_the_course_is_the_launchers_parent_unless_given(course):
    assert parse_args(["--port", "1"]) == (REPO, ["--port", "1"], None)
    assert parse_args(["--course", str(course), "--no-browser"]) == (course, ["--no-browser"], None)


def test_a_language_opens_its_edition_in_a_jupyterlab_in_that_language(course, monkeypatch, capsys):
    calls = []
    monkeypatch.setattr(os, "execvpe", lambda file, args, env: calls.append((file, args, env)))
    monkeypatch.setattr(sys, "prefix", str(course / "venv"))
    monkeypatch.chdir(course.parent)  # main moves into the course; the test's folder comes back
    (course / "ko").mkdir()
    shutil.copy(course / "notebooks" / "00_setup.ipynb", course / "ko" / "00_setup.ipynb")

    main(["--course", str(course), "--language", "ko", "--no-browser"])

    (_file, args, _env), = calls
    settings = course / "venv/share/jupyter/lab/settings-ko"
    assert args[4:6] == [str(course / "my-notebooks-ko" / "00_setup.ipynb"),
                         f"--LabApp.app_settings_dir={settings}"]
    overrides = json.loads((settings / "overrides.d/pytorch-tensorboard-course.json").read_text())
    assert overrides["@jupyterlab/translation-extension:plugin"] == {"locale": "ko_KR"}
    assert not (course / "venv/share/jupyter/lab/settings").exists()  # English stays as it was
    assert capsys.readouterr().out.strip() == copies_message(course, "ko")
    assert [p.name for p in (course / "my-notebooks-ko").iterdir()] == ["00_setup.ipynb"]


def test_an_unknown_language_is_refused_with_the_choices(capsys):
    with pytest.raises(SystemExit):
        parse_args(["--language", "fr"])
    assert "choose from 'ko', 'zh'" in capsys.readouterr().err


def test_main_copies_then_replaces_itself_with_jupyterlab(course, monkeypatch, capsys):
    calls = []
    monkeypatch.setattr(os, "execvpe", lambda file, args, env: calls.append((file, args, env)))
    monkeypatch.chdir(course.parent)

    main(["--course", str(course), "--no-browser"])

    (file, args, env), = calls
    assert file == sys.executable and args == lab_command(course, ["--no-browser"])
    assert env["COURSE_DIR"] == str(course)
    assert Path.cwd() == course
    assert capsys.readouterr().out.strip() == copies_message(course)
    assert (course / "my-notebooks" / "01_write_images.ipynb").exists()


def test_the_news_setting_goes_where_jupyterlab_reads_defaults(tmp_path):
    path = settle_settings(prefix=str(tmp_path))
    assert path == tmp_path / "share/jupyter/lab/settings/overrides.d/pytorch-tensorboard-course.json"
    assert json.loads(path.read_text())["@jupyterlab/apputils-extension:notification"] == {
        "fetchNews": "false", "checkForUpdates": False}


def test_main_without_chapters_says_what_to_do(tmp_path, capsys):
    assert main(["--course", str(tmp_path)]) == 2
    assert "--course" in capsys.readouterr().err


def test_my_notebooks_is_ignored_by_git():
    if shutil.which("git") is None or not (REPO / ".git").exists():
        pytest.skip("not a git checkout")
    ignored = subprocess.run(["git", "check-ignore", "-q", "my-notebooks/00_setup.ipynb"],
                             cwd=REPO)
    assert ignored.returncode == 0, "add my-notebooks/ to .gitignore"


def test_make_lab_runs_the_launcher():
    makefile = (REPO / "Makefile").read_text()
    recipe = makefile.split("\nlab:", 1)[1].split("\n\n", 1)[0]
    assert recipe.splitlines()[0].split() == ["data"]
    assert "$(BIN)/python -m coursetools.lab" in recipe


@pytest.mark.parametrize("module", [coursetools.lab, coursetools.lab_server, coursetools.lab_page,
                                    coursetools.tensorboard_responses],
                         ids=lambda m: m.__name__)
def test_the_examples_in_the_docstrings_hold(module):
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0


def test_a_real_jupyterlab_starts_on_the_course_root(course, tmp_path):
    """As root too (``--allow-root``): the copies are there and a chapter's picture at
    ``../docs/...`` is served."""
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    lab = start_lab(course, scratch)
    try:
        def get(path: str) -> bytes:
            with urllib.request.urlopen(f"{lab.url}{path}?token={lab.token}", timeout=30) as r:
                return r.read()

        listing = json.loads(get("api/contents/"))
        names = {item["name"] for item in listing["content"]}
        assert {"notebooks", "my-notebooks", "docs"} <= names
        copies = json.loads(get("api/contents/my-notebooks"))
        assert sorted(i["name"] for i in copies["content"]) == ["00_setup.ipynb",
                                                                 "01_write_images.ipynb"]
        assert get("files/docs/screenshots/00_scalars.png").startswith(b"\x89PNG")
        assert copies_message(course) in lab.output()
        # no "get notified about official Jupyter news?" prompt over the first chapter
        notification = json.loads(get("lab/api/settings/@jupyterlab/apputils-extension:notification"))
        assert notification["schema"]["properties"]["fetchNews"]["default"] == "false"
    finally:
        assert stop_lab(lab) is not None, "JupyterLab did not stop on SIGTERM"
