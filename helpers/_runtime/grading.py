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
from helpers._runtime.language import N_, _
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
                hint = hint or NotYet(_("{run} {finding}").format(run=_rel(path), finding=evidence))
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
        return NotYet(_("has setup/cube, but in the chapter's own run, next to setup/square"))
    events = acc.Scalars("setup/cube")
    if len({e.step for e in events}) < 10 or any(abs(e.value - e.step ** 3) > 1e-3 for e in events):
        return NotYet(_("has setup/cube at steps {steps}, not step³ at 0..9").format(
            steps=sorted({e.step for e in events})))
    return _("setup/cube = step³")


def _two_event_files(path, _acc) -> str | None:
    files = len(event_files(path))
    return _("{files} event files in one folder").format(files=files) if files > 1 else None


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
                return _("{tag}: 16 images, 8 per row").format(tag=tag)
            if layout is not None:
                hint = hint or NotYet(_("has {tag}: {images} image(s), {columns} per row").format(
                    tag=tag, images=layout[0], columns=layout[2]))
    return hint


def _three_batches(_path, acc) -> str | None:
    hint = None
    for tag in acc.Tags()["images"]:
        by_step = {event.step: event.encoded_image_string for event in acc.Images(tag)}
        different = len(set(by_step.values()))
        if len(by_step) >= 3 and different >= 3:
            return _("{tag} at steps {steps}, {different} different pictures").format(
                tag=tag, steps=sorted(by_step), different=different)
        if len(by_step) >= 3:
            hint = hint or NotYet(_("has {tag} at steps {steps}, but they show only {different} different "
                                    "picture(s): log a new batch at each step").format(
                tag=tag, steps=sorted(by_step), different=different))
    return hint


def _dropout_after_fc1(_path, acc) -> str | None:
    nodes = {node.name: node for node in acc.Graph().node} if acc.Tags()["graph"] else {}
    if not nodes or not any(n.op.startswith("aten::dropout") for n in nodes.values()):
        return None
    fc2 = next((n for n in nodes.values() if "[fc2]" in n.name and n.op == "aten::linear"), None)
    name, passed = (fc2.input[0] if fc2 is not None and fc2.input else ""), False
    for _hop in range(20):  # back from fc2's input, through ReLU and dropout, to fc1
        node = nodes.get(name)
        if node is None or "[fc1]" in name:
            break
        passed = passed or node.op.startswith("aten::dropout")
        name = node.input[0] if node.input else ""
    if passed and "[fc1]" in name:
        return _("a Dropout between fc1 and fc2")
    return NotYet(_("has a Dropout node, but not between fc1 and fc2"))


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
        return _("Net traced with a 3x32x32 batch: 400 features into fc1")
    return NotYet(_("has a 3x32x32 input, but {features} features into an fc1, not the 16·5·5 = 400 "
                    "of Net(3, 32)").format(features=features or _("no")))


def _thousand_labelled(path, _acc) -> str | None:
    hint = None
    config = projector_config(path)
    for embedding in config.embeddings if config else []:
        points = len(_lines(path / embedding.tensor_path))
        if points < 1000:
            continue
        if len(_lines(path / embedding.metadata_path)) >= points:  # no metadata_path: the run's folder
            return _("{points:,} points, each with its label").format(points=points)
        hint = hint or NotYet(_("has {points:,} points but no label for each: pass "
                                "metadata=class_labels").format(points=points))
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
            return _("two metadata columns, class and index")
        hint = hint or NotYet(
            _("has the header class, index, but its class column does not hold class names")
            if not classes else _("has the header class, index, but its index column does not "
                                  "give each point a number of its own"))
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
            return _("a figure of {images} images ({tag}, step {step})").format(
                images=len(cells), tag=tag, step=step)
    if big:
        return NotYet(_("has a {tag} figure of {images} images, {right} of them right (green titles): "
                        "not only mistakes").format(
            tag=tag, images=len(big[0][1]), right=big[0][1].count("right")))
    elsewhere = [(other, cells) for other, _step, cells in figures if other != tag and len(cells) >= count]
    if elsewhere:
        return NotYet(_("has a figure of {images} images under the tag {other!r}, not {tag!r}").format(
            images=len(elsewhere[0][1]), other=elsewhere[0][0], tag=tag))
    if mine:
        return NotYet(_("has {tag} figures of at most {images} images").format(
            tag=tag, images=max(len(c) for _step, c in mine)))
    return None


def _test_loss_beside_accuracy(_path, acc) -> str | None:
    scalars = acc.Tags()["scalars"]
    if "loss/test" not in scalars:
        loose = [t for t in scalars if "loss" in t.lower() and "test" in t.lower()]
        return NotYet(_("has {tag!r}, not the grouped tag loss/test").format(tag=loose[0])) \
            if loose else None
    loss_steps = sorted({e.step for e in acc.Scalars("loss/test")})
    if "accuracy/test" not in scalars:
        return NotYet(_("has loss/test at steps {steps} but no accuracy/test beside it").format(
            steps=loss_steps))
    accuracy_steps = sorted({e.step for e in acc.Scalars("accuracy/test")})
    if loss_steps != accuracy_steps:
        return NotYet(_("has loss/test at steps {steps} but accuracy/test at steps {other}: log both with "
                        "the same step").format(steps=loss_steps, other=accuracy_steps))
    if not all(math.isfinite(e.value) and e.value > 0 for e in acc.Scalars("loss/test")):
        return NotYet(_("has a loss/test that is not a positive number"))
    return _("loss/test beside accuracy/test at steps {steps}").format(steps=accuracy_steps)


def _two_models_curves(_path, acc) -> str | None:
    curves = {tag: {e.step: tensor_util.make_ndarray(e.tensor_proto) for e in acc.Tensors(tag)}
              for tag in plugin_tags(acc, "pr_curves")}
    twice = [tag for tag, by_step in curves.items() if len(by_step) >= 2]
    if not twice:
        return None  # one step per curve: a run like the chapter's own
    steps = sorted(curves[twice[0]])[:2]
    if len(twice) < max(10, len(curves)):
        return NotYet(_("has {twice} of its {curves} PR curves at two steps: log all ten classes at "
                        "both").format(twice=len(twice), curves=len(curves)))
    if all(np.array_equal(*(curves[tag][s] for s in sorted(curves[tag])[:2])) for tag in twice):
        return NotYet(_("has the same curves at steps {steps}: the same model twice, not a weaker "
                        "one").format(steps=steps))
    return _("{curves} PR curves at steps {steps}, from two different models").format(
        curves=len(twice), steps=steps)


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
                return _("{run}: lr=0.003, batch_size=32, next to {others} other setting(s)").format(
                    run=_rel(path), others=len(others))
            hint = hint or NotYet(_("{run} has lr=0.003, batch_size=32, but no other setting in "
                                    "{sweep}/ to rank it against").format(
                run=_rel(path), sweep=_rel(path.parent)))
        elif path.name == "lr0.003_bs32":
            shown = ", ".join(f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}"
                              for k, v in sorted(hp.items())) or _("no HParams settings")
            hint = hint or NotYet(_("{run} is named lr0.003_bs32 but has {shown}").format(
                run=_rel(path), shown=shown))
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
            hint = hint or NotYet(_("{sweep}/ has runs without the setting optimizer ({runs}): the HParams "
                                    "tab may show no optimizer column").format(
                sweep=_rel(sweep), runs=", ".join(without)))
        elif len(values) == 1:
            hint = hint or NotYet(_("{sweep}/ has only optimizer={value}").format(sweep=_rel(sweep),
                                                                             value=values.pop()))
        elif values:
            return _("{sweep}: optimizer = {values} in all {runs} runs").format(
                sweep=_rel(sweep), values=", ".join(sorted(values)), runs=len(members))
    named = next((p for p, _ in runs if "sgd" in p.name.lower()), None)
    if hint or not named:
        return hint
    return NotYet(_("{run} is named after SGD but has no HParams setting optimizer").format(run=_rel(named)))


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
    return (_("{count} processes") if job["processes"] > 1 else _("{count} process")).format(
        count=job["processes"])


def _loss_by_images(runs: list[Run]) -> str | None:
    by_images, hint = {}, None
    for path, job in _ddp_jobs(runs):
        if abs(job["last"] - job["images"]) <= 0.02 * job["images"]:
            by_images.setdefault(job["processes"] == 1, (path, job))
        elif job["last"] != job["steps"]:  # tried another x-axis than the step
            hint = NotYet(_("{run} ({processes}) has loss/train up to step {last:,}, but its job saw "
                            "{images:,} images: count the images of every process (seen), not of one").format(
                run=_rel(path), processes=_processes(job), last=job["last"], images=job["images"]))
    if len(by_images) == 2:
        (one, _job), (many, job) = by_images[True], by_images[False]
        return _("{one} (1 process) and {many} ({processes}) log loss/train against the images "
                 "seen").format(one=_rel(one), many=_rel(many), processes=_processes(job))
    if by_images:
        (path, job), = by_images.values()
        other = _("one process") if job["processes"] > 1 else _("two or more processes")
        return hint or NotYet(_("{run} ({processes}) logs loss/train against the images seen; now run "
                                "the job with {other} too").format(
            run=_rel(path), processes=_processes(job), other=other))
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
                return _("{run} ({processes} x {batch}) and {other} ({their_processes} x {their_batch}): "
                         "{per_step} images per step, loss/train up to step {last:,} in both").format(
                    run=_rel(path), processes=_processes(job), batch=job["batch"], other=_rel(other),
                    their_processes=_processes(theirs), their_batch=theirs["batch"], per_step=per_step,
                    last=job["last"])
            hint = hint or NotYet(_("{run} and {other} take {per_step} images per step, but loss/train "
                                    "ends at step {last:,} in one and {their_last:,} in the other: log "
                                    "both against the same x-axis").format(
                run=_rel(path), other=_rel(other), per_step=per_step, last=job["last"],
                their_last=theirs["last"]))
    if hint or not jobs:
        return hint
    path, job = jobs[-1]  # the newest run
    return NotYet(_("{run} has {processes} x {batch} = {per_step} images per step, and no run of another "
                    "number of processes has as many").format(
        run=_rel(path), processes=_processes(job), batch=job["batch"],
        per_step=job["processes"] * job["batch"]))


def _healed_divergence(runs: list[Run]) -> str | None:
    healthy = f"run_{mystery_faults().index('healthy') + 1}"  # the chapter's healthy run
    references = [(path, acc) for path, acc in runs
                  if path.name == healthy and "loss/train" in acc.Tags()["scalars"]]

    def found(run, acc):
        if run.name != "fixed":
            return None
        if "loss/train" not in acc.Tags()["scalars"]:
            return NotYet(_("has no loss/train"))
        last = acc.Scalars("loss/train")[-1].value
        if not last < 2.0:
            return NotYet(_("ends with loss/train at {last:.3g}, not below 2.0").format(last=last))
        for path, reference in references:  # the same loss/train at every shared step: trained twice
            theirs = {e.step: e.value for e in reference.Scalars("loss/train")}
            shared = [(e.value, theirs[e.step]) for e in acc.Scalars("loss/train") if e.step in theirs]
            if len(shared) >= 2 and all(abs(a - b) <= 1e-4 * abs(b) for a, b in shared):
                return NotYet(_("logs the same loss/train as {run}: that run's setting again, not the "
                                "divergence setting with a smaller lr").format(
                    run=f"{path.parent.name}/{path.name}"))
        return _("loss/train ends at {last:.2f}").format(last=last)
    return _in_one_run(found)(runs)


def _healthy_for_300(path: Path, acc) -> str | None:
    steps = acc.Scalars("loss/train")[-1].step if "loss/train" in acc.Tags()["scalars"] else 0
    if steps < 300:
        return None
    fault = diagnose(path)[0]
    if fault != "healthy":
        return NotYet(_("has {steps} steps, but shows {fault}: train the healthy setting").format(
            steps=steps, fault=fault))
    return _("{steps} steps, no fault shows").format(steps=steps)


EXERCISES: dict[str, list[tuple[str, Check]]] = {
    "00_setup": [(N_("setup/cube with step³ at 10 steps, in a run of its own"), _in_one_run(_cube)),
                 (N_("two event files in one folder"), _in_one_run(_two_event_files))],
    "01_write_images": [(N_("one grid of 16 images, 8 per row"), _in_one_run(_sixteen_by_eight)),
                        (N_("one image tag at three steps, from three batches"),
                         _in_one_run(_three_batches))],
    "02_graph": [(N_("a graph with a Dropout between fc1 and fc2"), _in_one_run(_dropout_after_fc1)),
                 (N_("Net's graph traced with a 3x32x32 batch"), _in_one_run(_cifar_shaped_net))],
    "03_projector": [(N_("an embedding of 1,000 points, each with its label"),
                      _in_one_run(_thousand_labelled)),
                     (N_("metadata with the columns class and index"), _in_one_run(_class_and_index))],
    "04_training": [
        (N_("a predictions vs. actuals figure of 8 images"),
         _in_one_run(lambda _path, acc: _figure_of(acc, "predictions vs. actuals", 8))),
        (N_("loss/test at the steps of accuracy/test"), _in_one_run(_test_loss_beside_accuracy))],
    "05_pr_curves": [
        (N_("a most confident mistakes figure of 16 mistakes"),
         _in_one_run(lambda _path, acc: _figure_of(acc, "most confident mistakes", 16, mistakes_only=True))),
        (N_("ten PR curves at two steps in one run, from two different models"),
         _in_one_run(_two_models_curves))],
    "06_comparing_runs": [
        (N_("the HParams settings lr=0.003, batch_size=32 next to other settings of its sweep"),
         _fifth_setting),
        (N_("the HParams setting optimizer with two values in one sweep, in every run there"),
         _optimizer_setting)],
    "07_distributed": [
        (N_("loss/train against the images seen, in a job of one process and one of more"),
         _loss_by_images),
        (N_("two jobs with different numbers of processes but the same images per step, "
            "loss/train on one x-axis"), _same_job_batch)],
    "08_debugging": [
        (N_("the diverging setting healed: a run named fixed whose loss/train ends below 2.0"),
         _healed_divergence),
        (N_("the healthy setting trained for 300 steps"), _in_one_run(_healthy_for_300))],
}
"""Each chapter's exercises, in order: what counts as done, and the check that finds it."""


def findings(chapter: str) -> list[tuple[str, str | None]]:
    """Each exercise and what its check found: the evidence, a `NotYet`, or None."""
    if chapter not in EXERCISES:
        raise ValueError(f"No exercises for {chapter!r}; chapters: {list(EXERCISES)}.")
    runs = [(run, load_run(run)) for run in find_runs(runs_root() / chapter)]  # none if no folder
    return [(what, check(runs)) for what, check in EXERCISES[chapter]]
