"""helpers.debugging: every fault shows in the run's own event files, and the check says so."""

from __future__ import annotations

import pytest
import torch

from helpers.data import load_tensors, select_n_random
from helpers.debugging import FAULTS, check_diagnoses, diagnose, mystery_faults, train_mystery_runs


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """The six runs of chapter 08, on the real data, trained once for these tests."""
    (images, labels), _ = load_tensors("fashion-mnist", train=True)  # as chapter 08 loads them
    (test_images, test_labels), _ = load_tensors("fashion-mnist", train=False)
    folder = tmp_path_factory.mktemp("08_debugging")
    names = train_mystery_runs(folder, select_n_random(images, labels, n=4000, seed=0),
                               (test_images[:500], test_labels[:500]))
    return folder, dict(zip(names, mystery_faults(0)))


def test_each_fault_is_diagnosed_from_its_event_files(runs):
    folder, truth = runs
    assert sorted(truth.values()) == sorted(FAULTS)
    for name, fault in truth.items():
        assert diagnose(folder / name)[0] == fault, (name, fault, diagnose(folder / name))


def test_the_check_says_right_wrong_and_unanswered_and_never_gives_the_answer_away(runs, capsys):
    folder, truth = runs
    names = sorted(truth)
    wrong = next(f for f in FAULTS if f not in (truth[names[1]], "healthy"))
    broken = next(name for name in names[4:] if truth[name] != "healthy")
    check_diagnoses(folder, {names[0]: truth[names[0]], names[1]: wrong, names[2]: "?",
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


def test_the_solution_gets_every_run_right(runs, capsys):
    from solutions.ch08_debugging import DIAGNOSES

    folder, _ = runs
    check_diagnoses(folder, DIAGNOSES)
    assert capsys.readouterr().out.splitlines()[-1] == "6 of 6 right."


def test_a_bad_fault_or_answer_container_is_refused(tmp_path):
    from helpers.debugging import train_run

    with pytest.raises(ValueError, match="Unknown fault 'nan'"):
        train_run(tmp_path / "r", "nan", (torch.zeros(2, 1, 28, 28), torch.arange(2)), None)
    with pytest.raises(TypeError, match="as a dict"):
        check_diagnoses(tmp_path, ["divergence"])
