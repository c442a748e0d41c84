"""The exercise checks: for each chapter's exercises, what counts as done and the check that finds
it in the learner's own runs, read back from their event files. Each check accepts any right way
and refuses the plausible wrong ones (tests/test_exercises.py holds both)."""

from __future__ import annotations

import io
import math
import re
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image
from tensorboard.plugins.hparams import plugin_data_pb2
from tensorboard.util import tensor_util

from helpers._runtime.datafiles import CIFAR10_CLASSES, CLASSES
from helpers._runtime.diagnosis import diagnose, mystery_faults
from helpers._runtime.runs import event_files, find_runs, load_run, plugin_tags, projector_config, runs_root


class NotYet(str):
    """What a check found instead of the exercise's result: how close the nearest run came."""


Run = tuple[Path, object]  # a run's folder and its events (TensorBoard's EventAccumulator)
Check = Callable[[list[Run]], str | None]  # the evidence in words if done, a NotYet or None if not


def _rel(path: Path) -> str:
    return path.relative_to(runs_root()).as_posix()


def _in_one_run(found: Callable[[Path, object], str | None]) -> Check:
    """The check that asks ``found`` of each run: the first evidence, else the first NotYet."""
    def check(runs: list[Run]) -> str | None:
        hint = None
        for path, acc in runs:
            evidence = found(path, acc)
            if isinstance(evidence, NotYet):
                hint = hint or NotYet(f"{_rel(path)} {evidence}")
            elif evidence:
                return f"{_rel(path)}: {evidence}"
        return hint
    return check


def _lines(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.is_file() else []


def _pixels(image, mode: str):
    """An image event's picture as an array of pixels in ``mode`` ("L" or "RGB")."""
    return np.asarray(Image.open(io.BytesIO(image.encoded_image_string)).convert(mode))


def _cube(_path, acc) -> str | None:
    if "setup/cube" not in acc.Tags()["scalars"]:
        return None
    if "setup/square" in acc.Tags()["scalars"]:
        return NotYet("has setup/cube, but in the chapter's own run, next to setup/square")
    events = acc.Scalars("setup/cube")
    if len({e.step for e in events}) < 10 or any(abs(e.value - e.step ** 3) > 1e-3 for e in events):
        return NotYet(f"has setup/cube at steps {sorted({e.step for e in events})}, not step³ at 0..9")
    return "setup/cube = step³"


def _two_event_files(path, _acc) -> str | None:
    files = len(event_files(path))
    return f"{files} event files in one folder" if files > 1 else None


def _grid_layout(image) -> tuple[int, int, int] | None:
    """(images, rows, columns) of a `make_grid` of 28x28 or 32x32 images, any ``padding``."""
    pixels = _pixels(image, "L")
    height, width = pixels.shape
    for side in (28, 32):
        for pad in range(11):
            step = side + pad
            (cols, extra_w), (rows, extra_h) = divmod(width - pad, step), divmod(height - pad, step)
            if extra_w or extra_h or cols < 1 or rows < 1:
                continue
            borders = [pixels[r * step:r * step + pad] for r in range(rows + 1)]
            borders += [pixels[:, c * step:c * step + pad] for c in range(cols + 1)]
            if pad and any(border.min() != border.max() for border in borders):
                continue  # not a border of one colour between the images
            cells = [pixels[pad + r * step:pad + r * step + side, pad + c * step:pad + c * step + side]
                     for r in range(rows) for c in range(cols)]
            return sum(int(cell.min() != cell.max()) for cell in cells), rows, cols  # empty cells left out
    return None


def _sixteen_by_eight(_path, acc) -> str | None:
    hint = None
    for tag in acc.Tags()["images"]:
        for event in acc.Images(tag):
            layout = _grid_layout(event)
            if layout == (16, 2, 8):
                return f"{tag}: 16 images, 8 per row"
            if layout is not None:
                hint = hint or NotYet(f"has {tag}: {layout[0]} image(s), {layout[2]} per row")
    return hint


def _three_batches(_path, acc) -> str | None:
    hint = None
    for tag in acc.Tags()["images"]:
        by_step = {event.step: event.encoded_image_string for event in acc.Images(tag)}
        different = len(set(by_step.values()))
        if len(by_step) >= 3 and different >= 3:
            return f"{tag} at steps {sorted(by_step)}, {different} different pictures"
        if len(by_step) >= 3:
            hint = hint or NotYet(f"has {tag} at steps {sorted(by_step)}, but they show only "
                                  f"{different} different picture(s): log a new batch at each step")
    return hint


def _dropout_after_fc1(_path, acc) -> str | None:
    nodes = {node.name: node for node in acc.Graph().node} if acc.Tags()["graph"] else {}
    if not nodes or not any(n.op.startswith("aten::dropout") for n in nodes.values()):
        return None
    fc2 = next((n for n in nodes.values() if "[fc2]" in n.name and n.op == "aten::linear"), None)
    name, passed = (fc2.input[0] if fc2 is not None and fc2.input else ""), False
    for _ in range(20):  # back from fc2's input, through ReLU and dropout, to fc1
        node = nodes.get(name)
        if node is None or "[fc1]" in name:
            break
        passed = passed or node.op.startswith("aten::dropout")
        name = node.input[0] if node.input else ""
    if passed and "[fc1]" in name:
        return "a Dropout between fc1 and fc2"
    return NotYet("has a Dropout node, but not between fc1 and fc2")


def _cifar_shaped_net(_path, acc) -> str | None:
    nodes = {node.name: node for node in acc.Graph().node} if acc.Tags()["graph"] else {}
    inputs = [n for n in nodes.values() if n.op == "IO Node" and n.name.startswith("input")]
    if not inputs or [d.size for d in inputs[0].attr["_output_shapes"].list.shape[0].dim][1:] != [3, 32, 32]:
        return None
    fc1 = next((n for n in nodes.values() if "[fc1]" in n.name and n.op == "aten::linear"), None)
    source = nodes.get(fc1.input[0]) if fc1 is not None and fc1.input else None
    shapes = source.attr["_output_shapes"].list.shape if source is not None else []
    features = shapes[0].dim[-1].size if shapes and shapes[0].dim else None
    if features == 400:
        return "Net traced with a 3x32x32 batch: 400 features into fc1"
    return NotYet(f"has a 3x32x32 input, but {features or 'no'} features into an fc1, "
                  "not the 16·5·5 = 400 of Net(3, 32)")


def _thousand_labelled(path, _acc) -> str | None:
    hint = None
    config = projector_config(path)
    for embedding in config.embeddings if config else []:
        points = len(_lines(path / embedding.tensor_path))
        if points < 1000:
            continue
        if len(_lines(path / embedding.metadata_path)) >= points:  # no metadata_path: the run's folder
            return f"{points:,} points, each with its label"
        hint = hint or NotYet(f"has {points:,} points but no label for each: pass metadata=class_labels")
    return hint


def _class_and_index(path, _acc) -> str | None:
    hint = None
    config = projector_config(path)
    for embedding in config.embeddings if config else []:
        rows = [line.split("\t") for line in _lines(path / embedding.metadata_path)]
        body = rows[1:]
        if rows[:1] != [["class", "index"]] or not body or any(len(row) != 2 for row in body):
            continue
        classes = all(row[0] in CLASSES or row[0] in CIFAR10_CLASSES for row in body)
        numbers = [row[1] for row in body]
        if classes and all(n.isdigit() for n in numbers) and len(set(numbers)) == len(numbers):
            return "two metadata columns, class and index"
        hint = hint or NotYet("has the header class, index, but " + (
            "its class column does not hold class names" if not classes else
            "its index column does not give each point a number of its own"))
    return hint


def _figure_cells(event) -> list[str] | None:
    """A `plot_classes_preds` figure's 175x210 cells with a title: "right" if green, "wrong" if red."""
    if event.width % 175 or event.height % 210:
        return None
    rgb = _pixels(event, "RGB").astype(int)
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    red, green = (r > 180) & (g < 90) & (b < 90), (g > 90) & (r < 70) & (b < 70)
    cells = [(green[top:top + 210, left:left + 175].sum(), red[top:top + 210, left:left + 175].sum())
             for top in range(0, event.height, 210) for left in range(0, event.width, 175)]
    return ["right" if greens >= 20 else "wrong" for greens, reds in cells if greens >= 20 or reds >= 20]


def _figure_of(acc, tag: str, count: int, mistakes_only: bool = False) -> str | None:
    """Chapters 04 and 05: a figure of ``count`` images or more under ``tag``, all mistakes if asked."""
    figures = [(other, event.step, cells) for other in acc.Tags()["images"]
               for event in acc.Images(other) if (cells := _figure_cells(event)) is not None]
    mine = [(step, cells) for other, step, cells in figures if other == tag]
    big = [(step, cells) for step, cells in mine if len(cells) >= count]
    for step, cells in big:
        if not (mistakes_only and "right" in cells):
            return f"a figure of {len(cells)} images ({tag}, step {step})"
    if big:
        return NotYet(f"has a {tag} figure of {len(big[0][1])} images, {big[0][1].count('right')} of "
                      "them right (green titles): not only mistakes")
    elsewhere = [(other, cells) for other, _step, cells in figures if other != tag and len(cells) >= count]
    if elsewhere:
        return NotYet(f"has a figure of {len(elsewhere[0][1])} images under the tag "
                      f"{elsewhere[0][0]!r}, not {tag!r}")
    if mine:
        return NotYet(f"has {tag} figures of at most {max(len(c) for _step, c in mine)} images")
    return None


def _test_loss_beside_accuracy(_path, acc) -> str | None:
    scalars = acc.Tags()["scalars"]
    if "loss/test" not in scalars:
        loose = [t for t in scalars if "loss" in t.lower() and "test" in t.lower()]
        return NotYet(f"has {loose[0]!r}, not the grouped tag loss/test") if loose else None
    loss_steps = sorted({e.step for e in acc.Scalars("loss/test")})
    if "accuracy/test" not in scalars:
        return NotYet(f"has loss/test at steps {loss_steps} but no accuracy/test beside it")
    accuracy_steps = sorted({e.step for e in acc.Scalars("accuracy/test")})
    if loss_steps != accuracy_steps:
        return NotYet(f"has loss/test at steps {loss_steps} but accuracy/test at steps "
                      f"{accuracy_steps}: log both with the same step")
    if not all(math.isfinite(e.value) and e.value > 0 for e in acc.Scalars("loss/test")):
        return NotYet("has a loss/test that is not a positive number")
    return f"loss/test beside accuracy/test at steps {accuracy_steps}"


def _two_models_curves(_path, acc) -> str | None:
    curves = {tag: {e.step: tensor_util.make_ndarray(e.tensor_proto) for e in acc.Tensors(tag)}
              for tag in plugin_tags(acc, "pr_curves")}
    twice = [tag for tag, by_step in curves.items() if len(by_step) >= 2]
    if not twice:
        return None  # one step per curve: a run like the chapter's own
    steps = sorted(curves[twice[0]])[:2]
    if len(twice) < max(10, len(curves)):
        return NotYet(f"has {len(twice)} of its {len(curves)} PR curves at two steps: log all ten "
                      "classes at both")
    if all(np.array_equal(*(curves[tag][s] for s in sorted(curves[tag])[:2])) for tag in twice):
        return NotYet(f"has the same curves at steps {steps}: the same model twice, not a weaker one")
    return f"{len(twice)} PR curves at steps {steps}, from two different models"


def _hparams(acc) -> tuple[dict, set[str] | None]:
    """A run's HParams settings ({} if none) and its experiment's setting names (None if none)."""
    settings, columns = {}, None
    for content in plugin_tags(acc, "hparams").values():
        data = plugin_data_pb2.HParamsPluginData.FromString(content)
        if data.HasField("session_start_info"):
            settings = {k: getattr(v, v.WhichOneof("kind"))
                        for k, v in data.session_start_info.hparams.items() if v.WhichOneof("kind")}
        elif data.HasField("experiment"):
            columns = {info.name for info in data.experiment.hparam_infos}
    return settings, columns


def _fifth_setting(runs: list[Run]) -> str | None:
    settings = {path: _hparams(acc)[0] for path, acc in runs}
    hint = None  # what the newest sweep shows
    for path, hp in sorted(settings.items(), reverse=True):
        others = [p for p, h in settings.items() if p != path and p.parent == path.parent and h]
        if isinstance(hp.get("lr"), float) and abs(hp["lr"] - 0.003) < 1e-9 and hp.get("batch_size") == 32:
            if others:
                return f"{_rel(path)}: lr=0.003, batch_size=32, next to {len(others)} other setting(s)"
            hint = hint or NotYet(f"{_rel(path)} has lr=0.003, batch_size=32, but no other setting "
                                  f"in {_rel(path.parent)}/ to rank it against")
        elif path.name == "lr0.003_bs32":
            shown = ", ".join(f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}"
                              for k, v in sorted(hp.items())) or "no HParams settings"
            hint = hint or NotYet(f"{_rel(path)} is named lr0.003_bs32 but has {shown}")
    return hint


def _optimizer_setting(runs: list[Run]) -> str | None:
    sweeps: dict[Path, list[tuple[Path, dict, set[str] | None]]] = {}
    for path, acc in runs:
        settings, columns = _hparams(acc)
        if settings:
            sweeps.setdefault(path.parent, []).append((path, settings, columns))
    hint = None  # what the newest sweep shows
    for sweep, members in sorted(sweeps.items(), reverse=True):
        values = {str(s["optimizer"]).lower() for _, s, _ in members if "optimizer" in s}
        # the HParams tab takes its columns from one run: a run without optimizer may hide it
        without = [p.name for p, s, c in members if "optimizer" not in s or "optimizer" not in (c or s)]
        if values and without:
            hint = hint or NotYet(f"{_rel(sweep)}/ has runs without the setting optimizer "
                                  f"({', '.join(without)}): the HParams tab may show no optimizer column")
        elif len(values) == 1:
            hint = hint or NotYet(f"{_rel(sweep)}/ has only optimizer={values.pop()}")
        elif values:
            return f"{_rel(sweep)}: optimizer = {', '.join(sorted(values))} in all {len(members)} runs"
    named = next((p for p, _ in runs if "sgd" in p.name.lower()), None)
    if hint or not named:
        return hint
    return NotYet(f"{_rel(named)} is named after SGD but has no HParams setting optimizer")


def _ddp_jobs(runs: list[Run]) -> list[tuple[Path, dict]]:
    """Chapter 07: each run's job, from the setup line its script logs, and its last steps."""
    jobs = []
    for path, acc in runs:
        scalars = acc.Tags()["scalars"]
        text = acc.Tensors("setup/text_summary")[-1].tensor_proto.string_val[0].decode() \
            if "setup/text_summary" in acc.Tags()["tensors"] else ""
        found = [re.search(pattern, text) for pattern in (
            r"(\d+) process", r"([\d,]+) training images", r"(\d+) epoch", r"batches of (\d+)")]
        if not all(found) or "loss/train" not in scalars:
            continue
        processes, images, epochs, batch = (int(m[1].replace(",", "")) for m in found)
        seen = [e.step for e in acc.Scalars("progress/images_seen")] \
            if "progress/images_seen" in scalars else []
        jobs.append((path, {"processes": processes, "images": images * epochs, "batch": batch,
                            "last": max(e.step for e in acc.Scalars("loss/train")),
                            "steps": max(seen) if seen else None}))
    return jobs


def _processes(job: dict) -> str:
    return f"{job['processes']} process{'es' if job['processes'] > 1 else ''}"


def _loss_by_images(runs: list[Run]) -> str | None:
    by_images, hint = {}, None
    for path, job in _ddp_jobs(runs):
        if abs(job["last"] - job["images"]) <= 0.02 * job["images"]:
            by_images.setdefault(job["processes"] == 1, (path, job))
        elif job["last"] != job["steps"]:  # tried another x-axis than the step
            hint = NotYet(f"{_rel(path)} ({_processes(job)}) has loss/train up to step {job['last']:,}, "
                          f"but its job saw {job['images']:,} images: count the images of every process "
                          "(seen), not of one")
    if len(by_images) == 2:
        (one, _), (many, job) = by_images[True], by_images[False]
        return (f"{_rel(one)} (1 process) and {_rel(many)} ({_processes(job)}) log loss/train "
                "against the images seen")
    if by_images:
        (path, job), = by_images.values()
        other = "one process" if job["processes"] > 1 else "two or more processes"
        return hint or NotYet(f"{_rel(path)} ({_processes(job)}) logs loss/train against the "
                              f"images seen; now run the job with {other} too")
    return hint


def _same_job_batch(runs: list[Run]) -> str | None:
    jobs, hint = _ddp_jobs(runs), None
    for i, (path, job) in enumerate(jobs):
        per_step = job["processes"] * job["batch"]
        for other, theirs in jobs[:i] + jobs[i + 1:]:
            if (theirs["processes"] == job["processes"] or theirs["images"] != job["images"]
                    or theirs["processes"] * theirs["batch"] != per_step):
                continue
            if theirs["last"] == job["last"]:
                return (f"{_rel(path)} ({_processes(job)} x {job['batch']}) and {_rel(other)} "
                        f"({_processes(theirs)} x {theirs['batch']}): {per_step} images per step, "
                        f"loss/train up to step {job['last']:,} in both")
            hint = hint or NotYet(f"{_rel(path)} and {_rel(other)} take {per_step} images per step, but "
                                  f"loss/train ends at step {job['last']:,} in one and "
                                  f"{theirs['last']:,} in the other: log both against the same x-axis")
    if hint or not jobs:
        return hint
    path, job = jobs[-1]  # the newest run
    return NotYet(f"{_rel(path)} has {_processes(job)} x {job['batch']} = {job['processes'] * job['batch']} "
                  "images per step, and no run of another number of processes has as many")


def _healed_divergence(runs: list[Run]) -> str | None:
    healthy = f"run_{mystery_faults().index('healthy') + 1}"  # the chapter's healthy run
    references = [(path, acc) for path, acc in runs
                  if path.name == healthy and "loss/train" in acc.Tags()["scalars"]]

    def found(run, acc):
        if run.name != "fixed":
            return None
        if "loss/train" not in acc.Tags()["scalars"]:
            return NotYet("has no loss/train")
        last = acc.Scalars("loss/train")[-1].value
        if not last < 2.0:
            return NotYet(f"ends with loss/train at {last:.3g}, not below 2.0")
        for path, reference in references:  # the same loss/train at every shared step: trained twice
            theirs = {e.step: e.value for e in reference.Scalars("loss/train")}
            shared = [(e.value, theirs[e.step]) for e in acc.Scalars("loss/train") if e.step in theirs]
            if len(shared) >= 2 and all(abs(a - b) <= 1e-4 * abs(b) for a, b in shared):
                return NotYet(f"logs the same loss/train as {path.parent.name}/{path.name}: that "
                              "run's setting again, not the divergence setting with a smaller lr")
        return f"loss/train ends at {last:.2f}"
    return _in_one_run(found)(runs)


def _healthy_for_300(path: Path, acc) -> str | None:
    steps = acc.Scalars("loss/train")[-1].step if "loss/train" in acc.Tags()["scalars"] else 0
    if steps < 300:
        return None
    fault = diagnose(path)[0]
    if fault != "healthy":
        return NotYet(f"has {steps} steps, but shows {fault}: train the healthy setting")
    return f"{steps} steps, no fault shows"


EXERCISES: dict[str, list[tuple[str, Check]]] = {
    "00_setup": [("setup/cube with step³ at 10 steps, in a run of its own", _in_one_run(_cube)),
                 ("two event files in one folder", _in_one_run(_two_event_files))],
    "01_write_images": [("one grid of 16 images, 8 per row", _in_one_run(_sixteen_by_eight)),
                        ("one image tag at three steps, from three batches", _in_one_run(_three_batches))],
    "02_graph": [("a graph with a Dropout between fc1 and fc2", _in_one_run(_dropout_after_fc1)),
                 ("Net's graph traced with a 3x32x32 batch", _in_one_run(_cifar_shaped_net))],
    "03_projector": [("an embedding of 1,000 points, each with its label", _in_one_run(_thousand_labelled)),
                     ("metadata with the columns class and index", _in_one_run(_class_and_index))],
    "04_training": [
        ("a predictions vs. actuals figure of 8 images",
         _in_one_run(lambda _path, acc: _figure_of(acc, "predictions vs. actuals", 8))),
        ("loss/test at the steps of accuracy/test", _in_one_run(_test_loss_beside_accuracy))],
    "05_pr_curves": [
        ("a most confident mistakes figure of 16 mistakes",
         _in_one_run(lambda _path, acc: _figure_of(acc, "most confident mistakes", 16, mistakes_only=True))),
        ("ten PR curves at two steps in one run, from two different models",
         _in_one_run(_two_models_curves))],
    "06_comparing_runs": [
        ("the HParams settings lr=0.003, batch_size=32 next to other settings of its sweep", _fifth_setting),
        ("the HParams setting optimizer with two values in one sweep, in every run there",
         _optimizer_setting)],
    "07_distributed": [
        ("loss/train against the images seen, in a job of one process and one of more", _loss_by_images),
        ("two jobs with different numbers of processes but the same images per step, "
         "loss/train on one x-axis", _same_job_batch)],
    "08_debugging": [
        ("the diverging setting healed: a run named fixed whose loss/train ends below 2.0",
         _healed_divergence),
        ("the healthy setting trained for 300 steps", _in_one_run(_healthy_for_300))],
}
"""Each chapter's exercises, in order: what counts as done, and the check that finds it."""


def findings(chapter: str) -> list[tuple[str, str | None]]:
    """Each exercise and what its check found: the evidence, a `NotYet`, or None."""
    if chapter not in EXERCISES:
        raise ValueError(f"No exercises for {chapter!r}; chapters: {list(EXERCISES)}.")
    runs = [(run, load_run(run)) for run in find_runs(runs_root() / chapter)]  # none if no folder
    return [(what, check(runs)) for what, check in EXERCISES[chapter]]
