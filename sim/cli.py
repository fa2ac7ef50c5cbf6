"""The ``caseflow`` command: a thin dispatcher.

``caseflow [key=value ...]`` runs a forecast (``sim.commands.run``); ``caseflow <command> ...``
runs ``sim.commands.<command>``: ``compare`` (scenarios side by side), ``validate`` (the service
against the DfE's published figures), ``explain`` (the children behind a figure), ``target``
(posts needed for a target), ``report`` (a finished folder's reports), ``calibrate`` (a
council's service file from the DfE's tables) and ``backtest`` (calibrated on one year, scored on
the years after) and ``synth-extract`` (a fictional council's SSD extract); ``--help`` and
``--version`` answer at once.
Whatever happens, the command ends one of four ways: success (status 0); bad input (status
2, one sentence, nothing written); stopped by a signal (one line saying what was kept,
status 128 + the signal: 130 for Ctrl-C, 143 for SIGTERM); or a failure of the machine
(status 1, one sentence: a full disk, no memory).  Only a bug in caseflow shows a traceback.

This module imports nothing heavy at import time, so that a Ctrl-C in the first moments of a
run is caught like any other.
"""
from __future__ import annotations

import sys
from typing import Sequence

from . import signals

# caseflow <command> ...: each in its own module, sim/commands/<command>.py, with main(argv).
COMMANDS = ("compare", "validate", "explain", "target", "report", "calibrate", "backtest", "synth-extract")
EXIT_BAD_INPUT = 2
EXIT_FAILED = 1


def main(argv: Sequence[str] | None = None) -> None:
    """Console entry point for ``caseflow`` (raises ``SystemExit`` unless it succeeded)."""
    signals.reset()
    replaced = signals.install()
    try:
        _dispatch(list(sys.argv[1:] if argv is None else argv))
    except BaseException as e:  # noqa: BLE001 - every ending is decided here
        status = ending(e)
        if status is None:
            raise
        raise SystemExit(status) from None
    finally:
        if argv is None:  # the command itself: it has ended, and a late signal changes nothing
            signals.settle()
        else:  # called from Python (a test, a notebook): give back the caller's handlers
            signals.restore(replaced)


def _dispatch(argv: list[str]) -> None:
    if argv and argv[0] in COMMANDS:
        import importlib

        return importlib.import_module(f".commands.{argv[0].replace('-', '_')}", __package__).main(argv[1:])
    from .inputs.command_line import read

    cmd = read(argv)
    if cmd.help:
        from .commands.help import text

        print(text())
        return
    if cmd.version:
        from . import __version__

        print(f"caseflow {__version__}")
        return
    from .commands import run

    run.main(cmd, argv)


def ending(e: BaseException) -> int | None:
    """The exit status for an exception that ended a command, after saying why in one line;
    None for a bug (its traceback is shown)."""
    if isinstance(e, SystemExit):
        return e.code if isinstance(e.code, int) else (0 if e.code is None else EXIT_FAILED)
    stop = signals.interruption()
    if stop is not None or isinstance(e, KeyboardInterrupt):
        # A signal can surface as another error raised where it struck: the signal wins.
        stop = stop or signals.Interrupted()
        _say(f"interrupted by {stop.what}; nothing was written.")
        return stop.exit_status
    from .config import ConfigError
    from .inputs import InputError

    if isinstance(e, (InputError, ConfigError)):
        _say(str(e))
        return EXIT_BAD_INPUT
    if isinstance(e, BrokenPipeError):  # the output was closed (caseflow ... | head)
        return EXIT_FAILED
    if isinstance(e, MemoryError):
        _say("ran out of memory; run fewer replications at once (workers=1) or a shorter horizon")
        return EXIT_FAILED
    if isinstance(e, OSError):
        where = f" ({e.filename})" if getattr(e, "filename", None) else ""
        _say(f"could not read or write a file{where}: {e.strerror or type(e).__name__}")
        return EXIT_FAILED
    return None


def _say(message: str) -> None:
    try:
        print(f"caseflow: {message}", file=sys.stderr)
    except (OSError, ValueError):
        pass


if __name__ == "__main__":
    main()
