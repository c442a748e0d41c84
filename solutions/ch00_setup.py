"""Chapter 00's exercises, solved."""

from helpers.board import event_files, make_writer


def exercise_1() -> None:
    """setup/cube (step³) in a new run: TensorBoard's run selector lists both runs."""
    with make_writer("00_setup") as writer:
        for step in range(10):
            writer.add_scalar("setup/cube", step**3, step)


def exercise_2() -> None:
    """A write after close() opens a second event file in the same folder."""
    writer = make_writer("00_setup")
    writer.add_scalar("setup/reopened", 1.0, 0)
    writer.close()
    writer.add_scalar("setup/reopened", 2.0, 1)  # reopens: a second event file
    writer.close()
    print(len(event_files(writer.log_dir)), "event files")
    # TensorBoard reads every event file of a folder as one run, so it still draws one line;
    # the steps just have to differ, or the points overlap.
