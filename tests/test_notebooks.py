"""The notebooks follow the course's conventions, and a chapter runs standalone in a fresh kernel."""

from __future__ import annotations

import os
import re
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from coursetools.course import chapter_path, chapter_paths, link_data

pytestmark = pytest.mark.notebooks

NOTEBOOKS = chapter_paths()
CHAPTERS = ["00_setup", "01_write_images", "02_graph", "03_projector", "04_training",
            "05_pr_curves", "06_comparing_runs", "07_distributed", "08_debugging"]


def test_every_chapter_is_there():
    assert [p.stem for p in NOTEBOOKS][: len(CHAPTERS)] == CHAPTERS


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_chapter_follows_the_conventions(path):
    nb = nbformat.read(path, as_version=4)
    cells = nb.cells
    first = cells[0].source
    assert cells[0].cell_type == "markdown" and first.startswith("# ")
    assert "**Purpose:**" in first and "**You will learn**" in first and "**Time to run:**" in first
    headings = [c.source.splitlines()[0] for c in cells if c.cell_type == "markdown"]
    assert headings[1] == "## Setup"
    ends = [h for h in headings if h in ("## What TensorBoard now shows", "## Summary")]
    assert ends == ["## What TensorBoard now shows", "## Summary"]
    assert "## Exercises" in cells[-2].source  # then the cell that checks them
    assert cells[-1].cell_type == "code" and "report_exercises(" in cells[-1].source
    code = [c for c in cells if c.cell_type == "code"]
    # the self-check reads the run back (08's six runs: one line each)
    assert any(re.search(r"(summarize|run_overview)\(RUN_DIR\)", c.source) for c in code[-2:])
    for cell in code:
        tags = cell.metadata.get("tags", [])
        # nbval's markers are cell tags: nothing written for the tests in the learner's code
        assert "NBVAL" not in cell.source, f"{path.name}: use the nbval-... cell tags, not comments"
        if re.search(r"^%tensorboard ", cell.source, re.M):
            # TensorBoard's own magic, prepared as chapter 00 explains, bound to 127.0.0.1
            assert "nbval-skip" in tags and "--host 127.0.0.1" in cell.source
            assert re.search(r"^%(re)?load_ext tensorboard", cell.source, re.M), cell.source
            assert "prepare_tensorboard_magic(" in cell.source, cell.source
            # quoted, so a course folder with a space in its name stays one argument
            assert re.search(r'^%tensorboard --logdir "[^"]+"', cell.source, re.M), cell.source
            # a stored frame is an empty box until the cell runs again: store none
            assert cell.outputs == [], f"{path.name} stores a TensorBoard frame"
        # a re-run of `%load_ext` prints "already loaded"; a frame's server must stay up
        assert not re.search(r"^%load_ext tensorboard", cell.source, re.M), "use %reload_ext"
        assert "stop_tensorboards()" not in cell.source, "Run All would stop the frame's server"
        assert "sys.path" not in cell.source and "--bind_all" not in cell.source
        assert "dataiter.next()" not in cell.source
        assert cell.get("outputs") is not None
        for out in cell.get("outputs", []):
            assert out.get("output_type") != "error", f"{path.name} stores an error"
            # stderr shows as a red box, like an error: progress bars go to stdout
            assert out.get("name") != "stderr", f"{path.name} stores stderr: {out.get('text')}"
            text = out.get("text", "") + str(out.get("data", {}).get("text/plain", ""))
            assert not re.search(r" at 0x[0-9a-f]{6,}|/root/|/home/|/work/|/tmp/", text), text
    assert all(c.get("execution_count") for c in code if "nbval-skip" not in c.metadata.get("tags", [])), \
        f"{path.name} has unexecuted cells: run it top to bottom and save"


def execute_alone(path: Path, course_dir: Path) -> nbformat.NotebookNode:
    """Run a notebook in a fresh kernel with an empty course folder (no runs, no weights)."""
    nb = nbformat.read(path, as_version=4)
    nb.cells = [c for c in nb.cells  # no TensorBoard server
                if "nbval-skip" not in c.get("metadata", {}).get("tags", [])]
    old = os.environ.get("COURSE_DIR")
    os.environ["COURSE_DIR"] = str(course_dir)
    try:
        NotebookClient(nb, timeout=600, kernel_name="python3",
                       resources={"metadata": {"path": str(path.parent)}}).execute()
    finally:
        if old is None:
            os.environ.pop("COURSE_DIR")
        else:
            os.environ["COURSE_DIR"] = old
    return nb


def test_pr_curves_chapter_runs_standalone_without_chapter_04(tmp_path):
    nb = execute_alone(chapter_path("05_pr_curves"), tmp_path)
    printed = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    assert "trained a quick model" in printed
    assert printed.count("127 thresholds") == 10
    runs = list((tmp_path / "runs" / "05_pr_curves").iterdir())
    assert len(runs) == 1 and list((tmp_path / "runs").iterdir()) == [runs[0].parent]
    assert not (tmp_path / "checkpoints").exists()  # a quick model never stands in for 04's


def stored_text(name: str) -> str:
    """Everything a chapter's stored outputs print."""
    nb = nbformat.read(chapter_path(name), as_version=4)
    return "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs)


def test_chapter_05s_stored_numbers_come_from_chapter_04s_stored_run():
    # 05 loads the weights 04 saves: its stored accuracy must be 04's last, so re-executing
    # one without the other (python -m coursetools.execute 04 05) cannot go unnoticed
    last_04 = re.findall(r"epoch \d+: test accuracy ([\d.]+)%", stored_text("04_training"))[-1]
    text_05 = stored_text("05_pr_curves")
    overall = re.search(r"^test accuracy: ([\d.]+)%", text_05, re.M).group(1)
    assert overall == last_04, f"05 stores {overall} %, 04's run ended at {last_04} %"
    per_class = [float(v) for v in re.findall(r"^  \S.*?\s+([\d.]+)%$", text_05, re.M)]
    assert len(per_class) == 10  # the test set has 1,000 of each class: their mean is the whole
    assert abs(sum(per_class) / 10 - float(overall)) < 0.1


def test_chapter_05s_stored_accuracy_is_what_todays_code_gives():
    # nbval ignores 05's accuracy (it differs slightly between machines); within a
    # tolerance it must still be what chapter 04 and 05's code give today
    import torch

    from coursetools.chapters import execute_missing
    from helpers.data import load_dataset, make_loader, to_tensors
    from helpers.model import Net
    from helpers.paths import course_dir
    from helpers.train import accuracy, checkpoint_path, load_weights, predict_probs

    execute_missing(course_dir(), ["04_training"])  # nbval's run of 04 in this session, or now
    net = load_weights(Net(), checkpoint_path())
    images, labels = to_tensors(load_dataset("fashion-mnist", train=False)[0])
    with torch.no_grad():
        today = 100 * accuracy(*predict_probs(net, make_loader((images, labels), 1000, shuffle=False)))
    stored = float(re.search(r"^test accuracy: ([\d.]+)%", stored_text("05_pr_curves"), re.M).group(1))
    assert abs(today - stored) <= 1.0, f"05 stores {stored} %, today's code gives {today:.1f} %"


def test_chapter_03s_stored_silhouettes_are_what_todays_code_gives(tmp_path, monkeypatch):
    # 03's learned score is ignored by nbval (it depends on the weights); stored from a Run All
    # in chapter order, it comes from the quick model, which today's code must still give
    from helpers.data import load_dataset, select_n_random, to_tensors
    from helpers.embedding import learned_features, silhouette
    from helpers.train import trained_net

    monkeypatch.setenv("COURSE_DIR", str(tmp_path))  # no chapter 04 weights here
    link_data(tmp_path)
    text = stored_text("03_projector")
    assert "trained a quick model on 20,000 images" in text
    stored = {k: float(v) for k, v in re.findall(r"silhouette, (\w+) \w+: +([\d.]+)", text)}
    images, labels = select_n_random(*to_tensors(load_dataset("fashion-mnist")[0]), n=100, seed=0)
    learned = learned_features(trained_net("fashion-mnist", quick_images=20_000), images)
    assert stored["raw"] == round(silhouette(images, labels), 2)
    assert abs(stored["learned"] - silhouette(learned, labels)) <= 0.03
    assert stored["learned"] > 2 * stored["raw"]
