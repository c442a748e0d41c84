"""helpers._runtime.threads: training keeps going on a busy CPU (fewer torch threads while others work)."""

from __future__ import annotations

import subprocess
import sys
import time

import psutil
import pytest
import torch

from helpers._runtime import threads
from helpers._runtime.threads import ThreadsForLoad
from helpers.data import make_loader
from helpers.model import Net
from helpers.train import fit


@pytest.fixture(autouse=True)
def torch_threads_restored():
    """Each test starts from torch's own thread count (not one the session's loaders lowered
    on a busy moment) and a fresh shared instance."""
    if threads._shared is not None:
        torch.set_num_threads(threads._shared.ceiling)
    before = torch.get_num_threads()
    threads._shared = None
    yield
    threads._shared = None
    torch.set_num_threads(before)


def busy_processes(n: int) -> list[subprocess.Popen]:
    """``n`` Python processes that each keep one core busy until killed."""
    return [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(n)]


def stop(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        process.kill()
        process.wait()


@pytest.mark.parametrize(("others", "expected"), [(0.0, 4), (0.4, 4), (1.0, 3), (2.6, 1), (7.0, 1)])
def test_threads_are_the_cores_that_other_processes_leave(monkeypatch, others, expected):
    torch.set_num_threads(4)
    share = ThreadsForLoad(every=0.0)
    monkeypatch.setattr(share, "_cores", 4)
    monkeypatch.setattr(share, "others_busy", lambda: others)
    assert share.adjust() == expected == torch.get_num_threads()


def test_a_count_the_learner_sets_is_never_raised(monkeypatch):
    torch.set_num_threads(2)
    share = ThreadsForLoad(every=0.0)
    monkeypatch.setattr(share, "others_busy", lambda: 0.0)
    torch.set_num_threads(1)  # e.g. chapter 06's small batches
    assert share.adjust() == 1 and share.ceiling == 1


def test_it_looks_at_the_cpu_at_most_every_few_seconds(monkeypatch):
    share = ThreadsForLoad(every=60.0)
    calls = []
    monkeypatch.setattr(share, "others_busy", lambda: calls.append(1) or 0.0)
    for _ in range(1000):
        share.adjust()
    assert calls == []


def test_busy_processes_are_seen_and_this_process_is_not():
    share = ThreadsForLoad()
    rises = []  # `make test`'s other worker may get busier meanwhile: up to three tries, the
    while len(rises) < 3 and min(rises, default=1.0) >= 0.6:  # least rise counts
        time.sleep(1.0)
        before = share.others_busy()
        start = time.process_time()
        while time.process_time() - start < 1.0:  # this process keeps a core busy itself
            pass
        rises.append(share.others_busy() - before)
    assert min(rises) < 0.6, f"this process's own second counted as others' ({rises})"
    hogs = busy_processes(2)
    try:
        time.sleep(1.5)
        assert share.others_busy() >= 1.0
    finally:
        stop(hogs)


def images_per_second(seconds: float) -> float:
    """Chapter 04's loop (`fit`: channels-last Net, Adam, batches of 128), one pass over 6,000
    images after another until ``seconds`` have passed."""
    torch.manual_seed(0)
    net = Net().to(memory_format=torch.channels_last)
    optimizer = torch.optim.Adam(net.parameters(), 1e-3)
    x, y = torch.randn(6000, 1, 28, 28), torch.randint(0, 10, (6000,))
    seen, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        seen += fit(net, make_loader((x, y), batch_size=128), optimizer, progress=False).images
    return seen / (time.perf_counter() - start)


@pytest.mark.skipif(psutil.cpu_count() > 8, reason="needs as many busy processes as cores")
def test_training_beside_busy_processes_beats_fixed_threads(monkeypatch):
    if torch.get_num_threads() < 2:
        pytest.skip("torch runs one thread here: nothing to share")
    hogs = busy_processes(psutil.cpu_count())
    try:
        time.sleep(0.5)
        shared = images_per_second(5.0)
        assert torch.get_num_threads() == 1  # it saw the busy processes
        torch.set_num_threads(threads._shared.ceiling)
        monkeypatch.setattr(threads, "adjust_threads", torch.get_num_threads)  # torch's default
        fixed = images_per_second(5.0)
    finally:
        stop(hogs)
    assert shared >= 1.5 * fixed, f"sharing {shared:,.0f} images/s, fixed threads {fixed:,.0f}"
