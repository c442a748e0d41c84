"""helpers._runtime.checksums: event files checked in C give the same checksums, the same files and
the same reading, a damaged record included, as TensorBoard's own pure-Python code."""

import json
import os
import subprocess
import sys

import torch
from tensorboard.compat.tensorflow_stub import pywrap_tensorflow as tensorboard_stub
from tensorboard.summary.writer import record_writer
from torch.utils.tensorboard import SummaryWriter

from helpers._runtime.checksums import masked_crc32c, use_fast_checksums
from helpers.board import event_files, load_run

# Reads a run's scalars with TensorBoard's own code only: a fresh Python, no helpers imported.
READ_WITH_TENSORBOARD = """
import json, sys
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
acc = EventAccumulator(sys.argv[1], size_guidance={"scalars": 0, "histograms": 0})
acc.Reload()
print(json.dumps({tag: [[e.step, e.value] for e in acc.Scalars(tag)] for tag in acc.Tags()["scalars"]}
                 | {"histograms": acc.Tags()["histograms"]}))
"""


def tensorboard_masked_crc32c(data: bytes) -> int:
    """TensorBoard's pure-Python CRC-32C, masked as event files store it."""
    x = tensorboard_stub.crc32c(data)
    return tensorboard_stub.u32(((x >> 15) | tensorboard_stub.u32(x << 17)) + 0xA282EAD8)


def read_here(run) -> dict:
    acc = load_run(run)
    return {tag: [[e.step, e.value] for e in acc.Scalars(tag)] for tag in acc.Tags()["scalars"]} | {
        "histograms": acc.Tags()["histograms"]}


def read_with_tensorboard(run) -> dict:
    proc = subprocess.run([sys.executable, "-c", READ_WITH_TENSORBOARD, str(run)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout)


def write_run(run, points: int = 6) -> None:
    with SummaryWriter(str(run)) as writer:
        for step in range(points):
            writer.add_scalar("loss", 1.0 / (step + 1), step)
            writer.add_histogram("weights", torch.linspace(-1, 1, 50) * step, step)


def test_the_checksum_is_crc32c_as_tensorboard_computes_it():
    assert tensorboard_stub.crc32c(b"123456789") == 0xE3069283  # the standard CRC-32C check value
    for data in [b"", b"123456789", os.urandom(1), os.urandom(7), os.urandom(4096), bytes(100_000)]:
        assert masked_crc32c(data) == tensorboard_masked_crc32c(data)


def test_tensorboards_reader_and_writer_use_it_once_helpers_board_is_imported():
    assert tensorboard_stub.masked_crc32c is masked_crc32c  # helpers.board, imported above
    assert record_writer.masked_crc32c is masked_crc32c
    assert use_fast_checksums() is True  # and again: harmless
    assert tensorboard_stub.masked_crc32c is masked_crc32c


def test_a_run_written_here_reads_the_same_with_tensorboards_own_code(tmp_path):
    write_run(tmp_path / "run")
    here, there = read_here(tmp_path / "run"), read_with_tensorboard(tmp_path / "run")
    assert here == there
    assert [step for step, _ in here["loss"]] == list(range(6)) and here["histograms"] == ["weights"]


def test_a_damaged_record_is_still_caught_as_tensorboard_catches_it(tmp_path):
    write_run(tmp_path / "run")
    path = event_files(tmp_path / "run")[0]
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF  # one flipped byte in the middle of the file
    path.write_bytes(bytes(data))
    here, there = read_here(tmp_path / "run"), read_with_tensorboard(tmp_path / "run")
    assert here == there
    assert len(here["loss"]) < 6  # the records from the damaged one on are not read


def test_without_the_crc32c_package_tensorboards_own_code_is_used(tmp_path):
    code = ("import sys; sys.modules['crc32c'] = None  # as if it were not installed\n"
            "from helpers.board import load_run\n"
            "from helpers._runtime.checksums import use_fast_checksums\n"
            "from torch.utils.tensorboard import SummaryWriter\n"
            "with SummaryWriter(sys.argv[1]) as w: w.add_scalar('loss', 0.5, 1)\n"
            "print(use_fast_checksums(), len(load_run(sys.argv[1]).Scalars('loss')))\n")
    proc = subprocess.run([sys.executable, "-c", code, str(tmp_path / "run")],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.split() == ["False", "1"]
