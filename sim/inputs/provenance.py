"""Where each parameter's value comes from, read from the comments of the files that set it.

The service and scenario files mark every value (``configs/service/nottingham.yaml``):
``R`` a published figure, ``D`` derived from published figures, ``E`` an estimate (an
assumption to replace with local data).  A value's marker is the one on its own line, else
the one opening the comment block just above it, else its parent's.  The assumptions table
lists every parameter of a run's service with its value, its kind and the comment that says
why, from the file that set it last (command line, then scenario file, then service file).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Iterator

from .schema import dotted

KINDS = {"R": "published", "D": "derived", "E": "estimated"}
SET_ON_COMMAND_LINE = "set on the command line"
NOT_MARKED = "not marked"
DEFAULT = "schema default"
_MARK = re.compile(r"#\s*([RDE])\s*[:;(]")           # "# E: ...", "# E; R: ...", "# E (assumption) ..."
_IN_TEXT = re.compile(r"(?:^|[.!?]\s+)([RDE]):")        # "... no council publishes them.  E: the shares"


@dataclass(frozen=True)
class Marked:
    kind: str     # published | derived | estimated | not marked | ...
    note: str     # the comment that says where the value comes from


def _comment(line: str) -> str | None:
    """The comment on a line (text after a '#' that is not inside quotes), or None."""
    quote = None
    for i, ch in enumerate(line):
        if quote:
            if ch == quote:
                quote = None
        elif ch in "'\"":
            quote = ch
        elif ch == "#" and (i == 0 or line[i - 1] in " \t"):
            return line[i:]
    return None


def _marker(comment: str) -> str | None:
    m = _MARK.match(comment.strip() + " ")
    return KINDS[m.group(1)] if m else None


def _note(lines: list[str]) -> str:
    text = " ".join(re.sub(r"^\s*#\s?", "", c).strip() for c in lines)
    return re.sub(r"\s+", " ", text).strip()


def markers(text: str, marks: dict[tuple, tuple[int, int]]) -> dict[tuple, Marked]:
    """Each key path of a file (``marks``: its 1-based line) -> its own marker, where it has one."""
    lines = text.splitlines()
    out: dict[tuple, Marked] = {}
    for path, (line_no, _col) in marks.items():
        if not path or line_no - 1 >= len(lines):
            continue
        own = _comment(lines[line_no - 1])
        if own and _marker(own):
            out[path] = Marked(_marker(own), _note([own]))
            continue
        block: list[str] = []  # the comment lines just above, nearest last
        k = line_no - 2
        while k >= 0 and lines[k].strip().startswith("#"):
            block.insert(0, lines[k])
            k -= 1
        # the block's marked paragraph nearest the key: from its last line that opens with a marker
        starts = [i for i, c in enumerate(block) if _marker(c)]
        if starts:
            out[path] = Marked(_marker(block[starts[-1]]), _note(block[starts[-1]:]))
        elif block and (m := _IN_TEXT.search(_note(block))):
            out[path] = Marked(KINDS[m.group(1)], _note(block))
    return out


def marker_for(path: tuple, own: dict[tuple, Marked]) -> Marked | None:
    """The marker of ``path``: its own, else its nearest marked ancestor's."""
    for n in range(len(path), 0, -1):
        if path[:n] in own:
            return own[path[:n]]
    return None


def leaves(tree: Any, prefix: tuple = ()) -> Iterator[tuple[tuple, Any]]:
    """Every parameter of a plain config tree: (path, value); a list of plain values is one value."""
    if isinstance(tree, dict):
        if not tree:
            yield prefix, "{}"
        for k, v in tree.items():
            yield from leaves(v, (*prefix, k))
    elif isinstance(tree, list) and any(isinstance(v, (dict, list)) for v in tree):
        for i, v in enumerate(tree):
            yield from leaves(v, (*prefix, i))
    else:
        yield prefix, tree


def _shown(value: Any) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(_shown(v) for v in value) + "]"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _set_on_command_line(path: tuple, settings: list[str]) -> bool:
    for s in settings:
        key = s.split("=", 1)[0].lstrip("+~")
        if key in ("service", "scenario", "hydra/launcher") or key.startswith("hydra"):
            continue  # chooses a file (its values are the file's), or how a sweep runs
        parts = tuple(int(p) if p.isdigit() else p for p in key.split("."))
        n = min(len(parts), len(path))
        if parts[:n] == path[:n]:
            return True
    return False


def assumptions(service: dict, sources: dict, settings: list[str]) -> list[dict[str, str]]:
    """One row per parameter of the run's ``service`` (a plain dict): parameter, value, kind,
    where it was set and the note that says why.

    ``sources`` are the composed run's files (``sim.inputs.compose.Source`` by kind:
    ``service``, ``scenario``, ``config``); ``settings`` the command line's, as typed."""
    own = {}
    for kind, prefix in (("scenario", ()), ("service", ("service",))):
        src = sources.get(kind)
        if src is not None and src.text:
            own[kind] = (prefix, src, markers(src.text, src.doc.marks))
    rows = []
    for rel, value in leaves(service):
        if value is None and _distribution_field(service, rel):
            continue  # a field the distribution's kind does not use (sd of an exponential, say)
        path = ("service", *rel)
        row = {"parameter": dotted(path), "value": _shown(value)}
        if _set_on_command_line(path, settings):
            row.update(kind=SET_ON_COMMAND_LINE, set_in="command line", note="")
        else:
            for kind in ("scenario", "service"):
                if kind not in own:
                    continue
                prefix, src, marked = own[kind]
                local = path[len(prefix):] if path[: len(prefix)] == prefix else None
                if local is None or not _in_file(local, src.doc.marks):
                    continue
                m = marker_for(local, marked)
                row.update(kind=m.kind if m else NOT_MARKED, set_in=f"{kind} file {src.doc.shown}",
                           note=m.note if m else "")
                break
            else:
                row.update(kind=DEFAULT, set_in="sim/config.py", note="")
        rows.append(row)
    return rows


def _in_file(path: tuple, marks: dict) -> bool:
    """Whether the file sets ``path`` (every value a file holds has its position in ``marks``)."""
    return path in marks


def _distribution_field(tree: dict, path: tuple) -> bool:
    parent = tree
    for p in path[:-1]:
        parent = parent[p]
    return isinstance(parent, dict) and "kind" in parent and "unit" in parent
