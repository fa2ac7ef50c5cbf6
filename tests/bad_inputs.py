"""Running ``caseflow`` on bad input and checking that it ends as promised.

Every refusal must be: exit status 2, exactly one line on standard error (starting
``caseflow: ``), no traceback, nothing on standard output, and nothing written anywhere under
the working folder (the folder's listing is the same before and after).
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from sim.cli import main


def listing(root: Path) -> set[str]:
    """Every file and folder under ``root`` (relative paths), to prove nothing was written."""
    return {str(p.relative_to(root)) for p in root.rglob("*")}


def refused(argv: list[str], root: Path, capsys) -> str:
    """Run ``caseflow argv`` in ``root``; assert it was refused cleanly; return the message."""
    before = listing(root)
    cwd = os.getcwd()
    os.chdir(root)
    try:
        with pytest.raises(SystemExit) as ended:
            main(argv)
    finally:
        os.chdir(cwd)
    out, err = capsys.readouterr()
    lines = err.strip().splitlines()
    assert ended.value.code == 2, (argv, ended.value.code, err)
    assert len(lines) == 1 and lines[0].startswith("caseflow: "), (argv, err)
    assert "Traceback" not in err and not out.strip(), (argv, out, err)
    assert listing(root) == before, (argv, listing(root) - before)
    return lines[0]


def exit_status(argv: list[str]) -> int:
    """Run ``caseflow argv`` in this process and return its exit status (0 if it returned)."""
    try:
        main(argv)
    except SystemExit as e:
        return int(e.code or 0)
    return 0
