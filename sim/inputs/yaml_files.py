"""Reading a user's YAML file as data, and nothing but data.

Scenario and service files are what analysts copy and share between councils, so they are
read the way untrusted data is read:

- **bounded**: a file larger than ``MAX_BYTES`` is refused before it is parsed, and a tree that
  expands (through aliases) to more than ``MAX_VALUES`` values, or nests aliases more than
  ``MAX_ALIAS_DEPTH`` deep, is refused before it is built (a "billion laughs" file is a few
  hundred bytes of text and billions of values);
- **safe**: PyYAML's safe constructors only, so no tag can build a Python object;
- **plain**: dates stay the strings written (``2023-04-01``), numbers like ``1e3`` are floats
  (as OmegaConf reads them), a key written twice is refused instead of silently replaced;
- **located**: every key and value keeps its line and column, so a message can point at it.
"""
from __future__ import annotations

import re
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.composer import Composer
from yaml.constructor import SafeConstructor
from yaml.events import AliasEvent
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.parser import Parser
from yaml.reader import Reader
from yaml.resolver import Resolver
from yaml.scanner import Scanner

from .errors import InputError

MAX_BYTES = 1_000_000        # the shipped service file is about 12 kB
MAX_VALUES = 100_000         # keys, list items and values, after aliases are expanded
MAX_ALIAS_DEPTH = 2          # an alias inside an alias's target inside another's is refused
MAX_NESTING = 40             # mappings and lists inside each other
MAX_SCALAR = 10_000          # characters of one key or value

_PLAIN_TAGS = ("tag:yaml.org,2002:map", "tag:yaml.org,2002:seq")
Path_ = tuple  # a key path: ("service", "funding", 0, "count")

_INT = re.compile(r"^[-+]?(?:0|[1-9][0-9_]*)$")
_FLOAT = re.compile(  # YAML 1.2 floats, as OmegaConf's loader reads them (1e3 included)
    r"""^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?
    |[-+]?(?:[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)
    |\.[0-9_]+(?:[eE][-+][0-9]+)?
    |[-+]?\.(?:inf|Inf|INF)
    |\.(?:nan|NaN|NAN))$""", re.X)


class _Resolver(Resolver):
    pass


# Dates stay strings (caseflow checks them itself); numbers are decimal, as on the command line
# (YAML 1.1 would read 010 as 8, 0x10 as 16 and 1:30 as 90).
_NUMBERS = ("tag:yaml.org,2002:timestamp", "tag:yaml.org,2002:float", "tag:yaml.org,2002:int")
_Resolver.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in rules if tag not in _NUMBERS]
    for first, rules in Resolver.yaml_implicit_resolvers.items()
}
_Resolver.add_implicit_resolver("tag:yaml.org,2002:int", _INT, list("-+0123456789"))
_Resolver.add_implicit_resolver("tag:yaml.org,2002:float", _FLOAT, list("-+0123456789."))


class _AliasComposer(Composer):
    """Composes as PyYAML does, but marks each place an alias is used (to bound expansion)."""

    def compose_node(self, parent, index):
        if self.check_event(AliasEvent):
            event = self.peek_event()
            target = super().compose_node(parent, index)
            alias = type(target)(target.tag, target.value, event.start_mark, event.end_mark)
            alias.alias_of = target
            return alias
        return super().compose_node(parent, index)


class _Loader(Reader, Scanner, Parser, _AliasComposer, SafeConstructor, _Resolver):
    def __init__(self, stream):
        Reader.__init__(self, stream)
        Scanner.__init__(self)
        Parser.__init__(self)
        _AliasComposer.__init__(self)
        SafeConstructor.__init__(self)
        _Resolver.__init__(self)


@dataclass
class Document:
    """A YAML file as plain data, with the position of every key and value in it."""

    data: Any
    shown: str                                   # the file as messages name it
    marks: dict[Path_, tuple[int, int]] = field(default_factory=dict)  # 1-based line, column

    def at(self, path: Path_) -> str:
        """``"file, line L, column C"`` for the closest located ancestor of ``path``."""
        path = tuple(path)
        while path and path not in self.marks:
            path = path[:-1]
        if path in self.marks:
            line, col = self.marks[path]
            return f"{self.shown}, line {line}, column {col}"
        return self.shown


def read_text(path: Path, shown: str, what: str = "file") -> str:
    """A regular file's text, refused if it is not one, too large, or not UTF-8."""
    try:
        info = path.stat()
    except OSError as e:
        raise InputError(f"The {what} {shown} cannot be read ({e.strerror or type(e).__name__})") from None
    if not stat.S_ISREG(info.st_mode):
        raise InputError(f"The {what} {shown} is not a regular file")
    if info.st_size > MAX_BYTES:
        raise InputError(f"The {what} {shown} is {info.st_size:,} bytes but may be at most {MAX_BYTES:,}")
    try:
        with open(path, "rb") as f:
            raw = f.read(MAX_BYTES + 1)
    except OSError as e:
        raise InputError(f"The {what} {shown} cannot be read ({e.strerror or type(e).__name__})") from None
    if len(raw) > MAX_BYTES:
        raise InputError(f"The {what} {shown} is more than {MAX_BYTES:,} bytes")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise InputError(f"The {what} {shown} is not UTF-8 text (byte {e.start + 1})") from None


def load(path: Path, shown: str, what: str = "file") -> Document:
    """Read ``path`` as a YAML document of plain data (``InputError`` naming line and column)."""
    return parse(read_text(path, shown, what), shown, what)


def parse(text: str, shown: str, what: str = "file") -> Document:
    """Parse YAML text as plain data; messages name it "``what`` ``shown``" (e.g. scenario file x.yaml)."""
    loader = None
    try:
        loader = _Loader(text)  # the reader refuses control characters here
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        where = f"{shown}, line {mark.line + 1}, column {mark.column + 1}" if mark else shown
        problem = e.problem or e.context or "is not valid YAML"
        raise InputError(f"In {what} {where}: {_tidy(problem)} (not valid YAML)") from None
    except yaml.YAMLError as e:
        raise InputError(f"The {what} {shown} is not valid YAML ({_tidy(str(e))})") from None
    except RecursionError:
        raise InputError(f"The {what} {shown} nests lists or mappings too deeply (at most {MAX_NESTING} levels)") from None
    finally:
        if loader is not None:
            loader.dispose()
    doc = Document(None, shown)
    if node is None:
        doc.data = {}
        return doc
    builder = _Builder(loader, doc, what)
    doc.data = builder.build(node, (), alias_depth=0, nesting=0)
    return doc


def _tidy(problem: str) -> str:
    # PyYAML's phrases are lower case and sometimes mention tab characters obliquely.
    problem = problem.strip().rstrip(".")
    if "\t" in problem or "'\\t'" in problem or re.search(r"\btabs?\b", problem):
        return problem.replace("\t", "\\t") + " (YAML does not allow tabs for indentation)"
    return problem


class _Builder:
    """Turns composed nodes into dicts, lists and scalars, counting as it goes."""

    def __init__(self, loader: _Loader, doc: Document, what: str):
        self.loader = loader
        self.doc = doc
        self.what = what
        self.values = 0

    def where(self, node: Node) -> str:
        return f"In {self.what} {self.doc.shown}, line {node.start_mark.line + 1}, column {node.start_mark.column + 1}"

    def build(self, node: Node, path: Path_, alias_depth: int, nesting: int, first_alias: Node | None = None) -> Any:
        if getattr(node, "alias_of", None) is not None:
            alias_depth += 1
            first_alias = first_alias or node
            if alias_depth > MAX_ALIAS_DEPTH:
                raise InputError(f"{self.where(first_alias)}: aliases nest more than {MAX_ALIAS_DEPTH} deep (an alias "
                                 "whose anchor holds aliases); write the values out instead")
        self.values += 1
        if self.values > MAX_VALUES:
            raise InputError(f"The {self.what} {self.doc.shown} holds more than {MAX_VALUES:,} values once its aliases are expanded")
        if nesting > MAX_NESTING:
            raise InputError(f"{self.where(node)}: lists or mappings nest more than {MAX_NESTING} levels deep")
        self.doc.marks.setdefault(path, (node.start_mark.line + 1, node.start_mark.column + 1))
        if not isinstance(node, ScalarNode) and node.tag not in _PLAIN_TAGS:
            raise InputError(f"{self.where(node)}: the tag {node.tag} is not allowed; only plain values "
                             "(text, numbers, true/false, null), lists and mappings")
        if isinstance(node, MappingNode):
            out: dict[str, Any] = {}
            for key_node, value_node in node.value:
                if not isinstance(key_node, ScalarNode) or getattr(key_node, "alias_of", None) is not None:
                    raise InputError(f"{self.where(key_node)}: a key must be a plain name")
                if key_node.tag == "tag:yaml.org,2002:merge":
                    raise InputError(f"{self.where(key_node)}: merge keys (<<) are not supported; write the keys out")
                key = self.scalar(key_node)
                if not isinstance(key, (str, int)) or isinstance(key, bool):
                    raise InputError(f"{self.where(key_node)}: the key {key!r} is not a name")
                key = str(key)
                if key in out:
                    first = self.doc.marks.get((*path, key), ("?", "?"))
                    raise InputError(f"{self.where(key_node)}: the key '{key}' is written twice (first at line "
                                     f"{first[0]}); keep one")
                self.doc.marks[(*path, key)] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
                out[key] = self.build(value_node, (*path, key), alias_depth, nesting + 1, first_alias)
            return out
        if isinstance(node, SequenceNode):
            return [self.build(item, (*path, i), alias_depth, nesting + 1, first_alias)
                    for i, item in enumerate(node.value)]
        return self.scalar(node)

    def scalar(self, node: ScalarNode) -> Any:
        if len(node.value) > MAX_SCALAR:
            raise InputError(f"{self.where(node)}: a value of {len(node.value):,} characters; at most {MAX_SCALAR:,}")
        try:
            value = self.loader.construct_object(node, deep=True)
        except ValueError as e:  # e.g. an integer of thousands of digits
            raise InputError(f"{self.where(node)}: the value cannot be read ({_tidy(str(e))[:80]})") from None
        except yaml.constructor.ConstructorError as e:
            raise InputError(f"{self.where(node)}: {_tidy(e.problem or 'cannot be read')}; only plain values "
                             "(text, numbers, true/false, null) are allowed") from None
        if value is not None and not isinstance(value, (str, int, float, bool)):
            raise InputError(f"{self.where(node)}: a {type(value).__name__} value is not allowed; only plain values "
                             "(text, numbers, true/false, null)")
        return value
