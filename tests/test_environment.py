"""requirements.txt and environment.yml describe the same environment."""

from __future__ import annotations

import re

import yaml

from coursetools.course import REPO


def requirement_names() -> set[str]:
    names = set()
    for line in (REPO / "requirements.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line and not line.startswith("-"):
            names.add(re.split(r"[<>=!~\[ ]", line, maxsplit=1)[0].lower())
    return names


def test_every_requirement_says_why_it_is_there():
    for line in (REPO / "requirements.txt").read_text().splitlines():
        if line.strip() and not line.startswith(("#", "-e")):
            assert "#" in line, f"requirements.txt: no comment on {line!r}"


def test_requirements_install_helpers_last_and_cap_torch():
    text = (REPO / "requirements.txt").read_text()
    lines = [x for x in text.splitlines() if x.strip() and not x.startswith("#")]
    assert lines[-1].split("#")[0].strip() == "-e ."
    assert {"torch", "torchvision", "tensorboard", "matplotlib", "numpy", "jupyterlab", "nbval",
            "ipykernel", "tqdm", "pytest"} <= requirement_names()
    text = (REPO / "requirements.txt").read_text()
    assert "torch>=2.4,<=2.14.1" in text and "torchvision>=0.19,<=0.29.1" in text


def test_environment_yml_has_the_same_packages():
    env = yaml.safe_load((REPO / "environment.yml").read_text())
    deps = env["dependencies"]
    assert "python=3.11" in deps
    pip_part = next(d["pip"] for d in deps if isinstance(d, dict))
    conda_names = {re.split(r"[<>=! ]", d, maxsplit=1)[0].lower() for d in deps if isinstance(d, str)}
    assert conda_names <= {"python", "pip"}, "conda packages would bypass requirements.txt"
    assert pip_part == ["-r requirements.txt"]
    assert requirement_names()  # the packages come from requirements.txt, so they cannot differ


def test_helpers_imports_from_any_folder_without_side_effects(tmp_path):
    import subprocess
    import sys

    code = ("import importlib, pkgutil, helpers, matplotlib, torch, os\n"
            "for m in pkgutil.iter_modules(helpers.__path__): importlib.import_module('helpers.' + m.name)\n"
            "print(matplotlib.rcParams['figure.figsize'], os.listdir('.'))")
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "[6.4, 4.8] []"


def test_the_tests_work_in_a_scratch_course_not_the_learners():
    """`make test` never adds runs to the learner's runs/ or weights to their checkpoints/."""
    from helpers._runtime.runs import runs_root
    from helpers.paths import course_dir
    from helpers.train import checkpoint_path

    assert not course_dir().resolve().is_relative_to(REPO.resolve())
    assert runs_root().parent == course_dir()
    assert checkpoint_path("x.pt").parent.parent == course_dir()
    assert (course_dir() / "data").resolve() == (REPO / "data").resolve(), "the data is shared"


def test_a_changed_chapter_is_named_with_how_to_keep_and_restore_it(tmp_path):
    import subprocess

    from plugins.changed_chapters import changed_chapters_note

    git = ["git", "-c", "user.name=t", "-c", "user.email=t@t", "-C", str(tmp_path)]
    (tmp_path / "notebooks").mkdir()
    chapter = tmp_path / "notebooks" / "04_training.ipynb"
    chapter.write_text("{}")
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "course"], check=True)
    assert changed_chapters_note(tmp_path) == []
    chapter.write_text('{"saved": "by JupyterLab"}')
    (note,) = changed_chapters_note(tmp_path)
    assert "notebooks/04_training.ipynb differs" in note
    assert "cp notebooks/04_training.ipynb my-notebooks/" in note
    assert "git checkout -- notebooks/04_training.ipynb" in note


def test_make_installs_pytorchs_cpu_build_only_when_asked(tmp_path):
    """`make lab TORCH_INDEX=...` adds PyTorch's index; the default install is unchanged."""
    import subprocess

    def plan(*args: str) -> str:
        return subprocess.run(["make", "-n", "setup", f"VENV={tmp_path / 'venv'}", *args],
                              cwd=REPO, capture_output=True, text=True, check=True).stdout

    cpu = "https://download.pytorch.org/whl/cpu"
    assert f"--extra-index-url {cpu} -r requirements.txt" in plan(f"TORCH_INDEX={cpu}")
    assert "--extra-index-url" not in plan() and "-r requirements.txt" in plan()
