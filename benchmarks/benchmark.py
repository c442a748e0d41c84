"""The course's speed, measured side by side with the original tutorial in one run.

Measures the tutorial's own script (`tutorial_baseline.py`), every notebook executed the way
nbval runs it (a fresh kernel of this environment, `NBVAL_SKIP` cells left out), chapter 04's
training loop with its real settings (taken from the notebook), with and without its
TensorBoard logging, and the test-set probabilities of chapters 04/05 against the tutorial's.
Prints a table, appends it to ``benchmarks/results.md`` (with the machine, versions, date and
load) and says which targets were met.

The tutorial's script and the notebooks are timed in turns, three times by default, and so
is chapter 04's loop with and without its logging; the table gives medians with their range,
and says when the range is too wide to decide a target.

Usage:
    python benchmarks/benchmark.py            # the full run: about 13 minutes on 2 CPU cores
    python benchmarks/benchmark.py --quick    # a smoke run: shortened baseline, one notebook
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

from coursetools.course import REPO, chapter_path, chapter_paths, course_dir_set_to, link_data

if TYPE_CHECKING:  # torch loads only where a measure needs it
    from torch import nn

    from helpers.train import FitResult

BASELINE_SCRIPT = REPO / "benchmarks" / "tutorial_baseline.py"
RESULTS = REPO / "benchmarks" / "results.md"
TRAINING_CHAPTER = chapter_path("04_training")

# The targets: (what, how the measured value must compare)
TARGET_COURSE_RATIO = 0.5  # every notebook, fresh kernels, / the tutorial's script
TARGET_SPEEDUP_TO_ACCURACY = 15.0  # baseline loop time / chapter 04's time to the same accuracy
TARGET_FINAL_ACCURACY = 0.88  # chapter 04's final test accuracy, with the tutorial's Net
TARGET_LOGGING_OVERHEAD = 0.10  # chapter 04's loop: extra time for its TensorBoard logging
TARGET_EVAL_SPEEDUP = 10.0  # test-set probabilities: baseline time / course time
TARGET_BUSY_SHARE = 0.40  # chapter 04's images/s beside two busy processes / quiet
TARGET_QUIET_COST = 0.05  # at most this much slower on a quiet CPU for sharing it
TARGET_SHUTDOWN_COST = 0.2  # seconds a chapter's TensorBoard may add to its kernel's shutdown

Timing = tuple[float, int, dict[str, float]]  # run_notebook's: seconds, peak memory, parts


def say(*words) -> None:
    """Where the benchmark is, on stderr (the table goes to stdout)."""
    print(*words, file=sys.stderr, flush=True)


def arguments(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line: ``--quick``, ``--results``, ``--note``, ``--repeats``."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: 200 baseline steps, only the first notebook, 20 training steps")
    parser.add_argument("--results", type=Path, default=RESULTS,
                        help=f"markdown file the run is added to (default: {RESULTS.relative_to(REPO)})")
    parser.add_argument("--note", default="", help="a line to keep with the results (e.g. the load)")
    parser.add_argument("--repeats", type=int, default=None,
                        help="whole-command timings, baseline and course alternating (default: 3; quick: 1)")
    args = parser.parse_args(argv)
    args.repeats = args.repeats or (1 if args.quick else 3)
    return args


# --- the tutorial's script -------------------------------------------------------------------

def run_baseline(data_root: Path, quick: bool) -> dict:
    """Run the tutorial's script in its own process; its timings plus the process's wall time."""
    with tempfile.TemporaryDirectory(prefix="tutorial-baseline-") as logdir:
        cmd = [sys.executable, str(BASELINE_SCRIPT), "--data", str(data_root), "--logdir", logdir]
        if quick:
            cmd += ["--steps", "200", "--test-images", "200"]
        start = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True)
        wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(f"The tutorial's script failed:\n{proc.stderr[-3000:]}")
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    result["total_seconds"] = wall
    return result


# --- notebooks, the way nbval runs them ------------------------------------------------------

def chapters_to_time(quick: bool) -> list[Path]:
    """Every chapter, or (``quick``) only the first.

    Example:
        >>> [path.name for path in chapters_to_time(quick=True)]
        ['00_setup.ipynb']
    """
    return chapter_paths()[:1] if quick else chapter_paths()


def skipped_by_nbval(cell) -> bool:
    """True for a cell nbval does not run (``# NBVAL_SKIP`` or the ``nbval-skip`` tag)."""
    from nbval.plugin import find_comment_markers, find_metadata_tags

    markers = dict(find_comment_markers(cell.source)) | dict(find_metadata_tags(cell.metadata))
    return cell.cell_type == "code" and markers.get("skip", False)


class PeakMemory:
    """Peak memory of a process and its children: the kernel's own high-water mark (VmHWM,
    exact) and, sampled every 0.2 s, the summed resident memory of it and every process it
    started (e.g. torchrun's workers). `stop` returns the larger of the two."""

    def __init__(self, pid: int) -> None:
        import psutil

        self.process = psutil.Process(pid)
        self.sampled = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        import psutil

        while not self._stop.wait(0.2):
            total = 0
            for proc in [self.process, *self.process.children(recursive=True)]:
                with contextlib.suppress(psutil.Error):
                    total += proc.memory_info().rss
            self.sampled = max(self.sampled, total)

    def stop(self) -> int:
        """Stop sampling (call before the kernel exits); the peak in bytes."""
        self._stop.set()
        self._thread.join()
        status = Path(f"/proc/{self.process.pid}/status")  # Linux only; elsewhere: sampled
        lines = status.read_text().splitlines() if status.exists() else []
        hwm_kib = next((int(line.split()[1]) for line in lines if line.startswith("VmHWM:")), 0)
        return max(hwm_kib * 1024, self.sampled)


@contextlib.contextmanager
def scratch_course(data_root: Path) -> Iterator[Path]:
    """A scratch course folder (``$COURSE_DIR``) with no runs or checkpoints yet and the real
    data (``data/``, a link to ``data_root``), for the kernels started inside the block; the
    folder is removed after it.

    Example:
        >>> with scratch_course(Path("data")) as course:  # doctest: +SKIP
        ...     sorted(p.name for p in course.iterdir())
        ['data']
    """
    with tempfile.TemporaryDirectory(prefix="course-benchmark-") as scratch:
        with course_dir_set_to(link_data(Path(scratch), data_root)) as course:
            yield course


def run_notebook(path: Path, frame: bool = False) -> tuple[float, int, dict[str, float]]:
    """Execute one notebook as nbval does: a fresh kernel of this Python (nbval's
    ``--nbval-current-env``) started in the notebook's folder, every cell but the
    ``nbval-skip`` ones (with ``frame``, those too: the chapter's ``%tensorboard`` cells, as
    a learner's Run All); then the kernel is shut down as JupyterLab does, so the
    TensorBoards it started stop with it. Returns (seconds, peak memory bytes, where the
    time went: ``start`` until the kernel answers, ``setup`` its first two code cells (the
    guard and the imports), ``work`` the rest, ``## <heading>`` the code cells below
    each of the notebook's ``##`` headings, summed, and ``shutdown``, not in the seconds)."""
    import nbformat
    from jupyter_client.manager import KernelManager
    from nbclient import NotebookClient
    from nbval.kernel import CURRENT_ENV_KERNEL_NAME, NbvalKernelspecManager

    nb = nbformat.read(path, as_version=4)
    nb.cells = [c for c in nb.cells if frame or not skipped_by_nbval(c)]
    start = time.perf_counter()
    km = KernelManager(kernel_name=CURRENT_ENV_KERNEL_NAME, kernel_spec_manager=NbvalKernelspecManager())
    client = NotebookClient(nb, km=km, timeout=600,
                            resources={"metadata": {"path": str(path.parent)}})
    parts = {}
    try:
        with client.setup_kernel():  # a kernel it did not start, it leaves running
            parts["start"] = time.perf_counter() - start
            memory = PeakMemory(km.provisioner.pid)
            code_cells = 0
            section = "## (no heading)"
            try:
                for index, cell in enumerate(nb.cells):
                    headings = [line.strip() for line in cell.source.splitlines()
                                if cell.cell_type == "markdown" and line.startswith("## ")]
                    section = headings[-1] if headings else section
                    began = time.perf_counter()
                    client.execute_cell(cell, index)
                    code_cells += cell.cell_type == "code"
                    if code_cells == 2 and "setup" not in parts:
                        parts["setup"] = time.perf_counter() - start - parts["start"]
                    elif code_cells > 2 and cell.cell_type == "code":
                        parts[section] = parts.get(section, 0.0) + time.perf_counter() - began
            finally:
                peak = memory.stop()
            seconds = time.perf_counter() - start
    finally:
        if km.has_kernel:
            # from JupyterLab's request to the kernel's exit, timed on the process itself
            # (shutdown_kernel looks only every 0.1 s whether the kernel has ended)
            stopping = time.perf_counter()
            km.request_shutdown()
            with contextlib.suppress(subprocess.TimeoutExpired, AttributeError):
                km.provisioner.process.wait(timeout=10)
            parts["shutdown"] = time.perf_counter() - stopping
            km.shutdown_kernel(now=False)
    parts["work"] = seconds - parts["start"] - parts.get("setup", 0.0)
    return seconds, peak, parts


def slowest_section(parts: dict[str, float]) -> str:
    """Where most of a chapter's own time went, from `run_notebook`'s parts: the slowest
    ``##`` section, as ``" (most in 'heading': 1.2)"``; empty if none took 0.5 s.

    Example:
        >>> slowest_section({"start": 0.5, "## Data": 0.2, "## Training": 9.5})
        " (most in 'Training': 9.5)"
        >>> slowest_section({"start": 0.5, "## Data": 0.1})
        ''
    """
    sections = {k: v for k, v in parts.items() if k.startswith("## ")}
    if not sections or max(sections.values()) < 0.5:  # too little to be worth naming
        return ""
    heading = max(sections, key=sections.get)
    return f" (most in '{heading[3:]}': {sections[heading]:.1f})"


FLOOR_CELLS = (
    "import helpers  # the guard every chapter starts with",
    "import torch\nfrom torch.utils.tensorboard import SummaryWriter\n"
    "from helpers.board import summarize  # what every chapter imports",
    "torch.optim.Adam([torch.zeros(1, requires_grad=True)]).step()  # creating it imports torch._dynamo",
)


def run_floor(folder: Path) -> tuple[float, int, dict[str, float]]:
    """Time the least a chapter costs before it does anything of its own, as `run_notebook`
    times a chapter: a fresh kernel, the guard, ``import torch`` and `helpers.board`, and
    (``work``) a first optimizer and its step: creating it imports ``torch._dynamo``, in
    every chapter that trains. The notebook is written to ``folder``."""
    import nbformat

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in FLOOR_CELLS])
    path = Path(folder) / "floor.ipynb"
    nbformat.write(nb, path)
    return run_notebook(path)


@dataclass
class Turns:
    """The tutorial's script and every chapter, timed in turns (`time_in_turns`): one entry
    per repeat in each list."""

    tutorial: list[dict] = field(default_factory=list)  # run_baseline's figures
    chapters: dict[str, list[Timing]] = field(default_factory=dict)  # run_notebook's, per chapter
    framed: dict[str, list[float]] = field(default_factory=dict)  # shutdowns with the frame
    floors: list[Timing] = field(default_factory=list)  # run_floor's

    @property
    def totals(self) -> list[float]:
        """Every chapter's seconds together, per repeat."""
        return [sum(runs[i][0] for runs in self.chapters.values()) for i in range(len(self.tutorial))]

    @property
    def tutorial_run(self) -> dict:
        """The figures of the tutorial's median run (by its whole time)."""
        middle = statistics.median(b["total_seconds"] for b in self.tutorial)
        return min(self.tutorial, key=lambda b: abs(b["total_seconds"] - middle))

    @property
    def tutorial_total(self) -> float:
        return statistics.median(b["total_seconds"] for b in self.tutorial)

    @property
    def course_total(self) -> float:
        return statistics.median(self.totals)

    @property
    def ratios(self) -> list[float]:
        """Every chapter's time / the tutorial's script, per repeat."""
        return [c / b["total_seconds"] for c, b in zip(self.totals, self.tutorial)]

    @property
    def shutdowns(self) -> dict[str, tuple[float, float]]:
        """Per chapter, the median kernel shutdown without and with its TensorBoard frame."""
        return {name: (statistics.median(r[2]["shutdown"] for r in runs),
                       statistics.median(self.framed[name])) for name, runs in self.chapters.items()}

    @property
    def timings(self) -> list[tuple[str, float, int, dict[str, float], tuple[float, float]]]:
        """Per chapter: name, median seconds, peak memory, median parts, (fastest, slowest)."""
        return [(name, statistics.median(r[0] for r in runs), max(r[1] for r in runs),
                 {part: statistics.median(r[2][part] for r in runs) for part in runs[0][2]},
                 (min(r[0] for r in runs), max(r[0] for r in runs)))
                for name, runs in self.chapters.items()]

    @property
    def floor(self) -> dict[str, float]:
        """The median parts of the floor chapter (`run_floor`)."""
        return {part: statistics.median(f[2][part] for f in self.floors) for part in self.floors[0][2]}


def time_in_turns(data_root: Path, quick: bool, repeats: int) -> Turns:
    """The tutorial's script, then every chapter (and the floor) in a fresh course, then every
    chapter again with its TensorBoard frame (for the kernel shutdowns); ``repeats`` times."""
    chosen = chapters_to_time(quick)
    turns = Turns(chapters={p.stem: [] for p in chosen}, framed={p.stem: [] for p in chosen})
    for repeat in range(1, repeats + 1):  # alternating, so a slow spell hits both
        say(f"1-2/5 repeat {repeat}/{repeats}: the tutorial's script (about 1-2 minutes)...")
        turns.tutorial.append(run_baseline(data_root, quick))
        say(f"    {turns.tutorial[-1]['total_seconds']:.1f} s; every notebook in a fresh kernel...")
        with scratch_course(data_root) as course:  # a learner's first Run All: no earlier runs
            for path in chosen:
                turns.chapters[path.stem].append(run_notebook(path))
            turns.floors.append(run_floor(course))
        say(f"    all notebooks: {turns.totals[-1]:.1f} s; again with their TensorBoard frames, "
            "for the kernel shutdowns...")
        with scratch_course(data_root):
            for path in chosen:
                turns.framed[path.stem].append(run_notebook(path, frame=True)[2]["shutdown"])
    return turns


# --- chapter 04's loop, with the notebook's own settings -------------------------------------

def chapter_objects(path: Path = TRAINING_CHAPTER) -> dict:
    """Run the notebook's code cells that come before its training loop (setup, data,
    settings) and return what they define: the model, optimizer, scheduler, loader, test
    data and settings exactly as the learner gets them. Training starts after the first
    code cell that opens a writer (``SummaryWriter(``): the cells before it run."""
    import nbformat

    cells = [c for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code"]
    loop = next((i for i, c in enumerate(cells) if "SummaryWriter(" in c.source), None)
    if loop is None:
        raise RuntimeError(f"{path.name}: no code cell calls SummaryWriter(...), so the training "
                           "loop can't be found. Keep the writer's cell just before the loop.")
    namespace: dict = {"__name__": "__chapter__"}
    with contextlib.redirect_stdout(io.StringIO()):
        for cell in cells[:loop]:
            if any(line.lstrip().startswith(("%", "!")) for line in cell.source.splitlines()):
                raise RuntimeError(f"{path.name}: a cell before the training loop uses IPython "
                                   f"syntax, which the benchmark can't run:\n{cell.source}")
            exec(compile(cell.source, str(path), "exec"), namespace)
    missing = {"net", "optimizer", "train_loader", "test_images", "test_labels", "classes",
               "EPOCHS", "LOG_EVERY", "FIGURE_EVERY"} - namespace.keys()
    if missing:
        raise RuntimeError(f"{path.name} no longer defines {sorted(missing)} before its loop; "
                           "update the benchmark with it.")
    return namespace


class TimedChecks:
    """Chapter 04's batches, with a test accuracy check every ``every`` batches whose own time
    is left out: records when (seconds of training) each of ``targets`` was first reached."""

    def __init__(self, batches, net, test_data, targets, every: int = 10) -> None:
        self.batches, self.net, self.test_data, self.every = batches, net, test_data, every
        self.pending = sorted(targets)
        self.reached: dict[float, float] = {}
        self.trained = 0.0  # seconds of training in the epochs before this one, checks left out
        self.checking = 0.0  # seconds spent in the checks, all epochs

    def __len__(self) -> int:
        return len(self.batches)

    def __iter__(self):
        from helpers.train import evaluate

        start, checking = time.perf_counter(), 0.0  # one call per epoch: times add up
        for step, batch in enumerate(self.batches, 1):
            yield batch
            if self.pending and step % self.every == 0:
                check_start = time.perf_counter()
                accuracy = evaluate(self.net, self.test_data)
                self.net.train()
                while self.pending and accuracy >= self.pending[0]:
                    self.reached[self.pending.pop(0)] = self.trained + check_start - start - checking
                checking += time.perf_counter() - check_start
                self.checking += time.perf_counter() - check_start
        self.trained += time.perf_counter() - start - checking


def train_like_chapter(logging: bool, targets=(), max_steps: int | None = None):
    """Chapter 04's loop with the chapter's settings; its TensorBoard logging on or off. With
    ``targets`` (test accuracies), also the seconds of training until each was first reached
    (checked every 10 steps, the checks not timed). Returns (FitResult, net, ns, {target: seconds})."""
    from torch.utils.tensorboard import SummaryWriter

    from helpers.train import fit

    ns = chapter_objects()
    loader, epochs = ns["train_loader"], ns["EPOCHS"]
    if max_steps is not None:  # --quick only
        loader, epochs = [batch for _, batch in zip(range(max_steps), loader)], 1
    test_data = (ns["test_images"], ns["test_labels"])
    timed = TimedChecks(loader, ns["net"], test_data, targets)
    with tempfile.TemporaryDirectory(prefix="chapter04-") as run_dir:
        writer = SummaryWriter(log_dir=run_dir) if logging else None
        try:
            # fit is chapter 04's training cell, step for step: tests/test_one_loop.py proves it
            result = fit(ns["net"], timed, ns["optimizer"], scheduler=ns.get("scheduler"),
                         epochs=epochs, writer=writer, log_every=ns["LOG_EVERY"],
                         figure_every=ns["FIGURE_EVERY"], classes=ns["classes"],
                         test_data=test_data, progress=False)
        finally:
            if writer is not None:
                writer.close()
    result.seconds -= timed.checking
    return result, ns["net"], ns, timed.reached


@dataclass
class LoopTimes:
    """Chapter 04's loop with its logging and without, in alternating pairs (`time_the_loop`)."""

    logged: FitResult  # the first run with logging: its steps, images and test accuracies
    pairs: list[tuple[float, float]]  # seconds with logging, without
    reached: float | None  # seconds of training until the target accuracy; None if never
    net: nn.Module  # the model the first run trained
    ns: dict  # chapter 04's names (chapter_objects)

    @property
    def overheads(self) -> list[float]:
        """What the logging added, per pair, smallest first."""
        return sorted(on / off - 1 for on, off in self.pairs)


def time_the_loop(target: float, repeats: int, max_steps: int | None) -> LoopTimes:
    """Chapter 04's loop ``repeats`` times with its logging and as often without, alternating;
    the first run with logging also times how soon it reaches the test accuracy ``target``."""
    logged, net, ns, reached_at = train_like_chapter(True, targets=(target,), max_steps=max_steps)
    pairs = []
    for repeat in range(repeats):  # alternating, as the whole-command timings
        on = logged if repeat == 0 else train_like_chapter(True, max_steps=max_steps)[0]
        pairs.append((on.seconds, train_like_chapter(False, max_steps=max_steps)[0].seconds))
    return LoopTimes(logged, pairs, reached_at.get(target), net, ns)


class ForSeconds:
    """The batches of ``loader``, pass after pass, until ``seconds`` have passed (checked after
    each step); ``sharing=False`` iterates it as a plain `DataLoader`, with torch's fixed
    threads instead of the course's thread sharing."""

    def __init__(self, loader, seconds: float, sharing: bool = True) -> None:
        self.loader, self.seconds, self.sharing = loader, seconds, sharing

    def __iter__(self):
        from torch.utils.data import DataLoader

        start = time.perf_counter()
        while True:
            for batch in (self.loader if self.sharing else DataLoader.__iter__(self.loader)):
                yield batch
                if time.perf_counter() - start >= self.seconds:
                    return


def images_per_second(ns: dict, seconds: float, sharing: bool = True) -> float:
    """Chapter 04's loop (`fit`: its model, optimizer and loader, no logging) for ``seconds``.
    ``sharing=False`` iterates the same loader without its thread sharing (torch's default)."""
    from helpers.train import fit

    result = fit(ns["net"], ForSeconds(ns["train_loader"], seconds, sharing), ns["optimizer"],
                 progress=False)
    return result.images / result.seconds


def sharing_cost(steps_per_second: float) -> float:
    """What thread sharing costs on a quiet CPU, as a fraction of the loop's time: its check
    on every batch plus its looks at the CPU (twice a second), both timed directly (the
    difference between two quiet throughputs is smaller than their noise)."""
    from helpers._runtime.threads import ThreadsForLoad

    looks_per_second = 1 / ThreadsForLoad().every
    share = ThreadsForLoad(every=3600.0)  # timed apart: the checks, then the looks
    start = time.perf_counter()
    for _ in range(100_000):
        share.adjust()
    per_batch = (time.perf_counter() - start) / 100_000
    start = time.perf_counter()
    for _ in range(200):
        share.others_busy()
    per_look = (time.perf_counter() - start) / 200
    return per_batch * steps_per_second + per_look * looks_per_second


def contended(seconds: float) -> dict[str, float]:
    """Chapter 04's images/s on a quiet CPU and beside two busy processes (the busy case a
    learner meets: a browser, TensorBoard reloading, another notebook; or a Colab runtime's
    neighbours), with the course's thread sharing and with torch's fixed default. The quiet
    runs alternate the two, three times each; medians and ranges are reported."""
    import torch

    ns = chapter_objects()
    ceiling = torch.get_num_threads()
    quiet: dict[bool, list[float]] = {True: [], False: []}
    for _ in range(3):
        for sharing in (False, True):
            quiet[sharing].append(images_per_second(ns, seconds, sharing))
    hogs = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(2)]
    try:
        time.sleep(0.5)
        busy_shared = images_per_second(ns, seconds * 2)
        busy_threads = torch.get_num_threads()
        torch.set_num_threads(ceiling)
        busy_fixed = images_per_second(ns, seconds, sharing=False)
    finally:
        for hog in hogs:
            hog.kill()
            hog.wait()
        torch.set_num_threads(ceiling)
    quiet_shared = statistics.median(quiet[True])
    return {"quiet_shared": quiet_shared, "quiet_fixed": statistics.median(quiet[False]),
            "quiet_range": (min(quiet[True] + quiet[False]), max(quiet[True] + quiet[False])),
            "busy_shared": busy_shared, "busy_fixed": busy_fixed, "threads": ceiling,
            "busy_threads": busy_threads,
            "cost": sharing_cost(quiet_shared / ns["BATCH_SIZE"])}


def time_probabilities(net, images, labels) -> tuple[float, float]:
    """Chapter 05's test-set probabilities (`predict_probs`, batches of 1,000); (seconds, accuracy)."""
    from helpers.data import make_loader
    from helpers.train import accuracy, predict_probs

    start = time.perf_counter()
    probs, truth = predict_probs(net, make_loader((images, labels), batch_size=1000, shuffle=False))
    return time.perf_counter() - start, accuracy(probs, truth)


# --- the report ------------------------------------------------------------------------------

@dataclass
class Row:
    what: str
    value: str
    note: str = ""


def machine() -> str:
    import torch

    cpuinfo = Path("/proc/cpuinfo")  # Linux; elsewhere what platform knows
    lines = cpuinfo.read_text().splitlines() if cpuinfo.exists() else []
    cpu = next((line.split(":", 1)[1].strip() for line in lines if line.startswith("model name")),
               platform.processor() or "unknown CPU")
    gpu = (torch.cuda.get_device_name(0) if torch.cuda.is_available()
           else "none (not run on a GPU: no GPU on this machine)")
    import psutil

    mem = psutil.virtual_memory().total / 2**30
    return (f"{os.cpu_count()} CPU cores ({cpu}), {mem:.0f} GiB RAM; GPU: {gpu}; "
            f"torch threads: {torch.get_num_threads()}")


def versions() -> str:
    import matplotlib
    import tensorboard
    import torch
    import torchvision

    return (f"Python {platform.python_version()}, torch {torch.__version__}, torchvision "
            f"{torchvision.__version__}, tensorboard {tensorboard.__version__}, "
            f"matplotlib {matplotlib.__version__}, {platform.system()} {platform.release()}")


def load() -> str:
    import psutil

    one, five, _ = psutil.getloadavg()  # emulated on Windows
    return f"{one:.1f} (1 min), {five:.1f} (5 min)"


def table(rows: list[Row]) -> str:
    from helpers.board import format_table

    return format_table([(r.what, r.value, r.note) for r in rows], ("measure", "value", "note"))


@dataclass
class Measured:
    """Everything one run measured, and the ratios its targets judge."""

    turns: Turns
    busy: dict  # contended's
    loop: LoopTimes
    eval_seconds: float  # chapter 05's test-set probabilities
    repeats: int
    quick: bool

    @property
    def tutorial(self) -> dict:
        return self.turns.tutorial_run

    @property
    def speedup(self) -> float:
        """The tutorial's loop time / chapter 04's time to the tutorial's final accuracy."""
        return self.tutorial["loop_seconds"] / self.loop.reached if self.loop.reached else 0.0

    @property
    def eval_speedup(self) -> float:
        return self.tutorial["eval_seconds"] / self.eval_seconds

    @property
    def busy_share(self) -> float:
        return self.busy["busy_shared"] / self.busy["quiet_shared"]

    @property
    def final_accuracy(self) -> float:
        return self.loop.logged.test_accuracy[-1]


def tutorial_rows(m: Measured) -> list[Row]:
    """The tutorial's script: its loop, evaluation, PR curves, whole time, final accuracy."""
    base, runs = m.tutorial, [b["total_seconds"] for b in m.turns.tutorial]
    return [
        Row("baseline: training loop", f"{base['loop_seconds']:.1f} s",
            f"{base['steps']:,} steps of 4 images, 2 loader workers, a figure every 1,000"),
        Row("baseline: evaluation", f"{base['eval_seconds']:.1f} s",
            f"probabilities of {base['test_images']:,} test images, softmax per element"),
        Row("baseline: PR curves", f"{base['pr_curves_seconds']:.1f} s",
            "10 add_pr_curve, writer closed after each"),
        Row("baseline: in all", f"{m.turns.tutorial_total:.1f} s",
            f"the whole script, Python start to end; median of {m.repeats}, "
            f"{min(runs):.1f}-{max(runs):.1f} s"),
        Row("baseline: final test accuracy", f"{base['test_accuracy']:.1%}", ""),
    ]


def chapter_rows(m: Measured) -> list[Row]:
    """Each chapter's time and shutdown, all chapters together, and the floor per chapter."""
    turns, repeats = m.turns, m.repeats
    timings, floor = turns.timings, turns.floor
    floor_imports = floor["start"] + floor.get("setup", 0.0)  # every chapter pays this
    return [
        *[Row(f"course: {name}", f"{seconds:.1f} s",
              f"{low:.1f}-{high:.1f} s; kernel start {parts['start']:.1f}, guard and imports "
              f"{parts.get('setup', 0):.1f}, the rest {parts['work']:.1f}{slowest_section(parts)}; "
              f"peak memory {peak / 2**20:,.0f} MiB")
          for name, seconds, peak, parts, (low, high) in timings],
        *[Row(f"shutdown: {name}", f"{framed_s - plain:+.2f} s",
              f"kernel shutdown with its TensorBoard {framed_s:.2f} s, without {plain:.2f} s; "
              f"medians of {repeats}")
          for name, (plain, framed_s) in turns.shutdowns.items()],
        Row("course: all notebooks", f"{turns.course_total:.1f} s",
            f"{len(timings)} notebooks, one fresh kernel each; median of {repeats}, "
            f"{min(turns.totals):.1f}-{max(turns.totals):.1f} s"),
        Row("course: floor per chapter", f"{floor_imports + floor['work']:.1f} s",
            f"kernel start {floor['start']:.1f}, guard and torch imports {floor.get('setup', 0):.1f}, "
            f"a first optimizer and step {floor['work']:.1f}; median of {repeats}"),
        Row("course: floor, all chapters", f"{len(timings) * floor_imports:.1f} s",
            f"a kernel start and imports for each of {len(timings)}, no optimizer step: "
            f"{len(timings) * floor_imports / turns.tutorial_total:.2f}x the baseline"),
    ]


def loop_rows(m: Measured) -> list[Row]:
    """Chapter 04's loop: its time, speed, accuracy, logging overhead, and on a busy CPU."""
    loop, busy, pairs, overheads = m.loop, m.busy, m.loop.pairs, m.loop.overheads
    logged_seconds = statistics.median(on for on, _ in pairs)
    low, high = busy["quiet_range"]
    return [
        Row("ch. 04: training time", f"{logged_seconds:.1f} s",
            f"{loop.logged.steps:,} steps of {loop.ns.get('BATCH_SIZE', '?')} images "
            f"({len(loop.logged.test_accuracy)} epochs), logging on; median of {len(pairs)}"),
        Row("ch. 04: images/second", f"{loop.logged.images / logged_seconds:,.0f}",
            f"with logging; median of {len(pairs)}"),
        Row("ch. 04: time to baseline accuracy", f"{loop.reached:.1f} s" if loop.reached else "not reached",
            f"first test accuracy >= {m.tutorial['test_accuracy']:.1%} (checked every 10 steps, "
            "checks not timed)"),
        Row("ch. 04: final test accuracy", f"{m.final_accuracy:.1%}", "the tutorial's Net"),
        Row("ch. 04: loop without logging", f"{statistics.median(off for _, off in pairs):.1f} s",
            f"writer=None, same loop; median of {len(pairs)}"),
        Row("ch. 04: logging overhead", f"{statistics.median(overheads):+.1%}",
            f"scalars, figures, flushes; median of {len(pairs)} alternating pairs, "
            f"{overheads[0]:+.1%} to {overheads[-1]:+.1%}"
            + ("" if overheads[-1] <= TARGET_LOGGING_OVERHEAD or overheads[0] > TARGET_LOGGING_OVERHEAD
               else ": too spread to decide the target")),
        Row("ch. 04: quiet CPU", f"{busy['quiet_shared']:,.0f}",
            f"images/s, median of 3; fixed threads {busy['quiet_fixed']:,.0f}; "
            f"all 6 within {low:,.0f}-{high:,.0f}"),
        Row("ch. 04: contended", f"{busy['busy_shared']:,.0f}",
            f"images/s beside two busy processes; torch threads {busy['threads']} -> {busy['busy_threads']}"),
        Row("ch. 04: contended, fixed threads", f"{busy['busy_fixed']:,.0f}",
            f"images/s, torch's default {busy['threads']} threads"),
    ]


def evaluation_and_memory_rows(m: Measured) -> list[Row]:
    """Chapter 05's test-set probabilities, and the chapter whose kernel took most memory."""
    biggest = max(m.turns.timings, key=lambda t: t[2])
    return [
        Row("course: evaluation", f"{m.eval_seconds:.2f} s",
            f"probabilities of {len(m.loop.ns['test_labels']):,} test images, batches of 1,000, no_grad"),
        Row("peak memory, biggest kernel", f"{biggest[2] / 2**20:,.0f} MiB", biggest[0]),
    ]


def ratio_rows(m: Measured) -> list[Row]:
    """The ratios the targets judge, each with its target."""
    ratios, busy = m.turns.ratios, m.busy
    spread_ok = max(ratios) <= TARGET_COURSE_RATIO or min(ratios) > TARGET_COURSE_RATIO
    return [
        Row("ratio: course total / baseline total", f"{m.turns.course_total / m.turns.tutorial_total:.2f}",
            f"target <= {TARGET_COURSE_RATIO}; each repeat {min(ratios):.2f}-{max(ratios):.2f}"
            + ("" if spread_ok else ": too spread to decide the target")),
        Row("ratio: time to accuracy, baseline / ch. 04", f"{m.speedup:.1f}x",
            f"target >= {TARGET_SPEEDUP_TO_ACCURACY:.0f}x"),
        Row("ratio: contended / quiet", f"{m.busy_share:.2f}",
            f"target >= {TARGET_BUSY_SHARE:.2f}; fixed threads: "
            f"{busy['busy_fixed'] / busy['quiet_fixed']:.2f}"),
        Row("ratio: quiet cost of sharing", f"{busy['cost']:.2%}",
            f"target <= {TARGET_QUIET_COST:.0%}; its checks, timed directly"),
        Row("ratio: evaluation, baseline / course", f"{m.eval_speedup:.1f}x",
            f"target >= {TARGET_EVAL_SPEEDUP:.0f}x"
            + (" (quick: fewer baseline images)" if m.quick else "")),
    ]


def report_rows(m: Measured) -> list[Row]:
    """The whole table, section by section."""
    return [*tutorial_rows(m), *chapter_rows(m), *loop_rows(m), *evaluation_and_memory_rows(m),
            *ratio_rows(m)]


def targets(m: Measured) -> list[tuple[str, bool]]:
    """Each target, and whether this run met it."""
    return [
        (f"every notebook together <= {TARGET_COURSE_RATIO}x the baseline script, in every repeat",
         max(m.turns.ratios) <= TARGET_COURSE_RATIO),
        (f"ch. 04 reaches the baseline's accuracy >= {TARGET_SPEEDUP_TO_ACCURACY:.0f}x sooner",
         m.speedup >= TARGET_SPEEDUP_TO_ACCURACY),
        (f"ch. 04 ends at >= {TARGET_FINAL_ACCURACY:.0%}", m.final_accuracy >= TARGET_FINAL_ACCURACY),
        (f"logging overhead <= {TARGET_LOGGING_OVERHEAD:.0%}, in every pair",
         max(m.loop.overheads) <= TARGET_LOGGING_OVERHEAD),
        (f"evaluation >= {TARGET_EVAL_SPEEDUP:.0f}x faster", m.eval_speedup >= TARGET_EVAL_SPEEDUP),
        (f"beside two busy processes >= {TARGET_BUSY_SHARE:.0%} of quiet", m.busy_share >= TARGET_BUSY_SHARE),
        (f"sharing costs <= {TARGET_QUIET_COST:.0%} on a quiet CPU", m.busy["cost"] <= TARGET_QUIET_COST),
        (f"a chapter's TensorBoard adds <= {TARGET_SHUTDOWN_COST} s to its kernel's shutdown, every chapter",
         all(framed_s - plain <= TARGET_SHUTDOWN_COST for plain, framed_s in m.turns.shutdowns.values())),
    ]


def verdict(checks: list[tuple[str, bool]]) -> str:
    """One line per target, ticked when met.

    Example:
        >>> print(verdict([("fast", True), ("small", False)]))
        - [x] fast
        - [ ] small
    """
    return "\n".join(f"- [{'x' if ok else ' '}] {what}" for what, ok in checks)


def results_entry(started: datetime, load_before: str, args: argparse.Namespace, text: str,
                  ticks: str) -> str:
    """The run's entry in the results file: when, what kind, machine, versions, load, note,
    the table and the targets."""
    kind = "quick smoke run (shortened: not comparable)" if args.quick else "full run"
    return "\n".join([
        f"## {started:%Y-%m-%d %H:%M} UTC, {kind}",
        "",
        f"- machine: {machine()}",
        f"- versions: {versions()}",
        f"- load average: {load_before} at the start, {load()} at the end",
        *([f"- note: {args.note}"] if args.note else []),
        "",
        "```",
        text,
        "```",
        "",
        ticks,
        "",
    ])


def main(argv: list[str] | None = None) -> int:
    args = arguments(argv)
    from helpers._runtime.datafiles import ensure_fashion_mnist

    started, load_before = datetime.now(timezone.utc), load()
    data_root = ensure_fashion_mnist()  # data/ at the course's root, ready
    turns = time_in_turns(data_root, args.quick, args.repeats)
    say("3/5 chapter 04's steps on a quiet CPU and beside two busy processes (about 1 minute)...")
    busy = contended(1.0 if args.quick else 5.0)
    say(f"4/5 chapter 04's loop with and without its logging, {args.repeats} times each...")
    loop = time_the_loop(turns.tutorial_run["test_accuracy"], args.repeats,
                         max_steps=20 if args.quick else None)
    say("5/5 test-set probabilities...")
    eval_seconds, _ = time_probabilities(loop.net, loop.ns["test_images"], loop.ns["test_labels"])

    measured = Measured(turns, busy, loop, eval_seconds, args.repeats, args.quick)
    text, ticks = table(report_rows(measured)), verdict(targets(measured))
    print(text)
    print()
    print(ticks)
    add_to_results(args.results, results_entry(started, load_before, args, text, ticks))
    say(f"added to {args.results}")
    return 0


HEADER = """# Benchmark results

Written by `make benchmark` (`python benchmarks/benchmark.py`), newest first. Every figure in
one entry comes from one run on one machine, so the ratios compare like with like.
"""


def add_to_results(path: Path, entry: str) -> None:
    """Put ``entry`` at the top of the results file, under its header (creating it if needed)."""
    old = path.read_text() if path.exists() else HEADER
    head, sep, rest = old.partition("\n## ")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(head.rstrip("\n") + "\n\n" + entry + (("\n## " + rest) if sep else ""))


if __name__ == "__main__":
    sys.exit(main())
