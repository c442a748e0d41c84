"""Exercises that check themselves: each reads your own runs back from their event files.

Every chapter ends with a few exercises and a cell that calls `check_exercises`. It looks
through all of that chapter's runs (``runs/<chapter>/``) and says, per exercise, "done"
with the run that shows it, or "not yet" with what is still missing. Solutions are in
``solutions/`` at the course's root.

Example:
    >>> check_exercises("00_setup")  # doctest: +SKIP
    exercise 1: not yet. No run of this chapter has setup/cube with step³ at 10 steps.
    exercise 2: not yet. No run of this chapter has two event files in one folder.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from helpers.board import event_files, find_runs, load_run, plugin_tags, projector_config, runs_root


class _Events:
    """TensorBoard's EventAccumulator for one run, read from disk only when a check first asks
    (a check that needs only the run's name reads nothing; each run is read at most once)."""

    def __init__(self, path: Path):
        self._path, self._acc = path, None

    def __getattr__(self, name: str):
        if self._acc is None:
            self._acc = load_run(self._path)
        return getattr(self._acc, name)


class NotYet(str):
    """What a check found instead of the exercise's result, in words (a check returns it
    instead of None to tell the learner how close the nearest run came)."""


Run = tuple[Path, _Events]  # a run's folder and its events
Check = Callable[[list[Run]], str | None]  # the evidence in words if done, a NotYet or None if not


def _first(runs: list[Run], found: Callable[[Path, object], str | None]) -> str | None:
    hint = None
    for path, acc in runs:
        evidence = found(path, acc)
        if isinstance(evidence, NotYet):
            hint = hint or NotYet(f"{path.relative_to(runs_root()).as_posix()} {evidence}")
        elif evidence:
            return f"{path.relative_to(runs_root()).as_posix()}: {evidence}"
    return hint


def _tags(acc, kind: str) -> list[str]:
    return acc.Tags().get(kind, [])


def _scalar_found(tag: str, rule: Callable[[list], bool], evidence: str) -> Check:
    return lambda runs: _first(runs, lambda _p, acc: evidence if tag in _tags(acc, "scalars")
                               and rule(acc.Scalars(tag)) else None)


def _image_found(rule: Callable[[object], bool], evidence: str) -> Check:
    def found(_path, acc):
        for tag in _tags(acc, "images"):
            if any(rule(event) for event in acc.Images(tag)):
                return f"{evidence} ({tag})"
        return None
    return lambda runs: _first(runs, found)


def _two_event_files(runs: list[Run]) -> str | None:
    return _first(runs, lambda path, _acc: f"{len(event_files(path))} event files in one folder"
                  if len(event_files(path)) > 1 else None)


def _graph(rule: Callable[[object], bool], evidence: str) -> Check:
    def found(_path, acc):
        if not acc.Tags().get("graph"):
            return None
        return evidence if rule(acc.Graph()) else None
    return lambda runs: _first(runs, found)


def _input_shape(graph) -> list[int]:
    node = next((n for n in graph.node if n.op == "IO Node" and n.name.startswith("input")), None)
    return [d.size for d in node.attr["_output_shapes"].list.shape[0].dim] if node else []


def _embedding(rule: Callable[[Path, object], bool], evidence: str) -> Check:
    def found(path, _acc):
        config = projector_config(path)
        return evidence if config and any(rule(path, e) for e in config.embeddings) else None
    return lambda runs: _first(runs, found)


def _lines(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.is_file() else []


def _text(acc, tag: str) -> str:
    if tag not in _tags(acc, "tensors"):
        return ""
    return acc.Tensors(tag)[-1].tensor_proto.string_val[0].decode()


def _run_named(name: str, rule: Callable[[object], bool], evidence: str) -> Check:
    return lambda runs: _first(runs, lambda path, acc: evidence
                               if path.name == name and rule(acc) else None)


EXERCISES: dict[str, list[tuple[str, Check]]] = {
    "00_setup": [
        ("setup/cube with step³ at 10 steps",
         _scalar_found("setup/cube", lambda ev: len(ev) >= 10 and all(
             abs(e.value - e.step ** 3) < 1e-3 for e in ev), "setup/cube = step³")),
        ("two event files in one folder", _two_event_files),
    ],
    "01_write_images": [
        ("one grid of 16 images, 8 per row",
         _image_found(lambda im: im.width >= 8 * 28 and 2 * 28 <= im.height < 3 * 28, "an 8 x 2 grid")),
        ("one image tag at three steps", lambda runs: _first(runs, lambda _p, acc: next((
            f"{tag} at steps {[e.step for e in acc.Images(tag)]}" for tag in _tags(acc, "images")
            if len({e.step for e in acc.Images(tag)}) >= 3), None))),
    ],
    "02_graph": [
        ("a graph with a Dropout layer",
         _graph(lambda g: any("Dropout[" in n.name for n in g.node), "a Dropout node")),
        ("a graph traced with a 3x32x32 batch",
         _graph(lambda g: _input_shape(g)[1:] == [3, 32, 32], "input of shape (N, 3, 32, 32)")),
    ],
    "03_projector": [
        ("an embedding of 1,000 points",
         _embedding(lambda run, e: len(_lines(run / e.tensor_path)) >= 1000, "1,000 points or more")),
        ("metadata with the header class, index", _embedding(
            lambda run, e: _lines(run / e.metadata_path)[:1] == ["class\tindex"], "two metadata columns")),
    ],
    "04_training": [
        ("a predictions figure of 8 images",
         _image_found(lambda im: im.height >= 4 * 210, "a figure of 8 images or more")),
        ("test loss logged next to test accuracy",
         _scalar_found("test loss", lambda ev: len(ev) >= 1, "test loss")),
    ],
    "05_pr_curves": [
        ("a figure of the 16 most confident mistakes",
         _image_found(lambda im: im.height >= 8 * 210, "a figure of 16 images or more")),
        ("PR curves at two steps in one run", lambda runs: _first(runs, lambda _p, acc: next((
            f"{tag} at steps {[e.step for e in acc.Tensors(tag)]}" for tag in plugin_tags(acc, "pr_curves")
            if len({e.step for e in acc.Tensors(tag)}) >= 2), None))),
    ],
    "06_comparing_runs": [
        ("the setting lr0.003_bs32 in a sweep", _run_named(
            "lr0.003_bs32", lambda acc: "_hparams_/session_start_info" in plugin_tags(acc, "hparams"),
            "trained, with its HParams")),
        ("loss/train and loss/test in one run", lambda runs: _first(runs, lambda _p, acc: (
            "loss/train and loss/test" if {"loss/train", "loss/test"} <= set(_tags(acc, "scalars"))
            else None))),
    ],
    "07_distributed": [
        ("a job of one process", lambda runs: _first(runs, lambda _p, acc: (
            "1 process" if _text(acc, "setup/text_summary").startswith("1 processes") else None))),
        ("a job with batches of 128", lambda runs: _first(runs, lambda _p, acc: (
            "batches of 128" if "batches of 128 each" in _text(acc, "setup/text_summary") else None))),
    ],
    "08_debugging": [
        ("the diverging setting healed: a run named fixed whose loss/train ends below 2.0",
         _run_named("fixed", lambda acc: "loss/train" in _tags(acc, "scalars")
                    and acc.Scalars("loss/train")[-1].value < 2.0, "loss/train ends below 2.0")),
        ("a run of 300 steps", lambda runs: _first(runs, lambda _p, acc: (
            "300 steps" if "loss/train" in _tags(acc, "scalars")
            and acc.Scalars("loss/train")[-1].step >= 300 else None))),
    ],
}
"""Each chapter's exercises, in order: what counts as done, and the check that finds it."""


def exercise_status(chapter: str) -> list[tuple[str, str | None]]:
    """For each of ``chapter``'s exercises, what counts as done and the run that shows it
    (None while no run does).

    Example:
        >>> exercise_status("00_setup")  # doctest: +SKIP
        [('setup/cube with step³ at 10 steps', None), ...]
    """
    return [(what, None if isinstance(found, NotYet) else found)
            for what, found in _findings(chapter)]


def _findings(chapter: str) -> list[tuple[str, str | None]]:
    """Each exercise and what its check found: the evidence, a `NotYet`, or None."""
    if chapter not in EXERCISES:
        raise ValueError(f"No exercises for {chapter!r}; chapters: {list(EXERCISES)}.")
    folder = runs_root() / chapter
    runs = [(run, _Events(run)) for run in find_runs(folder)] if folder.is_dir() else []
    return [(what, check(runs)) for what, check in EXERCISES[chapter]]


def check_exercises(chapter: str) -> None:
    """Print, for each exercise of ``chapter``, "done" with the run that shows it, or "not
    yet" with where it looked, what is missing and what the nearest run shows instead.

    Example:
        >>> check_exercises("00_setup")  # doctest: +SKIP
        exercise 1: done. 00_setup/20261125-101500: setup/cube = step³
        exercise 2: not yet. None of the 1 run(s) in runs/00_setup/ has two event files in one folder.
    """
    folder = runs_root() / chapter
    count = len(find_runs(folder)) if folder.is_dir() else 0
    where = f"runs/{chapter}/"
    for number, (what, evidence) in enumerate(_findings(chapter), start=1):
        if evidence and not isinstance(evidence, NotYet):
            print(f"exercise {number}: done. {evidence}")
        elif count == 0:
            print(f"exercise {number}: not yet. There is no run in {where} yet: write your runs there.")
        else:
            found = f" Closest: {evidence}." if evidence else ""
            print(f"exercise {number}: not yet. None of the {count} run(s) in {where} has {what}.{found}")
