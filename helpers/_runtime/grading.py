"""The exercise checks: for each chapter's exercises, what counts as done and the check that
finds it in the learner's own runs (read back from their event files). Each check accepts
any right way of doing the exercise and refuses the plausible wrong ones
(tests/test_exercises.py holds both).

Example:
    >>> findings("00_setup")  # doctest: +SKIP
    [('setup/cube with step³ at 10 steps', None), ...]
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from helpers._runtime.runs import event_files, find_runs, load_run, plugin_tags, projector_config, runs_root


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


def _two_event_files(runs: list[Run]) -> str | None:
    return _first(runs, lambda path, _acc: f"{len(event_files(path))} event files in one folder"
                  if len(event_files(path)) > 1 else None)


def _input_shape(graph) -> list[int]:
    node = next((n for n in graph.node if n.op == "IO Node" and n.name.startswith("input")), None)
    return [d.size for d in node.attr["_output_shapes"].list.shape[0].dim] if node else []


def _lines(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.is_file() else []


def _grid_layout(image) -> tuple[int, int, int] | None:
    """(images, rows, columns) of a `make_grid` picture of 28x28 or 32x32 images, whatever
    its border (``padding``); empty cells at the end of the last row are not counted."""
    import io

    import numpy as np
    from PIL import Image

    pixels = np.asarray(Image.open(io.BytesIO(image.encoded_image_string)).convert("L"))
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
            return sum(int(cell.min() != cell.max()) for cell in cells), rows, cols
    return None


def _sixteen_by_eight(_path, acc) -> str | None:
    """Chapter 01, exercise 1: a grid of 16 images, 8 per row, counted in the picture."""
    hint = None
    for tag in _tags(acc, "images"):
        for event in acc.Images(tag):
            layout = _grid_layout(event)
            if layout is None:
                continue
            images, rows, cols = layout
            if (images, rows, cols) == (16, 2, 8):
                return f"{tag}: 16 images, 8 per row"
            hint = hint or NotYet(f"has {tag}: {images} image(s), {cols} per row")
    return hint


def _three_batches(_path, acc) -> str | None:
    """Chapter 01, exercise 2: one image tag at three steps, three different pictures."""
    hint = None
    for tag in _tags(acc, "images"):
        by_step = {event.step: event.encoded_image_string for event in acc.Images(tag)}
        if len(by_step) < 3:
            continue
        different = len(set(by_step.values()))
        if different >= 3:
            return f"{tag} at steps {sorted(by_step)}, {different} different pictures"
        hint = hint or NotYet(f"has {tag} at steps {sorted(by_step)}, but they show only "
                              f"{different} different picture(s): log a new batch at each step")
    return hint


def _graph_nodes(acc) -> dict | None:
    return {node.name: node for node in acc.Graph().node} if acc.Tags().get("graph") else None


def _dropout_after_fc1(_path, acc) -> str | None:
    """Chapter 02, exercise 1: a dropout on the way from fc1 to fc2 in the traced graph."""
    nodes = _graph_nodes(acc)
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
    """Chapter 02, exercise 2: Net's graph traced with a 3x32x32 batch (400 features into fc1)."""
    nodes = _graph_nodes(acc)
    if not nodes or _input_shape(acc.Graph())[1:] != [3, 32, 32]:
        return None
    fc1 = next((n for n in nodes.values() if "[fc1]" in n.name and n.op == "aten::linear"), None)
    source = nodes.get(fc1.input[0]) if fc1 is not None and fc1.input else None
    shapes = source.attr["_output_shapes"].list.shape if source is not None else []
    features = shapes[0].dim[-1].size if shapes and shapes[0].dim else None
    if features == 400:
        return "Net traced with a 3x32x32 batch: 400 features into fc1"
    return NotYet(f"has a 3x32x32 input, but {features or 'no'} features into an fc1, "
                  "not the 16·5·5 = 400 of Net(3, 32)")


def _embeddings(path: Path) -> list:
    config = projector_config(path)
    return list(config.embeddings) if config else []


def _thousand_labelled(path, _acc) -> str | None:
    """Chapter 03, exercise 1: an embedding of 1,000 points or more, a label for each."""
    hint = None
    for embedding in _embeddings(path):
        points = len(_lines(path / embedding.tensor_path))
        if points < 1000:
            continue
        labels = len(_lines(path / embedding.metadata_path)) if embedding.metadata_path else 0
        if labels >= points:
            return f"{points:,} points, each with its label"
        hint = hint or NotYet(f"has {points:,} points but no label for each: pass metadata=class_labels")
    return hint


def _class_and_index(path, _acc) -> str | None:
    """Chapter 03, exercise 2: metadata columns class (class names) and index (one number each)."""
    from helpers._runtime.datafiles import CIFAR10_CLASSES, CLASSES

    hint = None
    for embedding in _embeddings(path):
        rows = [line.split("\t") for line in _lines(path / embedding.metadata_path)] \
            if embedding.metadata_path else []
        if not rows or rows[0] != ["class", "index"]:
            continue
        body = rows[1:]
        if body and all(len(row) == 2 for row in body):
            classes = all(row[0] in CLASSES or row[0] in CIFAR10_CLASSES for row in body)
            numbers = [row[1] for row in body]
            if classes and all(n.isdigit() for n in numbers) and len(set(numbers)) == len(numbers):
                return "two metadata columns, class and index"
            hint = hint or NotYet("has the header class, index, but " + (
                "its class column does not hold class names" if not classes else
                "its index column does not give each point a number of its own"))
    return hint


def _text(acc, tag: str) -> str:
    if tag not in _tags(acc, "tensors"):
        return ""
    return acc.Tensors(tag)[-1].tensor_proto.string_val[0].decode()


def _run_named(name: str, rule: Callable[[object], bool], evidence: str) -> Check:
    return lambda runs: _first(runs, lambda path, acc: evidence
                               if path.name == name and rule(acc) else None)


def _cube(acc) -> str | None:
    if "setup/cube" not in _tags(acc, "scalars"):
        return None
    events = acc.Scalars("setup/cube")
    if "setup/square" in _tags(acc, "scalars"):
        return NotYet("has setup/cube, but in the chapter's own run, next to setup/square")
    if len({e.step for e in events}) < 10 or any(abs(e.value - e.step ** 3) > 1e-3 for e in events):
        return NotYet(f"has setup/cube at steps {sorted({e.step for e in events})}, not step³ at 0..9")
    return "setup/cube = step³"


def _same_losses(acc, other) -> bool:
    """Both runs logged the same loss/train at every step they share: one setting, trained twice."""
    theirs = {e.step: e.value for e in other.Scalars("loss/train")}
    shared = [(e.value, theirs[e.step]) for e in acc.Scalars("loss/train") if e.step in theirs]
    return len(shared) >= 2 and all(abs(a - b) <= 1e-4 * abs(b) for a, b in shared)


def _healed_divergence(runs: list[Run]) -> str | None:
    """Chapter 08, exercise 1: ``fixed`` learns, and is not the healthy mystery run's setting."""
    from helpers._runtime.diagnosis import mystery_faults

    healthy = f"run_{mystery_faults().index('healthy') + 1}"  # the chapter's healthy run
    references = [(path, acc) for path, acc in runs
                  if path.name == healthy and "loss/train" in _tags(acc, "scalars")]

    def found(run, acc):
        if run.name != "fixed":
            return None
        if "loss/train" not in _tags(acc, "scalars"):
            return NotYet("has no loss/train")
        last = acc.Scalars("loss/train")[-1].value
        if not last < 2.0:
            return NotYet(f"ends with loss/train at {last:.3g}, not below 2.0")
        for path, reference in references:
            if _same_losses(acc, reference):
                return NotYet(f"logs the same loss/train as {path.parent.name}/{path.name}: that "
                              "run's setting again, not the divergence setting with a smaller lr")
        return f"loss/train ends at {last:.2f}"
    return _first(runs, found)


def _healthy_for_300(path: Path, acc) -> str | None:
    """Chapter 08, exercise 2: 300 steps or more, and no fault shows."""
    if "loss/train" not in _tags(acc, "scalars"):
        return None
    steps = acc.Scalars("loss/train")[-1].step
    if steps < 300:
        return None
    from helpers._runtime.diagnosis import diagnose

    fault = diagnose(path)[0]
    if fault != "healthy":
        return NotYet(f"has {steps} steps, but shows {fault}: train the healthy setting")
    return f"{steps} steps, no fault shows"


def _figure_cells(event) -> list[str] | None:
    """A `plot_classes_preds` figure read back, cell by cell (175 x 210 pixels each, in any
    layout): "right" for a green title, "wrong" for a red one, empty cells left out. None
    if the picture does not have that figure's cell size."""
    import io

    import numpy as np
    from PIL import Image

    if event.width % 175 or event.height % 210:
        return None
    rgb = np.asarray(Image.open(io.BytesIO(event.encoded_image_string)).convert("RGB")).astype(int)
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    red, green = (r > 180) & (g < 90) & (b < 90), (g > 90) & (r < 70) & (b < 70)
    cells = []
    for top in range(0, event.height, 210):
        for left in range(0, event.width, 175):
            box = (slice(top, top + 210), slice(left, left + 175))
            if green[box].sum() >= 20:
                cells.append("right")
            elif red[box].sum() >= 20:
                cells.append("wrong")
    return cells


def _figure_of(tag: str, count: int, mistakes_only: bool = False) -> Callable[[Path, object], str | None]:
    """Chapters 04 and 05: a figure under ``tag`` with ``count`` images or more (counted,
    whatever the layout), each a mistake if ``mistakes_only``."""
    def found(_path, acc):
        figures = [(other, event.step, cells) for other in _tags(acc, "images")
                   for event in acc.Images(other) if (cells := _figure_cells(event)) is not None]
        mine = [cells for other, _step, cells in figures if other == tag]
        for other, step, cells in figures:
            if other == tag and len(cells) >= count and not (mistakes_only and "right" in cells):
                return f"a figure of {len(cells)} images ({tag}, step {step})"
        big = [cells for cells in mine if len(cells) >= count]
        if big:
            return NotYet(f"has a {tag} figure of {len(big[0])} images, {big[0].count('right')} of "
                          "them right (green titles): not only mistakes")
        elsewhere = [(other, cells) for other, _step, cells in figures
                     if other != tag and len(cells) >= count]
        if elsewhere:
            return NotYet(f"has a figure of {len(elsewhere[0][1])} images under the tag "
                          f"{elsewhere[0][0]!r}, not {tag!r}")
        if mine:
            return NotYet(f"has {tag} figures of at most {max(len(c) for c in mine)} images")
        return None
    return found


def _test_loss_beside_accuracy(_path, acc) -> str | None:
    """Chapter 04, exercise 2: loss/test logged at the steps of accuracy/test, in one run."""
    import math

    scalars = _tags(acc, "scalars")
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
    """Chapter 05, exercise 2: every PR curve of a run at two steps, and not the same curves twice."""
    import numpy as np
    from tensorboard.util import tensor_util

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
    """A run's HParams settings ({} if none) and the setting names of its experiment, the
    HParams tab's columns (None if the run has no experiment summary)."""
    from tensorboard.plugins.hparams import plugin_data_pb2

    settings, columns = {}, None
    for content in plugin_tags(acc, "hparams").values():
        data = plugin_data_pb2.HParamsPluginData.FromString(content)
        if data.HasField("session_start_info"):
            settings = {k: getattr(v, v.WhichOneof("kind"))
                        for k, v in data.session_start_info.hparams.items() if v.WhichOneof("kind")}
        elif data.HasField("experiment"):
            columns = {info.name for info in data.experiment.hparam_infos}
    return settings, columns


def _rel(path: Path) -> str:
    return path.relative_to(runs_root()).as_posix()


def _fifth_setting(runs: list[Run]) -> str | None:
    """Chapter 06, exercise 1: lr=0.003, batch_size=32 as HParams settings (any run name),
    in a sweep folder beside other settings to rank it against."""
    settings = {path: _hparams(acc)[0] for path, acc in runs}
    hint = None  # what the newest sweep shows
    for path, hp in sorted(settings.items(), reverse=True):
        if not (isinstance(hp.get("lr"), float) and abs(hp["lr"] - 0.003) < 1e-9
                and hp.get("batch_size") == 32):
            if path.name == "lr0.003_bs32":
                shown = ", ".join(f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}"
                                  for k, v in sorted(hp.items())) or "no HParams settings"
                hint = hint or NotYet(f"{_rel(path)} is named lr0.003_bs32 but has {shown}")
            continue
        others = [p for p, h in settings.items() if p != path and p.parent == path.parent and h]
        if others:
            return f"{_rel(path)}: lr=0.003, batch_size=32, next to {len(others)} other setting(s)"
        hint = hint or NotYet(f"{_rel(path)} has lr=0.003, batch_size=32, but no other setting "
                              f"in {_rel(path.parent)}/ to rank it against")
    return hint


def _optimizer_setting(runs: list[Run]) -> str | None:
    """Chapter 06, exercise 2: a sweep folder whose runs with HParams all have the setting
    optimizer (else the HParams tab, which takes its columns from one run, may hide it),
    with at least two values."""
    sweeps: dict[Path, list[tuple[Path, dict, set[str] | None]]] = {}
    for path, acc in runs:
        settings, columns = _hparams(acc)
        if settings:
            sweeps.setdefault(path.parent, []).append((path, settings, columns))
    hint = None  # what the newest sweep shows
    for sweep, members in sorted(sweeps.items(), reverse=True):
        values = {str(s["optimizer"]).lower() for _, s, _ in members if "optimizer" in s}
        if not values:
            continue
        without = [p.name for p, s, c in members if "optimizer" not in s or "optimizer" not in (c or s)]
        if without:
            hint = hint or NotYet(f"{_rel(sweep)}/ has runs without the setting optimizer "
                                  f"({', '.join(without)}): the HParams tab may show no optimizer column")
        elif len(values) < 2:
            hint = hint or NotYet(f"{_rel(sweep)}/ has only optimizer={values.pop()}")
        else:
            return f"{_rel(sweep)}: optimizer = {', '.join(sorted(values))} in all {len(members)} runs"
    if hint:
        return hint
    named = next((p for p, _ in runs if "sgd" in p.name.lower()), None)
    return NotYet(f"{_rel(named)} is named after SGD but has no HParams setting optimizer") if named else None


def _ddp_job(acc) -> dict | None:
    """Chapter 07: a run's job, read from the setup line its script logs (None if it has none):
    processes, images seen in all (training images x epochs), batch per process, and the last
    step of loss/train."""
    import re

    text = _text(acc, "setup/text_summary")
    found = [re.search(pattern, text) for pattern in (
        r"(\d+) process", r"([\d,]+) training images", r"(\d+) epoch", r"batches of (\d+)")]
    if not all(found) or "loss/train" not in _tags(acc, "scalars"):
        return None
    processes, images, epochs, batch = (int(m[1].replace(",", "")) for m in found)
    steps = [e.step for e in acc.Scalars("progress/images_seen")] if "progress/images_seen" in \
        _tags(acc, "scalars") else []
    return {"processes": processes, "images": images * epochs, "batch": batch,
            "last": max(e.step for e in acc.Scalars("loss/train")),
            "steps": max(steps) if steps else None}


def _processes(job: dict) -> str:
    return f"{job['processes']} process{'es' if job['processes'] > 1 else ''}"


def _loss_by_images(runs: list[Run]) -> str | None:
    """Chapter 07, exercise 1: loss/train logged against the images seen by the whole job
    (its last step is the job's total, within 2 %), in a one-process run and in a run of
    two or more processes (where counting one process's images falls short)."""
    jobs = [(path, job) for path, acc in runs if (job := _ddp_job(acc))]
    by_images = {}
    hint = None
    for path, job in jobs:
        if abs(job["last"] - job["images"]) <= 0.02 * job["images"]:
            by_images.setdefault(job["processes"] == 1, (path, job))
        elif job["last"] != job["steps"]:  # tried another x-axis than the step
            hint = NotYet(f"{_rel(path)} ({_processes(job)}) has loss/train up to step "
                          f"{job['last']:,}, but its job saw {job['images']:,} images: count "
                          "the images of every process (seen), not of one")
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
    """Chapter 07, exercise 2: two runs of the same training images and epochs with different
    numbers of processes but the same images per step (processes x batch), whose loss/train
    ends at the same step (one x-axis)."""
    jobs = [(path, job) for path, acc in runs if (job := _ddp_job(acc))]
    hint = None
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
    return NotYet(f"{_rel(path)} has {_processes(job)} x {job['batch']} = "
                  f"{job['processes'] * job['batch']} images per step, and no run of another "
                  "number of processes has as many")


EXERCISES: dict[str, list[tuple[str, Check]]] = {
    "00_setup": [
        ("setup/cube with step³ at 10 steps, in a run of its own", lambda runs: _first(
            runs, lambda _p, acc: _cube(acc))),
        ("two event files in one folder", _two_event_files),
    ],
    "01_write_images": [
        ("one grid of 16 images, 8 per row", lambda runs: _first(runs, _sixteen_by_eight)),
        ("one image tag at three steps, from three batches",
         lambda runs: _first(runs, _three_batches)),
    ],
    "02_graph": [
        ("a graph with a Dropout between fc1 and fc2", lambda runs: _first(runs, _dropout_after_fc1)),
        ("Net's graph traced with a 3x32x32 batch", lambda runs: _first(runs, _cifar_shaped_net)),
    ],
    "03_projector": [
        ("an embedding of 1,000 points, each with its label",
         lambda runs: _first(runs, _thousand_labelled)),
        ("metadata with the columns class and index", lambda runs: _first(runs, _class_and_index)),
    ],
    "04_training": [
        ("a predictions vs. actuals figure of 8 images",
         lambda runs: _first(runs, _figure_of("predictions vs. actuals", 8))),
        ("loss/test at the steps of accuracy/test",
         lambda runs: _first(runs, _test_loss_beside_accuracy)),
    ],
    "05_pr_curves": [
        ("a most confident mistakes figure of 16 mistakes",
         lambda runs: _first(runs, _figure_of("most confident mistakes", 16, mistakes_only=True))),
        ("ten PR curves at two steps in one run, from two different models",
         lambda runs: _first(runs, _two_models_curves)),
    ],
    "06_comparing_runs": [
        ("the HParams settings lr=0.003, batch_size=32 next to other settings of its sweep",
         _fifth_setting),
        ("the HParams setting optimizer with two values in one sweep, in every run there",
         _optimizer_setting),
    ],
    "07_distributed": [
        ("loss/train against the images seen, in a job of one process and one of more",
         _loss_by_images),
        ("two jobs with different numbers of processes but the same images per step, "
         "loss/train on one x-axis", _same_job_batch),
    ],
    "08_debugging": [
        ("the diverging setting healed: a run named fixed whose loss/train ends below 2.0",
         _healed_divergence),
        ("the healthy setting trained for 300 steps", lambda runs: _first(runs, _healthy_for_300)),
    ],
}
"""Each chapter's exercises, in order: what counts as done, and the check that finds it."""


def findings(chapter: str) -> list[tuple[str, str | None]]:
    """Each exercise and what its check found: the evidence, a `NotYet`, or None."""
    if chapter not in EXERCISES:
        raise ValueError(f"No exercises for {chapter!r}; chapters: {list(EXERCISES)}.")
    folder = runs_root() / chapter
    runs = [(run, _Events(run)) for run in find_runs(folder)] if folder.is_dir() else []
    return [(what, check(runs)) for what, check in EXERCISES[chapter]]


