"""Bad input as one plain sentence: what was wrong, where, and what is allowed."""
from __future__ import annotations

import difflib
import re
from typing import Iterable

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class InputError(ValueError):
    """An input caseflow refuses; ``str()`` is one sentence naming the key, file or line.

    Raised by everything that reads what a user typed or wrote (the command line, scenario and
    service files, output folders); the command turns it into exit status 2 with nothing
    written.
    """

    def __init__(self, sentence: str):
        sentence = " ".join(_CONTROL.sub(" ", sentence).split())
        super().__init__(sentence if sentence.endswith((".", "?", "!")) else sentence + ".")


def shown(value: object, limit: int = 60) -> str:
    """A value as it may be echoed back in a message: one line, at most ``limit`` characters."""
    text = _CONTROL.sub(" ", str(value))
    return text if len(text) <= limit else text[: limit - 1] + "…"


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """``"; did you mean 'x'"`` for a near miss among ``choices`` (case-insensitive), else ``""``."""
    choices = list(choices)
    lowered = {c.lower(): c for c in choices}
    if word.lower() in lowered and lowered[word.lower()] != word:
        return f"; did you mean '{lowered[word.lower()]}'"
    close = difflib.get_close_matches(word.lower(), list(lowered), n=1, cutoff=0.75)
    return f"; did you mean '{lowered[close[0]]}'" if close else ""


def listing(names: Iterable[str], limit: int = 30) -> str:
    """``a, b, c`` (the first ``limit`` names, then how many more)."""
    names = list(names)
    text = ", ".join(names[:limit])
    return text + (f" and {len(names) - limit} more" if len(names) > limit else "")
