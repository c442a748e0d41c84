"""Chapter 00's exercises, solved."""

from datetime import datetime

from torch.utils.tensorboard import SummaryWriter

from helpers.board import event_files
from helpers.paths import course_dir


def exercise_1() -> None:
    """setup/cube (step³) in a new run: TensorBoard's run selector lists both runs."""
    run_dir = course_dir() / "runs" / "00_setup" / f"{datetime.now():%Y%m%d-%H%M%S}-cube"
    with SummaryWriter(log_dir=run_dir) as writer:
        for step in range(10):
            writer.add_scalar("setup/cube", step**3, step)


def exercise_2() -> None:
    """A write after close() opens a second event file in the same folder."""
    run_dir = course_dir() / "runs" / "00_setup" / f"{datetime.now():%Y%m%d-%H%M%S}-reopened"
    writer = SummaryWriter(log_dir=run_dir)
    writer.add_scalar("setup/reopened", 1.0, 0)
    writer.close()
    writer.add_scalar("setup/reopened", 2.0, 1)  # reopens: a second event file
    writer.close()
    print(len(event_files(writer.log_dir)), "event files")
    # TensorBoard reads every event file of a folder as one run, so it still draws one line;
    # the steps just have to differ, or the points overlap.
