"""Stopping cleanly on Ctrl-C (SIGINT), SIGTERM or SIGHUP, at any moment, start-up included.

``install()`` turns each of those signals into ``Interrupted``, a ``KeyboardInterrupt``, so
that the clean-up caseflow (and every library it uses) does for Ctrl-C also runs for a
``kill`` or a closed terminal.  Only the first signal is raised: a second one, arriving while
that clean-up runs, is noted and otherwise ignored, so the clean-up itself is never cut short.
The command then says in one line what it kept and exits with status 128 + the signal's number
(130 for SIGINT, 143 for SIGTERM, 129 for SIGHUP).

Worker processes take no part: they start with these signals blocked (``blocked()`` around the
start, inherited through ``exec``), ignore SIGINT and SIGHUP (``in_worker()``), and are ended
by the process that started them.  Ctrl-C in a terminal reaches every process of the group, so
without this each worker would print its own traceback.
"""
from __future__ import annotations

import os
import signal
import threading
from contextlib import contextmanager

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
_NAMES = {signal.SIGINT: "Ctrl-C (SIGINT)", signal.SIGTERM: "SIGTERM", signal.SIGHUP: "SIGHUP"}

_received: int | None = None
_deferring = 0
_settled = False


class Interrupted(KeyboardInterrupt):
    """A stop signal, raised in the main thread where it arrived."""

    def __init__(self, signum: int = signal.SIGINT):
        super().__init__(signum)
        self.signum = signum

    @property
    def exit_status(self) -> int:
        return 128 + self.signum

    @property
    def what(self) -> str:
        return _NAMES.get(self.signum, f"signal {self.signum}")


def install(signals: tuple[int, ...] = STOP_SIGNALS) -> dict[int, object]:
    """Raise ``Interrupted`` on the first of ``signals`` (those already ignored stay ignored:
    ``nohup`` and background jobs set that on purpose).  Returns the handlers it replaced."""
    old: dict[int, object] = {}
    for signum in signals:
        current = signal.getsignal(signum)
        if current is signal.SIG_IGN:
            continue
        signal.signal(signum, _on_signal)
        old[signum] = current
    return old


def restore(old: dict[int, object]) -> None:
    """Put back the handlers ``install`` replaced (after a command run from Python, e.g. a test)."""
    for signum, handler in old.items():
        signal.signal(signum, handler)


_pending = False  # a signal noted inside the import machinery, sent again to raise it


def _on_signal(signum: int, frame) -> None:
    global _received, _pending
    if _settled or (_received is not None and not _pending):
        return  # already ended, or already stopping (let the clean-up under way finish)
    _received = signum
    if _deferring:
        return
    if frame is not None and _exceptions_ignored_in(frame):
        # Python can run the handler inside a weak-reference callback or a finaliser (the import
        # system's, a WeakKeyDictionary's, an object's __del__), where an exception is printed as
        # "Exception ignored" and dropped: send the signal again a moment later, to be raised
        # where it can be caught.
        _pending = True
        timer = threading.Timer(0.02, os.kill, (os.getpid(), signum))
        timer.daemon = True
        timer.start()
        return
    _pending = False
    raise Interrupted(signum)


def _exceptions_ignored_in(frame) -> bool:
    """Whether ``frame`` is code whose exceptions Python prints and drops (weakref callbacks,
    finalisers), judged from the frame and its two callers."""
    for _ in range(3):
        if frame is None:
            return False
        code = frame.f_code
        if (code.co_filename.startswith("<frozen importlib") or code.co_name == "__del__"
                or code.co_filename.endswith(("weakref.py", "_weakrefset.py"))):
            return True
        frame = frame.f_back
    return False


def received() -> int | None:
    """The stop signal received so far, if any (to tell an interruption from a real error)."""
    return _received


def interruption() -> Interrupted | None:
    return Interrupted(_received) if _received is not None else None


def reset() -> None:
    """Forget a received signal (for tests that run several commands in one process)."""
    global _received, _settled, _pending
    _received, _settled, _pending = None, False, False


def settle() -> None:
    """The command has ended and said so: a signal from now until the process exits is ignored
    (putting Python's own handlers back here would turn a late Ctrl-C into a traceback)."""
    global _settled
    _settled = True


@contextmanager
def deferred(raise_after: bool = True):
    """A step that must not be cut in two (renaming a finished run into place, cleaning up after
    an interruption): a signal arriving meanwhile is noted, and raised when the step is done
    (unless ``raise_after`` is false: the caller checks ``received()`` itself)."""
    global _deferring
    _deferring += 1
    try:
        yield
    finally:
        _deferring -= 1
    if raise_after and not _deferring and _received is not None:
        raise Interrupted(_received)


@contextmanager
def blocked(signals: tuple[int, ...] = STOP_SIGNALS):
    """Hold ``signals`` back while child processes start (they inherit the mask, so none can be
    interrupted before it has set its own handling); any that arrive are delivered at the end."""
    old = signal.pthread_sigmask(signal.SIG_BLOCK, signals)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


def in_worker() -> None:
    """In a worker process: ignore Ctrl-C and SIGHUP (the parent ends us), die on SIGTERM."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)
