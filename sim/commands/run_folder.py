"""Holding a run's work folder while it runs: what is said on resuming, the progress bars, and
what is kept, and said, when the run is stopped or fails."""
from __future__ import annotations

import sys
from contextlib import contextmanager, nullcontext
from typing import Sequence

from .. import signals
from ..inputs import InputError
from ..parts import RunBusy, WorkFolder


@contextmanager
def working_in(folder: WorkFolder, replications: int, labels: Sequence[str | None] = (None,), quiet: bool = False):
    """Hold ``folder`` while the body runs; if it is stopped or fails, keep only whole parts.

    Stopped by a signal, it prints one line saying what was kept (unless ``quiet``) and exits
    with the signal's status (130 for Ctrl-C, 143 for SIGTERM); any other error is raised
    after the clean-up.
    """
    with signals.deferred():  # never a half-made folder or a lock without its run
        try:
            folder.open()
        except RunBusy as e:
            raise InputError(f"{str(e)[0].upper()}{str(e)[1:]}") from None
        except OSError as e:
            raise InputError(f"The run folder {folder.path} cannot be created ({e.strerror or type(e).__name__}): "
                             "choose another results_dir") from None
    try:
        yield
    except BaseException as e:
        with signals.deferred(raise_after=False):  # the clean-up is not cut short by a second signal
            folder.clean_temporaries()
            folder.release()
            kept = sum(len(folder.done(replications, label)) for label in labels)
            if kept == 0 and folder.published is None:
                folder.discard()
        stop = signals.interruption() or (signals.Interrupted() if isinstance(e, KeyboardInterrupt) else None)
        if stop is None or isinstance(e, SystemExit):
            raise
        if not quiet:
            print(f"caseflow: {stopped_line(stop, folder, kept, replications * len(labels))}", file=sys.stderr)
        raise SystemExit(stop.exit_status) from None


def stopped_line(stop: signals.Interrupted, folder: WorkFolder, kept: int, total: int) -> str:
    """One line: what stopped the run and what it kept."""
    if folder.published is not None:
        return f"interrupted by {stop.what} after the run was written: Results: {folder.published}."
    if kept:
        return (f"interrupted by {stop.what}; {kept} of {total} replications are kept in {folder.path}: run the same "
                "command again to resume.")
    return f"interrupted by {stop.what}; no partial results were kept."


def say_resuming(folder: WorkFolder, replications: int, labels: Sequence[str | None] = (None,)) -> None:
    kept = sum(len(folder.done(replications, label)) for label in labels)
    if kept:
        print(f"caseflow: resuming: {kept} of {replications * len(labels)} replications are already written in "
              f"{folder.path}; only the rest are simulated.", file=sys.stderr)


class _Silent:
    """Progress bars that show nothing (runs inside a parallel sweep)."""

    def add_task(self, *args, **kwargs) -> int:
        return 0

    def advance(self, *args, **kwargs) -> None:
        pass

    def reset(self, *args, **kwargs) -> None:
        pass


def progress_bars(quiet: bool = False):
    """Rich progress bars on standard error (bar, count, elapsed and remaining time)."""
    if quiet:
        return nullcontext(_Silent())
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

    console = Console(file=sys.stderr)
    # Not on a terminal (a log file, a pipe): no bars, so nothing but messages reaches the file.
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    TimeRemainingColumn(), transient=True, console=console, disable=not console.is_terminal)
