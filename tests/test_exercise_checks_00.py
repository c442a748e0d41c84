"""Chapter 00's checks refuse a learner's plausible wrong attempts and accept the right ones."""

from __future__ import annotations

import pytest
from torch.utils.tensorboard import SummaryWriter

from helpers.exercises import exercise_status, report_exercises

pytestmark = pytest.mark.unit


@pytest.fixture
def runs(tmp_path, monkeypatch):
    """This chapter's runs folder in a scratch course."""
    monkeypatch.setenv("COURSE_DIR", str(tmp_path))
    folder = tmp_path / "runs" / "00_setup"
    folder.mkdir(parents=True)
    return folder


def write(folder, tags: dict[str, list[tuple[int, float]]]) -> None:
    with SummaryWriter(log_dir=folder) as writer:
        for tag, points in tags.items():
            for step, value in points:
                writer.add_scalar(tag, value, step)


def done(number: int) -> bool:
    return bool(exercise_status("00_setup")[number - 1][1])


def test_cube_in_the_chapters_own_run_is_not_a_new_run(runs, capsys):
    write(runs / "20261202-100000", {"setup/square": [(s, s**2) for s in range(11)],
                                     "setup/cube": [(s, s**3) for s in range(10)]})
    assert not done(1)
    report_exercises("00_setup")
    said = capsys.readouterr().out
    assert "None of the 1 run(s) in runs/00_setup/" in said and "next to setup/square" in said


@pytest.mark.parametrize("points", [
    [(s, s**2) for s in range(10)],  # squares under the cube's tag
    [(s, s**3) for s in range(5)],   # only half the steps
    [(0, s**3) for s in range(10)],  # every point at step 0
])
def test_wrong_cubes_are_refused(runs, points):
    write(runs / "20261202-100001", {"setup/cube": points})
    assert not done(1)


def test_a_cube_in_a_new_run_counts_with_floats_or_ints(runs):
    write(runs / "20261202-100002", {"setup/cube": [(s, float(s) ** 3) for s in range(10)]})
    assert done(1)


def test_two_runs_of_one_event_file_each_are_not_a_reopened_writer(runs):
    write(runs / "a", {"setup/reopened": [(0, 1.0)]})
    write(runs / "b", {"setup/reopened": [(1, 2.0)]})
    assert not done(2)


def test_a_write_after_close_counts(runs):
    writer = SummaryWriter(log_dir=runs / "c")
    writer.add_scalar("setup/reopened", 1.0, 0)
    writer.close()
    writer.add_scalar("setup/reopened", 2.0, 1)
    writer.close()
    assert done(2)


def test_no_run_at_all_says_where_to_write(runs, capsys):
    runs.rmdir()
    report_exercises("00_setup")
    assert "There is no run in runs/00_setup/ yet" in capsys.readouterr().out
