"""Every exercise has a check and a solution, and each solution passes its check.

That the chapter's own run does not already count is in each chapter's stored output: its
last cell, compared by nbval, says "not yet" for every exercise after a Run All. Here each
chapter's solutions run in a fresh scratch course, and after each solution its own
exercise must be "done".
"""

from __future__ import annotations

import importlib
import re

import nbformat
import pytest
from test_notebooks import CHAPTERS

from coursetools.course import chapter_path, link_data
from helpers._runtime.grading import EXERCISES
from helpers.exercises import exercise_status


def test_every_chapter_has_exercises_a_check_cell_and_solutions():
    assert sorted(EXERCISES) == CHAPTERS
    for chapter in CHAPTERS:
        cells = nbformat.read(chapter_path(chapter), as_version=4).cells
        text = cells[-2].source if cells[-1].cell_type == "code" else cells[-1].source
        listed = re.findall(r"^(\d+)\. ", text[text.index("## Exercises"):], re.M)
        assert listed == [str(n) for n in range(1, len(EXERCISES[chapter]) + 1)], chapter
        assert cells[-1].cell_type == "code" and cells[-1].source.strip().endswith(
            f'report_exercises("{chapter}")'), f"{chapter}: end with the exercises' check cell"
        module = importlib.import_module(f"solutions.ch{chapter}")
        assert [f"exercise_{n}" for n in range(1, len(EXERCISES[chapter]) + 1)] == sorted(
            name for name in vars(module) if name.startswith("exercise_")), chapter


@pytest.mark.parametrize("chapter", [  # 07's solutions start torchrun processes
    pytest.param(c, marks=pytest.mark.server) if c == "07_distributed" else c for c in CHAPTERS])
def test_each_solution_passes_its_check(chapter, tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_DIR", str(tmp_path))
    link_data(tmp_path)
    monkeypatch.chdir(tmp_path)
    assert [evidence for _, evidence in exercise_status(chapter)] == [None] * len(EXERCISES[chapter])
    module = importlib.import_module(f"solutions.ch{chapter}")
    for number in range(1, len(EXERCISES[chapter]) + 1):
        getattr(module, f"exercise_{number}")()
        status = exercise_status(chapter)
        assert status[number - 1][1], f"{chapter} exercise {number}: its solution does not pass"


def test_08_wrong_attempts_are_not_done(tmp_path, monkeypatch, capsys):
    # written as a learner would, in the chapter's RUN_DIR next to its healthy mystery run
    from helpers.debugging import mystery_faults
    from helpers.exercises import report_exercises
    from solutions.ch08_debugging import chapter_data, train_run

    monkeypatch.setenv("COURSE_DIR", str(tmp_path))
    run_dir = tmp_path / "runs" / "08_debugging" / "20261125-101500"
    train_data, test_data = chapter_data()
    healthy = f"run_{mystery_faults().index('healthy') + 1}"
    train_run(run_dir / healthy, "healthy", train_data, test_data)
    train_run(run_dir / "fixed", "healthy", train_data, test_data)  # "fixed" = the healthy one
    report_exercises("08_debugging")
    assert (f"Closest: 08_debugging/20261125-101500/fixed logs the same loss/train as "
            f"20261125-101500/{healthy}") in capsys.readouterr().out.splitlines()[0]
    train_run(run_dir / "fixed", "divergence", train_data, test_data, lr=0.001)  # the tutorial's lr
    train_run(run_dir / "overfitting_300", "overfitting", train_data, test_data, steps=300)
    status = exercise_status("08_debugging")
    assert status == [(what, None) for what, _ in EXERCISES["08_debugging"]], status
    report_exercises("08_debugging")
    out = capsys.readouterr().out.splitlines()
    assert "fixed ends with loss/train at 2.3, not below 2.0" in out[0], out
    assert "overfitting_300 has 300 steps, but shows overfitting" in out[1], out
    # right ways: the divergence setting at another small lr; the healthy one at its own lr
    train_run(run_dir / "fixed", "divergence", train_data, test_data, lr=0.05)
    train_run(run_dir / "long", "healthy", train_data, test_data, steps=320, lr=0.002)
    assert all(evidence for _, evidence in exercise_status("08_debugging"))


# --- chapters 01-03: wrong attempts, written as a learner would, are refused; other right
# ways are done. All but DropoutNeverCalled were "done" for the checks before issue 23.


def _course_runs(tmp_path, monkeypatch, chapter):
    monkeypatch.setenv("COURSE_DIR", str(tmp_path))
    link_data(tmp_path)
    return tmp_path / "runs" / chapter


def _done(chapter: str) -> list[bool]:
    return [bool(evidence) for _, evidence in exercise_status(chapter)]


def test_01_wrong_attempts_are_not_done(tmp_path, monkeypatch, capsys):
    from torch.utils.tensorboard import SummaryWriter
    from torchvision.utils import make_grid

    from helpers.data import load_dataset, make_loader, make_transform
    from helpers.exercises import report_exercises

    runs = _course_runs(tmp_path, monkeypatch, "01_write_images")
    train_set, _ = load_dataset("fashion-mnist", train=True, transform=make_transform(1))
    dataiter = iter(make_loader(train_set, batch_size=16, seed=0))
    images, _ = next(dataiter)
    with SummaryWriter(log_dir=runs / "20261125-101500") as writer:
        writer.add_image("ten", make_grid(images[:10], nrow=8) / 2 + 0.5)  # 10 images, not 16
        writer.add_image("ten_per_row", make_grid(images, nrow=10) / 2 + 0.5)  # 16, but 10 per row
        grid = make_grid(images[:4]) / 2 + 0.5
        for step in range(3):  # one batch logged three times
            writer.add_image("three_batches", grid, global_step=step)
    assert _done("01_write_images") == [False, False]
    report_exercises("01_write_images")
    out = capsys.readouterr().out.splitlines()
    assert "Closest: 01_write_images/20261125-101500 has ten: 10 image(s), 8 per row." in out[0], out
    assert "three_batches at steps [0, 1, 2], but they show only 1 different picture(s)" in out[1], out
    # right ways: a wider border; add_images, which tiles 8 per row without one; three batches
    with SummaryWriter(log_dir=runs / "20261125-101600") as writer:
        writer.add_image("wide_border", make_grid(images, nrow=8, padding=6) / 2 + 0.5)
    assert _done("01_write_images") == [True, False]
    with SummaryWriter(log_dir=runs / "20261125-101700") as writer:
        writer.add_images("sixteen", images / 2 + 0.5)
        for step in range(3):
            writer.add_image("batches", make_grid(next(dataiter)[0]) / 2 + 0.5, global_step=step)
    assert _done("01_write_images") == [True, True]


def test_02_wrong_attempts_are_not_done(tmp_path, monkeypatch, capsys):
    import torch
    import torch.nn as nn
    import torch.nn.functional as F

    from helpers.exercises import report_exercises
    from helpers.model import Net
    from solutions.ch02_graph import log_graph

    _course_runs(tmp_path, monkeypatch, "02_graph")

    class DropoutNeverCalled(Net):  # made in __init__, but forward is Net's: not in the graph
        def __init__(self):
            super().__init__()
            self.dropout = nn.Dropout(0.2)

    class DropoutOnTheInput(DropoutNeverCalled):  # a Dropout, but before conv1
        def forward(self, x):
            return super().forward(self.dropout(x))

    class TutorialNet(nn.Module):  # the tutorial's Net with 3 channels, its size hard-coded
        def __init__(self):
            super().__init__()
            self.conv1, self.pool, self.conv2 = nn.Conv2d(3, 6, 5), nn.MaxPool2d(2, 2), nn.Conv2d(6, 16, 5)
            self.fc1, self.fc2, self.fc3 = nn.Linear(16 * 4 * 4, 120), nn.Linear(120, 84), nn.Linear(84, 10)

        def forward(self, x):
            x = self.pool(F.relu(self.conv1(x)))
            x = self.pool(F.relu(self.conv2(x)))
            x = x.view(-1, 16 * 4 * 4)  # 16 x 400 numbers read as 25 x 256: it runs, wrongly
            return self.fc3(F.relu(self.fc2(F.relu(self.fc1(x)))))

    log_graph(DropoutNeverCalled(), torch.zeros(1, 1, 28, 28), "unused")
    log_graph(DropoutOnTheInput(), torch.zeros(1, 1, 28, 28), "on-input")
    log_graph(TutorialNet(), torch.zeros(16, 3, 32, 32), "tutorial")
    assert _done("02_graph") == [False, False]
    report_exercises("02_graph")
    out = capsys.readouterr().out.splitlines()
    assert "-on-input has a Dropout node, but not between fc1 and fc2." in out[0], out
    assert "-tutorial has a 3x32x32 input, but 256 features into an fc1" in out[1], out

    class FunctionalDropout(Net):  # another right way: F.dropout, before fc1's ReLU
        def forward(self, x):
            x = self.pool(F.relu(self.conv1(x)))
            x = self.pool(F.relu(self.conv2(x)))
            x = F.relu(F.dropout(self.fc1(torch.flatten(x, 1)), 0.2, self.training))
            return self.fc3(F.relu(self.fc2(x)))

    log_graph(FunctionalDropout(), torch.zeros(1, 1, 28, 28), "functional")
    log_graph(Net(3, 32), torch.zeros(8, 3, 32, 32), "cifar-batch")
    assert _done("02_graph") == [True, True]


def test_03_wrong_attempts_are_not_done(tmp_path, monkeypatch, capsys):
    from torch.utils.tensorboard import SummaryWriter

    from helpers.data import load_tensors, select_n_random
    from helpers.exercises import report_exercises

    runs = _course_runs(tmp_path, monkeypatch, "03_projector")
    (all_images, all_labels), classes = load_tensors("fashion-mnist", train=True)
    images, labels = select_n_random(all_images, all_labels, n=1000, seed=0)
    features, class_labels = images.reshape(len(images), -1), [classes[i] for i in labels]
    with SummaryWriter(log_dir=runs / "20261125-101500") as writer:
        writer.add_embedding(features, tag="no_labels")  # 1,000 points, nothing to colour by
        writer.add_embedding(features[:100], tag="swapped", metadata_header=["class", "index"],
                             metadata=[[str(i), c] for i, c in enumerate(class_labels[:100])])
    with SummaryWriter(log_dir=runs / "20261125-101600") as writer:  # the class number as index
        writer.add_embedding(features[:100], metadata_header=["class", "index"], metadata=[
            [c, str(int(y))] for c, y in zip(class_labels[:100], labels[:100])])
    assert _done("03_projector") == [False, False]
    report_exercises("03_projector")
    out = capsys.readouterr().out.splitlines()
    assert "has 1,000 points but no label for each" in out[0], out
    assert "but its class column does not hold class names" in out[1], out
    (runs / "20261125-101500" / "projector_config.pbtxt").unlink()  # leave the index one
    report_exercises("03_projector")
    assert "its index column does not give each point a number of its own" in \
        capsys.readouterr().out.splitlines()[1]
    # right ways: 1,000 labelled points without thumbnails; the index of the 1,000 points
    with SummaryWriter(log_dir=runs / "20261125-101700") as writer:
        writer.add_embedding(features, metadata_header=["class", "index"],
                             metadata=[[c, str(i)] for i, c in enumerate(class_labels)])
    assert _done("03_projector") == [True, True]


# --- chapters 04 and 05: attempts written as a learner would, right and wrong ----------------

def _figure_run(tmp_path, chapter: str, name: str, figures) -> None:
    """A run of ``chapter`` with ``figures``: (tag, number of images, max_cols, mistakes) each."""
    import torch
    from torch.utils.tensorboard import SummaryWriter

    from helpers.data import CLASSES
    from helpers.model import Net
    from helpers.plots import images_to_probs, plot_classes_preds

    torch.manual_seed(0)
    net, images = Net(), torch.randn(16, 1, 28, 28)
    preds, _ = images_to_probs(net, images)
    with SummaryWriter(log_dir=tmp_path / "runs" / chapter / name) as writer:
        for step, (tag, n, max_cols, mistakes) in enumerate(figures):
            labels = torch.as_tensor(preds[:n] + 1) % 10 if mistakes else torch.as_tensor(preds[:n])
            writer.add_figure(tag, plot_classes_preds(net, images[:n], labels, CLASSES, max_cols), step)


def _scalar_run(tmp_path, chapter: str, name: str, scalars: dict[str, list[tuple[int, float]]]) -> None:
    from torch.utils.tensorboard import SummaryWriter

    with SummaryWriter(log_dir=tmp_path / "runs" / chapter / name) as writer:
        for tag, points in scalars.items():
            for step, value in points:
                writer.add_scalar(tag, value, step)


def _found(chapter: str) -> list:
    from helpers._runtime.grading import findings

    return [found for _what, found in findings(chapter)]


def test_04_exercise_1_counts_the_images_whatever_the_layout(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_DIR", str(tmp_path))
    tag = "predictions vs. actuals"
    _figure_run(tmp_path, "04_training", "20261202-100000", [(tag, 4, 2, False), (tag, 4, 2, False)])
    _figure_run(tmp_path, "04_training", "20261202-100100", [(tag, 7, 4, False)])  # 8 cells, 7 images
    _figure_run(tmp_path, "04_training", "20261202-100200", [("predictions", 8, 2, False)])
    found = _found("04_training")[0]
    assert not exercise_status("04_training")[0][1], found  # two figures of 4 are not 8 images
    assert "at most 4 images" in found
    _figure_run(tmp_path, "04_training", "20261202-100300", [(tag, 8, 3, False)])  # 3 + 3 + 2
    assert "a figure of 8 images" in exercise_status("04_training")[0][1]
    (tmp_path / "runs" / "04_training" / "20261202-100300").rename(tmp_path / "moved")
    _figure_run(tmp_path, "04_training", "20261202-100400", [(tag, 8, 4, False)])  # 4 to a row
    assert "a figure of 8 images" in exercise_status("04_training")[0][1]


def test_04_exercise_1_names_the_tag_it_looks_for(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_DIR", str(tmp_path))
    _figure_run(tmp_path, "04_training", "20261202-100000", [("predictions", 8, 2, False)])
    assert "under the tag 'predictions', not 'predictions vs. actuals'" in _found("04_training")[0]


def test_04_exercise_2_wants_the_test_loss_at_the_steps_of_the_test_accuracy(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_DIR", str(tmp_path))
    accuracy = [(469, 0.85), (938, 0.87), (1407, 0.88)]
    _scalar_run(tmp_path, "04_training", "20261202-100000",  # the epoch as the step
                {"accuracy/test": accuracy, "loss/test": [(0, 0.41), (1, 0.36), (2, 0.33)]})
    assert not exercise_status("04_training")[1][1]
    assert "loss/test at steps [0, 1, 2] but accuracy/test at steps [469, 938, 1407]" in _found(
        "04_training")[1]
    (tmp_path / "runs" / "04_training" / "20261202-100000").rename(tmp_path / "moved")
    _scalar_run(tmp_path, "04_training", "20261202-100100",  # a loose tag, as before chapter 04
                {"accuracy/test": accuracy, "test loss": [(s, 0.4) for s, _ in accuracy]})
    assert not exercise_status("04_training")[1][1]
    assert "has 'test loss', not the grouped tag loss/test" in _found("04_training")[1]
    _scalar_run(tmp_path, "04_training", "20261202-100200",
                {"accuracy/test": accuracy, "loss/test": [(469, 0.41), (938, 0.36), (1407, 0.33)]})
    assert "steps [469, 938, 1407]" in exercise_status("04_training")[1][1]


def test_05_exercise_1_wants_16_mistakes(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_DIR", str(tmp_path))
    tag = "most confident mistakes"
    _figure_run(tmp_path, "05_pr_curves", "20261202-100000", [(tag, 16, 2, False)])  # any 16 images
    _figure_run(tmp_path, "05_pr_curves", "20261202-100100", [(tag, 8, 2, True), (tag, 8, 2, True)])
    assert not exercise_status("05_pr_curves")[0][1]
    assert "16 images, 16 of them right (green titles): not only mistakes" in _found("05_pr_curves")[0]
    _figure_run(tmp_path, "05_pr_curves", "20261202-100200", [(tag, 16, 4, True)])  # 4 to a row
    assert "a figure of 16 images" in exercise_status("05_pr_curves")[0][1]


def test_05_exercise_2_wants_two_models_in_one_run(tmp_path, monkeypatch):
    import torch
    from torch.utils.tensorboard import SummaryWriter

    from helpers.data import CLASSES

    monkeypatch.setenv("COURSE_DIR", str(tmp_path))
    torch.manual_seed(0)
    labels = torch.randint(0, 10, (200,))
    trained, weaker = torch.randn(200, 10).softmax(dim=1), torch.randn(200, 10).softmax(dim=1)

    def run(name, models):
        with SummaryWriter(log_dir=tmp_path / "runs" / "05_pr_curves" / name) as writer:
            for step, probs in models:
                for i, class_name in enumerate(CLASSES):
                    writer.add_pr_curve(class_name, labels == i, probs[:, i], global_step=step)

    run("20261202-100000", [(0, trained)])  # one writer per model: two runs
    run("20261202-100100", [(0, weaker)])
    assert not exercise_status("05_pr_curves")[1][1]
    run("20261202-100200", [(0, trained), (1, trained)])  # the same model twice
    assert not exercise_status("05_pr_curves")[1][1]
    assert "the same curves at steps [0, 1]" in _found("05_pr_curves")[1]
    run("20261202-100300", [(0, trained), (1, weaker)])
    assert "10 PR curves at steps [0, 1], from two different models" in exercise_status("05_pr_curves")[1][1]


# --- chapter 06: wrong attempts, written as a learner would with the chapter's own
# train_setting (or the solution's, with the optimizer as a setting), are refused; other
# right ways are done. The old checks passed a run named lr0.003_bs32 whatever it trained.


def _chapter_06(tmp_path, monkeypatch):
    import torch
    from test_compare import chapter_namespace

    monkeypatch.setenv("COURSE_DIR", str(tmp_path))
    torch.manual_seed(0)
    x, y = torch.randn(80, 1, 28, 28), torch.randint(0, 10, (80,))
    tiny = ((x[:64], y[:64]), (x[64:], y[64:]))
    chapter = chapter_namespace(tmp_path, *tiny)

    def sweep(name: str, settings=()):
        chapter["RUN_DIR"] = tmp_path / "runs" / "06_comparing_runs" / name  # the RUN_DIR cell
        for lr, batch_size in settings:
            chapter["train_setting"](f"lr{lr:g}_bs{batch_size}", lr, batch_size)
        return chapter["RUN_DIR"]

    return chapter, sweep, tiny


def _said_06(capsys) -> list[str]:
    from helpers.exercises import report_exercises

    capsys.readouterr()  # what training printed
    report_exercises("06_comparing_runs")
    return capsys.readouterr().out.splitlines()


CHAPTER_06_SETTINGS = [(0.001, 128), (0.01, 128)]


def test_06_exercise_1_wants_the_setting_itself_beside_the_others(tmp_path, monkeypatch, capsys):
    chapter, sweep, _ = _chapter_06(tmp_path, monkeypatch)
    sweep("20261202-100000", CHAPTER_06_SETTINGS)
    chapter["train_setting"]("lr0.003_bs32", 0.001, 32)  # renamed, but lr left at 0.001
    assert not exercise_status("06_comparing_runs")[0][1]
    assert ("Closest: 06_comparing_runs/20261202-100000/lr0.003_bs32 is named lr0.003_bs32 but "
            "has batch_size=32, lr=0.001.") in _said_06(capsys)[0]
    sweep("20261202-100100", [(0.003, 32)])  # the RUN_DIR cell again, then only the new one
    assert not exercise_status("06_comparing_runs")[0][1]
    assert ("20261202-100100/lr0.003_bs32 has lr=0.003, batch_size=32, but no other setting in "
            "06_comparing_runs/20261202-100100/") in _said_06(capsys)[0]
    # right: the new setting called once into the first sweep, under any name
    sweep("20261202-100000")
    chapter["train_setting"]("fifth", 0.003, 32)
    assert "20261202-100000/fifth: lr=0.003, batch_size=32, next to 3 other setting(s)" in (
        exercise_status("06_comparing_runs")[0][1])


def test_06_exercise_2_wants_the_optimizer_as_a_setting_of_every_run(tmp_path, monkeypatch, capsys):
    from solutions.ch06_comparing_runs import train_setting

    chapter, sweep, tiny = _chapter_06(tmp_path, monkeypatch)
    run_dir = sweep("20261202-100000")
    for name in ("adam_lr0.01_bs128", "sgd_lr0.01_bs128"):  # the optimizer only in the names
        chapter["train_setting"](name, 0.01, 128)
    assert not exercise_status("06_comparing_runs")[1][1]
    assert ("20261202-100000/sgd_lr0.01_bs128 is named after SGD but has no HParams setting "
            "optimizer") in _said_06(capsys)[1]
    run_dir = sweep("20261202-100100", CHAPTER_06_SETTINGS)  # SGD added beside the old runs
    train_setting(run_dir, "sgd_lr0.01_bs128", 0.01, 128, "sgd", tiny)
    assert not exercise_status("06_comparing_runs")[1][1]
    assert ("20261202-100100/ has runs without the setting optimizer (lr0.001_bs128, "
            "lr0.01_bs128)") in _said_06(capsys)[1]
    run_dir = sweep("20261202-100200")  # a new sweep, but the argument never passed on
    for name in ("adam", "sgd"):
        train_setting(run_dir, name, 0.01, 128, "adam", tiny)
    assert not exercise_status("06_comparing_runs")[1][1]
    assert "20261202-100200/ has only optimizer=adam" in _said_06(capsys)[1]
    # right: any names and spellings, as long as every run of the sweep has the setting
    run_dir = sweep("20261202-100300")
    for optimizer in ("Adam", "SGD"):
        train_setting(run_dir, optimizer, 0.01, 128, optimizer, tiny)
    assert "20261202-100300: optimizer = adam, sgd in all 2 runs" in (
        exercise_status("06_comparing_runs")[1][1])


@pytest.mark.server  # torchrun jobs of the chapter's own script
def test_07_wrong_attempts_are_not_done(tmp_path, monkeypatch, capsys):
    # the chapter's script, changed and started as a learner would (small jobs: 2,048 images)
    from helpers.exercises import report_exercises
    from solutions.ch07_distributed import chapter_script, torchrun

    _course_runs(tmp_path, monkeypatch, "07_distributed")
    script = tmp_path / "train_ddp.py"
    by_step = 'writer.add_scalar("loss/train", (totals[0] / totals[2]).item(), step)'

    def launch(nproc, batch_size, x_axis="step"):
        script.write_text(chapter_script().replace(by_step, by_step.replace("step)", f"{x_axis})")))
        torchrun(script, nproc, batch_size=batch_size, train_size=2048, epochs=1)

    def said() -> list[str]:
        capsys.readouterr()
        report_exercises("07_distributed")
        return capsys.readouterr().out.splitlines()

    launch(2, 64)  # the chapter's run
    launch(1, 64)  # one process, the x-axis unchanged (the old exercise 1), batches kept at 64
    launch(2, 128)  # batches of 128 on two processes (the old exercise 2)
    assert _done("07_distributed") == [False, False]
    assert "Closest: " not in said()[0]
    assert "2 processes x 128 = 256 images per step, and no run of another number" in said()[1]
    launch(2, 64, "step * args.batch_size")  # one process's images, not the job's
    out = said()
    assert "(2 processes) has loss/train up to step 1,024, but its job saw 2,048 images" in out[0], out
    launch(1, 128, "step * args.batch_size")  # the right batch, but not the chapter's x-axis
    out = said()
    assert _done("07_distributed") == [False, False]
    assert "take 128 images per step, but loss/train ends at step 16 in one and 2,048" in out[1], out
    # right ways: one process with batches of 128 beside two with 64, both against the step;
    # the images per step times the processes (within 2 % of those seen)
    launch(1, 128)
    assert _done("07_distributed") == [False, True]
    launch(2, 64, "step * args.batch_size * world_size")
    assert _done("07_distributed") == [True, True]
