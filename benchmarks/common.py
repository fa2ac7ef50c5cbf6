"""What the benchmark scripts share: the machine's description, the code's version, and
replacing a script's own section of docs/performance.md."""
from __future__ import annotations

import os
import platform
import sys
from importlib import import_module
from pathlib import Path
from typing import Callable


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


def publish(args, argv, script: str, section: Callable[[str], str], begin: str, end: str) -> None:
    """Write the script's section into ``args.doc`` unless ``--no-doc``, or ``--quick`` without
    ``--write-doc``; the section records the command that produced it."""
    if args.no_doc or (args.quick and not args.write_doc):
        print("docs not updated" + (" (--quick; add --write-doc to force)" if args.quick and not args.no_doc else ""))
        return
    given = argv if argv is not None else sys.argv[1:]
    command = f"python benchmarks/{script}" + (" " + " ".join(given) if given else "")
    write_section(section(command), args.doc, begin, end)
    print(f"wrote {args.doc}")
