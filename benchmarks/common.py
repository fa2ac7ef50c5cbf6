"""What the benchmark scripts share: the machine's description, the code's version, and
replacing a script's own section of docs/performance.md."""
from __future__ import annotations

import os
import platform
from importlib import import_module
from pathlib import Path


def machine(packages: tuple[str, ...] = ("simpy", "numpy", "pandas", "pyarrow")) -> dict:
    """Platform, CPU count, Python and the versions of ``packages``."""
    versions = ", ".join(f"{name} {import_module(name).__version__}" for name in packages)
    return {
        "platform": platform.platform(),
        "cpu": platform.processor() or platform.machine(),
        "cpus": os.cpu_count(),
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "versions": versions,
    }


def code_version(repo: Path) -> str:
    """The checkout's commit, and whether it had uncommitted changes (the figures are for the working tree)."""
    from sim.report import git_commit

    g = git_commit(repo)
    dirty = {True: "with uncommitted changes", False: "clean", None: "state unknown"}[g["dirty"]]
    return f"commit {str(g['commit'])[:12]} ({dirty})"


def write_section(section: str, path: Path, begin: str, end: str, intro: str = "# Performance\n") -> None:
    """Replace the text between ``begin`` and ``end`` in ``path`` (or add it before "## Notes",
    or at the end), writing a temporary file and renaming it."""
    text = path.read_text() if path.exists() else intro
    if begin in text and end in text:
        before, rest = text.split(begin, 1)
        after = rest.split(end, 1)[1]
        text = before + section.rstrip("\n") + after
    elif "\n## Notes" in text:
        before, after = text.split("\n## Notes", 1)
        text = before.rstrip("\n") + "\n\n" + section + "\n## Notes" + after
    else:
        text = text.rstrip("\n") + "\n\n" + section
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(text)
    tmp.replace(path)
