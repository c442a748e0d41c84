"""Exercises that check themselves: each reads your own runs back from their event files.

Every chapter ends with a few exercises and a cell that calls `report_exercises`. It looks
through all of that chapter's runs (``runs/<chapter>/``) and says, per exercise, "done"
with the run that shows it, or "not yet" with what is still missing. Solutions are in
``solutions/`` at the course's root.

>>> report_exercises("00_setup")  # doctest: +SKIP
exercise 1: not yet. There is no run in runs/00_setup/ yet: write your runs there.
exercise 2: not yet. There is no run in runs/00_setup/ yet: write your runs there.
"""

from __future__ import annotations

from helpers._runtime.grading import NotYet, findings
from helpers._runtime.language import _
from helpers._runtime.runs import find_runs, runs_root


def exercise_status(chapter: str) -> list[tuple[str, str | None]]:
    """For each of ``chapter``'s exercises, what counts as done and the run that shows it
    (None while no run does).

    >>> exercise_status("00_setup")  # doctest: +SKIP
    [('setup/cube with step³ at 10 steps, in a run of its own', None), ...]
    """
    return [(what, None if isinstance(found, NotYet) else found)
            for what, found in findings(chapter)]


def report_exercises(chapter: str) -> None:
    """Print, for each exercise of ``chapter``, "done" with the run that shows it, or "not
    yet" with where it looked, what is missing and what the nearest run shows instead.

    >>> report_exercises("00_setup")  # doctest: +SKIP
    exercise 1: done. 00_setup/20261125-101500: setup/cube = step³
    exercise 2: not yet. None of the 1 run(s) in runs/00_setup/ has two event files in one folder.
    """
    folder = runs_root() / chapter
    count = len(find_runs(folder)) if folder.is_dir() else 0
    where = f"runs/{chapter}/"
    for number, (what, evidence) in enumerate(findings(chapter), start=1):
        if evidence and not isinstance(evidence, NotYet):
            print(_("exercise {number}: done. {evidence}").format(number=number, evidence=evidence))
        elif count == 0:
            print(_("exercise {number}: not yet. There is no run in {where} yet: write your runs "
                    "there.").format(number=number, where=where))
        else:
            closest = _(" Closest: {evidence}.").format(evidence=evidence) if evidence else ""
            print(_("exercise {number}: not yet. None of the {count} run(s) in {where} has "
                    "{what}.{closest}").format(number=number, count=count, where=where, what=_(what),
                                               closest=closest))
