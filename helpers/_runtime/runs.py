"""Reading runs back the way TensorBoard shows them, with TensorBoard's own reader: which
folders are runs, their event files, every event kept, and a table of what each dashboard
will show.

>>> find_runs("no/such/folder")
[]
"""

from __future__ import annotations

from pathlib import Path

from helpers._runtime.checksums import use_fast_checksums
from helpers.paths import course_dir

use_fast_checksums()  # TensorBoard's pure-Python checksums were most of the time to read a run


# Keep every event, not TensorBoard's default sample (e.g. only 10 images per tag).
KEEP_ALL = {"compressedHistograms": 0, "images": 0, "audio": 0, "scalars": 0,
             "histograms": 0, "tensors": 0}


def runs_root() -> Path:
    """``runs/`` at the course's root: where every chapter writes its runs.

    >>> runs_root().name
    'runs'"""
    return course_dir() / "runs"


def event_files(run_dir: str | Path) -> list[Path]:
    """The event files directly inside one run directory, oldest first."""
    if not Path(run_dir).is_dir():
        raise FileNotFoundError(f"No run folder {run_dir}: pass the folder a writer wrote to "
                                "(writer.log_dir).")
    return sorted(Path(run_dir).glob("events.out.tfevents.*"))


def damaged_event_files(run_dir: str | Path) -> list[tuple[Path, int]]:
    """The event files of one run that are cut short or corrupted, each with how many of
    its records can be read: TensorBoard silently stops reading a file at the first bad
    record, so every point after it is missing."""
    from tensorboard.compat.tensorflow_stub import errors
    from tensorboard.compat.tensorflow_stub.pywrap_tensorflow import PyRecordReader_New

    damaged = []
    for path in event_files(run_dir):
        reader, readable = PyRecordReader_New(str(path), 0, None, None), 0
        try:
            while True:
                reader.GetNext()
                readable += 1
        except errors.OutOfRangeError:
            continue  # read to the end: whole
        except errors.DataLossError:
            damaged.append((path, readable))
    return damaged


def find_runs(logdir: str | Path) -> list[Path]:
    """Every directory under ``logdir`` (itself included) that TensorBoard lists as a run."""
    logdir = Path(logdir)
    runs = {path.parent for path in logdir.rglob("events.out.tfevents.*")}
    runs |= {path.parent for path in logdir.rglob("projector_config.pbtxt")}
    return sorted(runs)


def load_run(run_dir: str | Path):
    """TensorBoard's own `EventAccumulator` for one run, with every event kept."""
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    acc = EventAccumulator(str(run_folder(run_dir)), size_guidance=KEEP_ALL)
    acc.Reload()
    return acc


def run_folder(logdir) -> Path:
    """``logdir`` as a folder that holds runs, with a clear error if it is not one. A
    `SummaryWriter` stands for its folder (``writer.log_dir``).

    >>> run_folder("no/such/run")
    Traceback (most recent call last):
    FileNotFoundError: No folder no/such/run: pass the run directory a writer wrote to (writer.log_dir)."""
    logdir = getattr(logdir, "log_dir", logdir)  # a SummaryWriter stands for its folder
    if not isinstance(logdir, str | Path):
        raise TypeError(f"Pass a run folder (a path, or writer.log_dir), not {type(logdir).__name__}.")
    logdir = Path(logdir)
    if logdir.is_file():
        raise NotADirectoryError(f"{logdir} is a file: pass the folder that holds it "
                                 f"({logdir.parent}).")
    if not logdir.is_dir():
        raise FileNotFoundError(f"No folder {logdir}: pass the run directory a writer wrote to "
                                "(writer.log_dir).")
    return logdir


def warn_about(run: Path, logdir: Path) -> None:
    """Warn, naming the run, when its points are incomplete or mixed from two writers."""
    import warnings

    name = run_name(run, logdir)
    for path, readable in damaged_event_files(run):
        warnings.warn(f"run {name}: {path.name} is damaged; only its first {readable} records "
                      "can be read, later points are missing.", stacklevel=3)
    if len(event_files(run)) > 1:
        warnings.warn(f"run {name} has {len(event_files(run))} event files: two writers (or two "
                      "runs) wrote into one folder, so their points are mixed.", stacklevel=3)


def run_name(run: Path, logdir: Path) -> str:
    return run.relative_to(logdir).as_posix() if run != logdir else "."


def _steps(steps: list[int]) -> str:
    count = f"{len(steps)} point{'s' if len(steps) != 1 else ''}"
    if not steps:
        return count
    if len(steps) == 1:
        return f"{count}, step {steps[0]}"
    return f"{count}, steps {min(steps)}..{max(steps)}"


def projector_config(run: str | Path):
    """The run's projector config (what `add_embedding` wrote), or None if it has none or
    it cannot be read."""
    from google.protobuf import text_format
    from tensorboard.plugins.projector.projector_config_pb2 import ProjectorConfig

    config_path = Path(run) / "projector_config.pbtxt"
    if not config_path.exists():
        return None
    try:
        return text_format.Parse(config_path.read_text(), ProjectorConfig())
    except text_format.ParseError:
        return None


def _projector_rows(run: Path, rel: str) -> list[tuple[str, str, str, str]]:
    config = projector_config(run)
    if config is None and (run / "projector_config.pbtxt").exists():
        return [("Projector", rel, "", "DAMAGED projector_config.pbtxt: the Projector shows "
                 "nothing; run the cell that calls add_embedding again, into a new run")]
    if config is None:
        return []
    rows = []
    for emb in config.embeddings:
        tensor_file = run / emb.tensor_path
        lines = tensor_file.read_text().splitlines() if tensor_file.exists() else []
        dims = len(lines[0].split("\t")) if lines else 0
        what = f"{len(lines)} points x {dims} dims"
        if emb.metadata_path:
            meta = (run / emb.metadata_path).read_text().splitlines()
            what += f", labels for {len(meta)} rows" if len(meta) == len(lines) else \
                f", metadata {len(meta)} lines (header + {len(meta) - 1} rows)"
        if emb.sprite.image_path:
            sprite = run / emb.sprite.image_path
            dim = list(emb.sprite.single_image_dim)
            status = "" if sprite.exists() else " (file missing!)"
            what += f", sprite of {dim[0]}x{dim[1]} thumbnails{status}"
        rows.append(("Projector", rel, emb.tensor_name, what))
    return rows


def _hparams_rows(acc, rel: str) -> list[tuple[str, str, str, str]]:
    from tensorboard.plugins.hparams import plugin_data_pb2

    rows = []
    for _, content in sorted(plugin_tags(acc, "hparams").items()):
        data = plugin_data_pb2.HParamsPluginData.FromString(content)
        if data.HasField("session_start_info"):
            hps = data.session_start_info.hparams
            values = ", ".join(f"{k}={_hp_value(hps[k])}" for k in sorted(hps))
            rows.append(("HParams", rel, "session", values))
        elif data.HasField("experiment"):
            metrics = ", ".join(sorted(m.name.tag for m in data.experiment.metric_infos))
            rows.append(("HParams", rel, "experiment", f"metrics: {metrics}"))
    return rows


def plugin_tags(acc, plugin: str) -> dict[str, bytes]:
    """The tags one TensorBoard plugin (``"hparams"``, ``"pr_curves"``, ``"text"``) has in a
    run loaded with `load_run`, with their plugin data; empty if it has none."""
    try:
        return acc.PluginTagToContent(plugin)
    except KeyError:  # nothing of this plugin in the run
        return {}


def _hp_value(value) -> str:
    kind = value.WhichOneof("kind")
    v = getattr(value, kind)
    return f"{v:g}" if kind == "number_value" else str(v)


def summary_rows(logdir: str | Path) -> list[tuple[str, str, str, str]]:
    """Rows of (dashboard, run, tag, what TensorBoard shows) for every run under ``logdir``."""
    logdir = run_folder(logdir)
    runs = written_runs(logdir)
    rows: list[tuple[str, str, str, str]] = []
    for run in runs:
        rel = run_name(run, logdir)
        acc = load_run(run)
        tags = acc.Tags()
        n_files = len(event_files(run))
        rows.append(("(run)", rel, "", f"{n_files} event file{'s' if n_files != 1 else ''}"))
        for path, readable in damaged_event_files(run):
            rows.append(("(run)", rel, "", f"DAMAGED {path.name}: only its first {readable} "
                         "records can be read, later points are missing; run the chapter again"))
        for tag in sorted(tags["scalars"]):
            rows.append(("Scalars", rel, tag, _steps([e.step for e in acc.Scalars(tag)])))
        for tag in sorted(tags["images"]):
            events = acc.Images(tag)
            last = events[-1]
            count = f"{len(events)} image{'s' if len(events) != 1 else ''}"
            rows.append(("Images", rel, tag, f"{count}, {last.width}x{last.height} px, "
                         + _steps([e.step for e in events]).split(", ", 1)[-1]))
        if tags["graph"]:
            graph = acc.Graph()
            scopes = sorted({n.name.split("/")[0] for n in graph.node if "/" in n.name}
                            - {"input", "output"})
            rows.append(("Graphs", rel, ", ".join(scopes) or "graph",
                         f"model graph, {len(graph.node)} nodes"))
        for tag in sorted(tags["histograms"]):
            rows.append(("Histograms", rel, tag, _steps([e.step for e in acc.Histograms(tag)])))
        for tag in sorted(plugin_tags(acc, "pr_curves")):
            events = acc.Tensors(tag)
            thresholds = events[-1].tensor_proto.tensor_shape.dim[1].size
            rows.append(("PR Curves", rel, tag, f"{_steps([e.step for e in events])}, "
                         f"{thresholds} thresholds"))
        for tag in sorted(plugin_tags(acc, "text")):
            rows.append(("Text", rel, tag, _steps([e.step for e in acc.Tensors(tag)])))
        rows.extend(_hparams_rows(acc, rel))
        rows.extend(_projector_rows(run, rel))
    return rows


def format_table(rows: list[tuple[str, ...]], header: tuple[str, ...]) -> str:
    """Rows as a plain, left-aligned text table.

    >>> print(format_table([("a", "1")], ("x", "y")))
    x  y
    -  -
    a  1"""
    short = [row for row in rows if len(row) != len(header)]
    if short:
        raise ValueError(f"Every row needs {len(header)} cells, one per column of {header}; "
                         f"got {short[0]!r}.")
    table = [header, tuple("-" * len(h) for h in header), *rows]
    widths = [max(len(str(row[i])) for row in table) for i in range(len(header))]
    return "\n".join(
        "  ".join(str(cell).ljust(w) for cell, w in zip(row, widths)).rstrip() for row in table
    )


def written_runs(logdir: Path) -> list[Path]:
    """The runs under ``logdir`` (`find_runs`), or a clear error when there is none."""
    runs = find_runs(logdir)
    if not runs:
        raise FileNotFoundError(
            f"No TensorBoard event files under {logdir}. Did the writer write anything, "
            "and was it flushed (writer.flush()) or closed (writer.close())?")
    return runs
