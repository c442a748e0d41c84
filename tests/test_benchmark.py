"""The benchmark command runs end to end (quick mode) and writes its table; no timing is judged here."""

from __future__ import annotations

import functools
import importlib.util
import subprocess
import sys

import pytest

from coursetools.course import REPO

pytestmark = pytest.mark.server

SCRIPT = REPO / "benchmarks" / "benchmark.py"


@functools.cache
def load_benchmark():
    """benchmarks/benchmark.py as a module (the folder is not a package)."""
    spec = importlib.util.spec_from_file_location("benchmark", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules["benchmark"] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_quick_benchmark_prints_and_records_every_measure(tmp_path):
    results = tmp_path / "results.md"
    proc = subprocess.run([sys.executable, str(SCRIPT), "--quick", "--results", str(results),
                           "--note", "smoke test"], capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    text = results.read_text()
    assert text.startswith("# Benchmark results")
    assert "quick smoke run" in text and "note: smoke test" in text
    assert "machine: " in text and "GPU: " in text and "torch " in text and "load average" in text
    for measure in ["baseline: training loop", "baseline: evaluation", "baseline: in all",
                    "baseline: final test accuracy", "course: 00_setup", "course: all notebooks",
                    "course: floor per chapter", "course: floor, all chapters",
                    "ch. 04: training time", "ch. 04: images/second",
                    "ch. 04: time to baseline accuracy", "ch. 04: final test accuracy",
                    "ch. 04: logging overhead", "course: evaluation", "peak memory, biggest kernel",
                    "ratio: course total / baseline total", "ratio: time to accuracy",
                    "ratio: evaluation", "ch. 04: quiet CPU", "ch. 04: contended",
                    "ratio: contended / quiet", "ratio: quiet cost of sharing"]:
        assert measure in text and measure in proc.stdout, measure
    assert "200 steps of 4 images" in text  # the baseline really ran, shortened
    assert text.count("- [") == 8  # one line per target, met or not


def test_results_file_keeps_older_runs_below_the_newest(tmp_path):
    benchmark = load_benchmark()
    results = tmp_path / "results.md"
    benchmark.add_to_results(results, "## first\n\nold table\n")
    benchmark.add_to_results(results, "## second\n\nnew table\n")
    text = results.read_text()
    assert text.startswith("# Benchmark results")
    assert text.index("## second") < text.index("## first")
    assert "old table" in text and "new table" in text


def test_every_numbered_notebook_is_timed():
    benchmark = load_benchmark()
    names = [p.name for p in benchmark.chapters_to_time(quick=False)]
    assert names == sorted(p.name for p in (REPO / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    assert "00_setup.ipynb" in names and "04_training.ipynb" in names
    assert [p.name for p in benchmark.chapters_to_time(quick=True)] == names[:1]


def test_nbval_skip_cells_are_left_out_like_nbval_does():
    import nbformat

    benchmark = load_benchmark()
    skip = nbformat.v4.new_code_cell("# NBVAL_SKIP\n%tensorboard --logdir runs")
    tagged = nbformat.v4.new_code_cell("1 + 1", metadata={"tags": ["nbval-skip"]})
    ignore = nbformat.v4.new_code_cell("# NBVAL_IGNORE_OUTPUT\nprint(1)")
    assert benchmark.skipped_by_nbval(skip) and benchmark.skipped_by_nbval(tagged)
    assert not benchmark.skipped_by_nbval(ignore)


def test_training_chapter_settings_come_from_the_notebook():
    import nbformat

    benchmark = load_benchmark()
    ns = benchmark.chapter_objects()
    settings = next(c.source for c in nbformat.read(benchmark.TRAINING_CHAPTER, as_version=4).cells
                    if c.cell_type == "code" and "BATCH_SIZE =" in c.source)
    assert f"EPOCHS = {ns['EPOCHS']}\n" in settings and f"BATCH_SIZE = {ns['BATCH_SIZE']} " in settings
    assert len(next(iter(ns["train_loader"]))[1]) == ns["BATCH_SIZE"]
    assert ns["scheduler"].optimizer is ns["optimizer"]


def test_the_accuracy_checks_are_left_out_of_the_training_time():
    import time

    import torch

    from helpers.data import make_loader
    from helpers.model import Net
    from helpers.train import fit

    benchmark = load_benchmark()
    torch.manual_seed(0)
    x, y = torch.randn(64, 1, 28, 28), torch.randint(0, 10, (64,))
    big_test = (torch.randn(5000, 1, 28, 28), torch.randint(0, 10, (5000,)))  # costly checks
    net = Net()
    timed = benchmark.TimedChecks(make_loader((x, y), batch_size=8), net, big_test,
                                  targets=(0.0, 1.01), every=1)
    start = time.perf_counter()
    result = fit(net, timed, torch.optim.SGD(net.parameters(), 0.01), progress=False)
    wall = time.perf_counter() - start
    assert result.steps == 8 and net.training  # the checks put the model back to training
    assert timed.reached[0.0] <= timed.trained  # reached at the first check
    assert 1.01 not in timed.reached  # never reached: never recorded
    assert timed.trained < wall / 3  # eight checks of 5,000 images, not counted


def test_the_busy_cpu_measure_runs_chapter_04s_loop_for_the_seconds_given():
    import torch

    from helpers.data import make_loader
    from helpers.model import Net

    benchmark = load_benchmark()
    x, y = torch.randn(64, 1, 28, 28), torch.randint(0, 10, (64,))
    loader = make_loader((x, y), batch_size=8)
    assert len(list(benchmark.ForSeconds(loader, 0.0))) == 1  # time is up after the first step
    assert len(list(benchmark.ForSeconds(loader, 0.0, sharing=False))) == 1
    net = Net()
    ns = {"net": net, "train_loader": loader, "optimizer": torch.optim.SGD(net.parameters(), 0.01)}
    before = [p.clone() for p in net.parameters()]
    assert benchmark.images_per_second(ns, 0.2) > 0
    assert any(not torch.equal(a, b) for a, b in zip(before, net.parameters()))  # it trained


def test_a_target_reached_in_a_later_epoch_counts_the_earlier_epochs_training():
    import torch

    from helpers.data import make_loader
    from helpers.model import Net

    benchmark = load_benchmark()
    x, y = torch.randn(64, 1, 28, 28), torch.randint(0, 10, (64,))
    big_test = (torch.randn(5000, 1, 28, 28), torch.randint(0, 10, (5000,)))
    timed = benchmark.TimedChecks(make_loader((x, y), batch_size=8), Net(), big_test,
                                  targets=(1.01,), every=8)
    list(timed)  # epoch 1: one costly check, its target never reached
    first_epoch = timed.trained
    timed.pending = [0.0]
    list(timed)  # epoch 2: reached at its check (fit calls iter() once per epoch)
    assert first_epoch <= timed.reached[0.0] <= timed.trained  # never negative, never the checks


def test_the_slowest_section_names_the_heading_where_a_chapter_spent_most():
    benchmark = load_benchmark()
    parts = {"start": 0.5, "setup": 2.0, "work": 9.9, "## Data": 0.2, "## Training": 9.5}
    assert benchmark.slowest_section(parts) == " (most in 'Training': 9.5)"
    assert benchmark.slowest_section({"start": 0.5, "work": 0.1}) == ""
    assert benchmark.slowest_section({"work": 0.1, "## Setup": 0.1}) == ""  # too little to name
