"""Sharing the CPU: fewer torch threads while other programs keep its cores busy.

torch runs each operation on several threads (`torch.get_num_threads()`, one per core),
and they spin while they wait for each other. On a quiet machine that is fastest. When
other programs keep the cores busy (a browser, TensorBoard reloading, another notebook, a
free Colab runtime's neighbours), a thread that lost its core holds up all the others, and
training gets several times slower than the lost share of the CPU explains. One thread
that does not wait for anyone keeps going at the speed of the cores that are left.

The course's loaders (`helpers.data.make_loader`) call `ThreadsForLoad.adjust` on every
batch; it looks at the CPU at most twice a second and never raises the count above what it
found (so `torch.set_num_threads(1)` in a chapter stays 1).

>>> share = ThreadsForLoad(every=0.0)
>>> 1 <= share.adjust() <= share.ceiling
True
"""

from __future__ import annotations

import time

import psutil
import torch
from torch.utils.data import DataLoader


def _busy_and_total(times) -> tuple[float, float]:
    """Busy and total CPU seconds, summed over every core, from `psutil.cpu_times()`."""
    fields = times._asdict()
    guest = fields.get("guest", 0.0) + fields.get("guest_nice", 0.0)  # already counted in user/nice
    total = sum(fields.values()) - guest
    idle = fields.get("idle", 0.0) + fields.get("iowait", 0.0)
    return total - idle, total


class ThreadsForLoad:
    """Sets torch's thread count to the cores that other processes leave free.

    Args:
        every: seconds between two looks at the CPU.
    """

    def __init__(self, every: float = 0.5) -> None:
        self.every = every
        self.ceiling = torch.get_num_threads()
        self._chosen = self.ceiling
        self._me = psutil.Process()
        self._cores = psutil.cpu_count() or 1
        self._last = self._sample()

    def _sample(self) -> tuple[float, float, float, float]:
        mine = self._me.cpu_times()
        busy, total = _busy_and_total(psutil.cpu_times())
        return time.monotonic(), busy, total, mine.user + mine.system

    def others_busy(self) -> float:
        """Cores that other processes kept busy since the last call (0.0 = a quiet machine)."""
        now = self._sample()
        (then, busy0, total0, mine0), self._last = self._last, now
        wall = now[0] - then
        if wall <= 0 or now[2] <= total0:
            return 0.0
        all_cores = self._cores * (now[1] - busy0) / (now[2] - total0)
        return max(0.0, all_cores - (now[3] - mine0) / wall)

    def adjust(self) -> int:
        """Look at the CPU if `every` seconds have passed; set and return torch's threads."""
        if time.monotonic() - self._last[0] < self.every:
            return self._chosen
        current = torch.get_num_threads()
        if current != self._chosen:  # someone else set it: that is the new ceiling
            self.ceiling = current
        free = round(self._cores - self.others_busy())
        self._chosen = max(1, min(self.ceiling, free))
        if self._chosen != current:
            torch.set_num_threads(self._chosen)
        return self._chosen


_shared: ThreadsForLoad | None = None


def adjust_threads() -> int:
    """`ThreadsForLoad.adjust` on the one instance for this process (threads are per process).

    >>> adjust_threads() >= 1
    True
    """
    global _shared
    if _shared is None:
        _shared = ThreadsForLoad()
    return _shared.adjust()


class SharingLoader(DataLoader):
    """A `DataLoader` that fits torch's threads to a busy CPU as it goes (`adjust_threads`)."""

    def __iter__(self):
        for batch in super().__iter__():
            adjust_threads()
            yield batch
