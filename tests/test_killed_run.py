"""A training run killed with SIGKILL keeps everything it logged up to its last flush."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap

from helpers.board import read_scalars, summary_rows

SCRIPT = textwrap.dedent("""
    import sys, torch
    from torch.utils.tensorboard import SummaryWriter
    from helpers.data import CLASSES, make_loader
    from helpers.model import Net
    from helpers.train import fit

    torch.manual_seed(0)
    x, y = torch.randn(64, 1, 28, 28), torch.randint(0, 10, (64,))
    net = Net()
    writer = SummaryWriter(sys.argv[1])  # flush_secs stays at its default 120 s: only fit's flushes count

    class Loader:  # endless epochs, printing after every logging interval
        def __iter__(self):
            for step, batch in enumerate(make_loader((x, y), batch_size=8), 1):
                yield batch
                if step % 4 == 0:
                    print("logged", flush=True)

    fit(net, Loader(), torch.optim.SGD(net.parameters(), 0.01), epochs=1000, writer=writer,
        log_every=4, figure_every=8, classes=CLASSES, progress=False)
""")


def test_sigkill_mid_epoch_keeps_what_was_flushed(tmp_path):
    run = tmp_path / "run"
    proc = subprocess.Popen([sys.executable, "-c", SCRIPT, str(run)], stdout=subprocess.PIPE, text=True)
    try:
        seen = 0
        while seen < 5:
            line = proc.stdout.readline()
            assert line, "the training script ended early"
            seen += line.startswith("logged")
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.stdout.close()
    assert proc.returncode == -signal.SIGKILL
    losses = read_scalars(run)["."]["loss/train"]
    assert len(losses) >= 5 and [s for s, _ in losses[:5]] == [4, 8, 12, 16, 20]
    images = [what for d, _, t, what in summary_rows(run) if d == "Images"]
    assert images and images[0].split()[0].isdigit() and int(images[0].split()[0]) >= 2
