"""TensorBoard, as the course starts it: on 127.0.0.1 only, around a taken port and dead records,
saying what it did, and leaving no process behind."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
from torch.utils.tensorboard import SummaryWriter

from coursetools.course import REPO
from coursetools.tensorboard import TensorBoard
from helpers._runtime.servers import free_port, tensorboard_answers
from helpers.inline import prepare_tensorboard_magic

pytestmark = pytest.mark.server



@pytest.fixture
def logdir(tmp_path):
    with SummaryWriter(str(tmp_path / "runs" / "demo")) as writer:
        writer.add_scalar("loss", 1.0, 0)
    return tmp_path / "runs"


def listening_addresses(port: int) -> set[str]:
    """The local addresses with a socket listening on ``port`` (IPv4 and IPv6), from /proc."""
    addresses = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, hex_port = local.split(":")
            if state == "0A" and int(hex_port, 16) == port:  # 0A: LISTEN
                addresses.add(address)
    return addresses


def test_tensorboard_listens_on_localhost_only(tensorboard_server):
    # 0100007F is 127.0.0.1 (little-endian hex); 0.0.0.0 or :: would mean every network
    assert listening_addresses(tensorboard_server.port) == {"0100007F"}


def test_the_course_never_binds_tensorboard_to_every_network():
    code = [*(REPO / "helpers").glob("*.py"), REPO / "Makefile", REPO / ".ci" / "run"]
    for path in code:
        text = path.read_text()
        assert "bind_all" not in text and "0.0.0.0" not in text, path
    assert "--bind_all" in (REPO / "README.md").read_text()  # only to say: never
    assert "-L 6006:127.0.0.1:6006" in (REPO / "README.md").read_text()  # the SSH tunnel instead


def test_a_taken_port_is_avoided_and_said(logdir, capsys):
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", 0))
        blocker.listen()
        taken = blocker.getsockname()[1]
        with TensorBoard(logdir, port=taken) as board:
            said = capsys.readouterr().out
            assert board.port != taken and tensorboard_answers(board.port)
            assert f"Port {taken} is taken" in said and f"uses port {board.port} instead" in said
            assert board.url in said


@pytest.mark.parametrize("starter", ["TensorBoard", "prepare_tensorboard_magic"])
def test_a_dead_tensorboards_record_is_forgotten_and_said(logdir, capsys, starter):
    from tensorboard import manager

    first = TensorBoard(logdir, port=free_port(0), quiet=True)
    try:
        first.process.kill()  # dies hard: no time to remove its record
        first.process.wait(timeout=10)
        recorded = [info.pid for info in manager.get_all()]
        assert first.process.pid in recorded, "the killed TensorBoard left no record behind"
        said_forgotten = rf"Forgot \d+ record\(s\) of TensorBoards that no longer run " \
                         rf"\(port\(s\) [\d, ]*\b{first.port}\b"
        if starter == "prepare_tensorboard_magic":  # what the chapters run before %tensorboard
            assert first.port in prepare_tensorboard_magic()
            assert re.search(said_forgotten, capsys.readouterr().out)
        else:
            with TensorBoard(logdir, port=first.port) as second:
                said = capsys.readouterr().out
                assert re.search(said_forgotten, said), said
                assert tensorboard_answers(second.port)
                recorded = [info.pid for info in manager.get_all()]
                assert second.process.pid in recorded
        assert first.process.pid not in [info.pid for info in manager.get_all()]
    finally:
        first.stop()


def test_stop_leaves_no_process_and_no_record(logdir):
    from tensorboard import manager

    board = TensorBoard(logdir, port=0, quiet=True)
    assert board.process.pid in board.processes()
    board.stop()
    assert board.processes() == [] and board.process.poll() is not None
    assert board.process.pid not in [info.pid for info in manager.get_all()]


def test_a_tensorboard_left_running_stops_when_python_exits(logdir):
    code = ("from coursetools.tensorboard import TensorBoard\n"
            f"board = TensorBoard({str(logdir)!r}, port=0, quiet=True)\n"
            "print(board.process.pid, board.port, flush=True)\n")  # exits without stop()
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                         check=True).stdout
    pid, port = map(int, out.split())
    time.sleep(0.5)
    left = [p for p in psutil.process_iter(["cmdline"])
            if str(logdir) in " ".join(p.info["cmdline"] or [])]
    assert left == [] and not tensorboard_answers(port) and not psutil.pid_exists(pid)


def test_stop_also_ends_what_a_killed_server_left_behind(logdir):
    board = TensorBoard(logdir, port=0, quiet=True)
    family = board.processes()  # TensorBoard and its data server
    board.process.kill()  # the server dies hard; its child lives on, orphaned
    board.process.wait(timeout=10)
    board.stop()
    left = [pid for pid in family if psutil.pid_exists(pid)
            and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE]
    assert left == [], f"processes {left} of a killed TensorBoard survived stop()"
