"""Chapter 08: every fault shows in the event files the chapter's own code writes, and the
check says so."""

from __future__ import annotations

import ast
import inspect
import textwrap

import pytest
import torch
from test_one_source import chapter_definitions, without_docstrings

from helpers.debugging import FAULTS, break_training, diagnose, mystery_faults, report_diagnoses, run_overview
from solutions.ch08_debugging import chapter_data, train_run


def test_the_solutions_train_with_the_chapters_own_function():
    # the runs below, and the exercises' solutions, are trained by the chapter's code
    chapter = chapter_definitions("08_debugging")["train_run"]
    copy = ast.parse(textwrap.dedent(inspect.getsource(train_run))).body[0]
    assert without_docstrings(chapter) == without_docstrings(copy), (
        "train_run in 08_debugging and in solutions/ch08_debugging.py differ: change both")


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """The six runs of chapter 08, on the real data, trained once for these tests."""
    folder = tmp_path_factory.mktemp("08_debugging")
    train_data, test_data = chapter_data()
    faults = {f"run_{number}": fault for number, fault in enumerate(mystery_faults(), start=1)}
    for name, fault in faults.items():  # as the chapter trains them
        train_run(folder / name, fault, train_data, test_data)
    return folder, faults


def test_each_fault_is_diagnosed_from_its_event_files(runs):
    folder, truth = runs
    assert sorted(truth.values()) == sorted(FAULTS)
    for name, fault in truth.items():
        assert diagnose(folder / name)[0] == fault, (name, fault, diagnose(folder / name))


def test_the_overview_lists_what_each_run_logged(runs):
    folder, truth = runs
    rows = run_overview(folder).splitlines()[2:]
    assert [row.split()[0] for row in rows] == sorted(truth)
    assert all("4 tags, 4 points each  5 tags      1 figure(s)" in row for row in rows), rows


def test_the_check_says_right_wrong_and_unanswered_and_never_gives_the_answer_away(runs, capsys):
    folder, truth = runs
    names = sorted(truth)
    wrong = next(f for f in FAULTS if f not in (truth[names[1]], "healthy"))
    broken = next(name for name in names[4:] if truth[name] != "healthy")
    report_diagnoses(folder, {names[0]: truth[names[0]], names[1]: wrong, names[2]: "?",
                             names[3]: "broken", "run_9": "healthy", broken: "healthy"})
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith(f"{names[0]}: right, {truth[names[0]]}: ")
    assert lines[0].endswith(FAULTS[truth[names[0]]])  # the chart that shows it
    assert lines[1].startswith(f"{names[1]}: not {wrong}: ") and lines[1].endswith("Look again.")
    assert truth[names[1]] not in lines[1]  # a hint, never the answer
    assert lines[2] == f"{names[2]}: not answered yet."
    assert "'broken' is not one of the faults" in lines[3]
    assert lines[4].startswith("run_9: there is no such run")
    assert lines[5].startswith(f"{broken}: not healthy: something in this run is broken.")
    assert lines[6] == "1 of 6 right."


def test_every_right_answer_is_accepted_and_every_wrong_one_refused(runs, capsys):
    folder, truth = runs
    for name, fault in truth.items():
        for answer in FAULTS:
            report_diagnoses(folder, {name: answer})
            out = capsys.readouterr().out
            assert out.endswith(f"{1 if answer == fault else 0} of 1 right.\n"), (name, answer, out)
            if answer != fault:
                assert fault not in out.split(":", 1)[1].replace(f"not {answer}", ""), out


def test_the_solution_gets_every_run_right(runs, capsys):
    from solutions.ch08_debugging import DIAGNOSES

    folder, _ = runs
    report_diagnoses(folder, DIAGNOSES)
    assert capsys.readouterr().out.splitlines()[-1] == "6 of 6 right."


def test_a_bad_fault_or_answer_container_is_refused(tmp_path):
    data = (torch.zeros(2, 1, 28, 28), torch.arange(2))
    with pytest.raises(ValueError, match="Unknown fault 'nan'"):
        break_training("nan", torch.nn.Linear(1, 1), data, data)
    with pytest.raises(ValueError, match="Unknown fault 'nan'"):
        train_run(tmp_path / "r", "nan", data, data)
    assert not (tmp_path / "r").exists()  # refused before a writer made the folder
    with pytest.raises(TypeError, match="as a dict"):
        report_diagnoses(tmp_path, ["divergence"])


@pytest.mark.parametrize("language, right, unanswered, score", [
    ("ko", "정답", "아직 답하지 않았습니다.", "3개 중 1개 정답."),
    ("zh", "正确", "还没有回答。", "共 3 个，答对 1 个。")])
def test_an_edition_hears_the_check_in_its_language(runs, capsys, language, right, unanswered, score):
    from helpers.language import use_language

    folder, truth = runs
    names = sorted(truth)
    wrong = next(f for f in FAULTS if f not in (truth[names[1]], "healthy"))
    use_language(language)
    try:
        report_diagnoses(folder, {names[0]: truth[names[0]], names[1]: wrong, names[2]: "?"})
    finally:
        use_language("en")
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith(names[0]) and f"{right}" in lines[0]
    assert truth[names[0]] in lines[0]  # the fault's name stays as the learner types it
    assert truth[names[1]] not in lines[1] and wrong in lines[1]  # a hint, never the answer
    assert lines[2].startswith(names[2]) and lines[2].endswith(unanswered) and lines[3] == score
    assert not any(word in " ".join(lines) for word in ("right", "Look again", "not answered"))
