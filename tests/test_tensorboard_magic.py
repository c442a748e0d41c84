"""%tensorboard in a real Jupyter kernel: it answers on 127.0.0.1, and dead records are not reused."""

from __future__ import annotations

import os
import signal
import sys
import time
import urllib.request

import pytest
from jupyter_client.manager import start_new_kernel
from torch.utils.tensorboard import SummaryWriter

from helpers.server import free_port, stop_tensorboards


def run_cell(client, code: str, timeout: float = 90) -> str:
    """Execute ``code`` in the kernel and return everything it printed or displayed."""
    msg_id = client.execute(code)
    out = []
    while True:
        msg = client.get_iopub_msg(timeout=timeout)
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        kind, content = msg["msg_type"], msg["content"]
        if kind == "stream":
            out.append(content["text"])
        elif kind in ("display_data", "update_display_data", "execute_result"):
            out.extend(str(value) for value in content["data"].values())
        elif kind == "error":
            raise AssertionError(f"{content['ename']}: {content['evalue']}")
        elif kind == "status" and content["execution_state"] == "idle":
            return "".join(out)


@pytest.fixture
def kernel(tmp_path):
    env = dict(os.environ, PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ["PATH"])
    manager, client = start_new_kernel(kernel_name="python3", cwd=str(tmp_path), env=env)
    try:
        yield client
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)
        stop_tensorboards(under=tmp_path)  # only this test's, not the session's shared server


def answers(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/data/plugins_listing", timeout=2) as r:
            return r.status == 200
    except OSError:
        return False


def wait_until_answering(port: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not answers(port) and time.monotonic() < deadline:
        time.sleep(0.5)


def pid_on(port: int) -> int:
    from tensorboard import manager

    return next(info.pid for info in manager.get_all() if info.port == port)


def test_tensorboard_magic_starts_on_localhost_and_dead_records_are_forgotten(kernel, tmp_path):
    logdir = tmp_path / "runs"
    with SummaryWriter(str(logdir / "demo")) as w:
        w.add_scalar("loss", 1.0, 0)
    port = free_port(free_port(6006) + 1)
    run_cell(kernel, "%load_ext tensorboard\nfrom helpers.server import prepare_tensorboard_magic")
    magic = f"%tensorboard --logdir {logdir} --host 127.0.0.1 --port {port}"

    out = run_cell(kernel, f"prepare_tensorboard_magic()\n{magic}")
    assert "127.0.0.1" in out or str(port) in out
    wait_until_answering(port)
    assert answers(port), "TensorBoard started by %tensorboard did not answer on 127.0.0.1"

    # A TensorBoard that dies hard leaves its record behind ...
    os.kill(pid_on(port), signal.SIGKILL)
    time.sleep(1)
    assert not answers(port)
    # ... which the plain magic would reuse (an empty frame for the learner):
    assert "Reusing TensorBoard" in run_cell(kernel, magic)
    # the course's preparation forgets it, so the magic starts a live one again
    out = run_cell(kernel, f"print(prepare_tensorboard_magic())\n{magic}")
    assert f"[{port}]" in out and "Reusing" not in out
    wait_until_answering(port)
    assert answers(port)
