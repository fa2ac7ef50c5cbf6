"""Randomly generated invalid inputs: always exit status 2 with one line, never a traceback,
nothing written.

Hypothesis draws settings that are invalid by construction (a key the schema lacks, a value of
the wrong kind, a count out of bounds, a scenario file with an unknown key, stray arguments)
and runs the real command on each.  The draws are derandomised, so CI sees the same examples.
"""
from __future__ import annotations

import string
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bad_inputs import refused
from sim.config import to_plain
from sim.inputs import InputError
from sim.inputs.schema import _optional, type_at
from sim.settings import compose_config

SETTINGS = settings(max_examples=40, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
WORDS = {"true", "false", "null", "nan", "inf", "yes", "no", "on", "off", "none"}


def _leaves(node, path=()):
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _leaves(v, (*path, k))
    elif isinstance(node, list) and node and isinstance(node[0], dict):
        for i, v in enumerate(node):
            yield from _leaves(v, (*path, i))
    else:
        yield path


DEFAULT = to_plain(compose_config([]))
LEAVES = [p for p in _leaves(DEFAULT) if p]
NUMERIC = [p for p in LEAVES if _optional(type_at(p))[0] in (int, float)]
BOUNDED = {"replications": (1, 10_000), "horizon_months": (1, 600), "warmup_months": (0, 120), "workers": (0, 8),
           "flush_events": (1000, 5_000_000), "service.workforce.mash.groups.0.count": (0, 5000)}


def dotted(path) -> str:
    return ".".join(str(p) for p in path)


words = st.text(alphabet=string.ascii_letters, min_size=1, max_size=12).filter(lambda w: w.lower() not in WORDS)


def _run(argv, files=None, capsys=None):
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for rel, text in (files or {}).items():
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
            (root / rel).write_text(text)
        return refused(argv, root, capsys)


@SETTINGS
@given(path=st.sampled_from(LEAVES), name=st.from_regex(r"[a-z_]{1,14}", fullmatch=True), value=st.integers())
def test_an_unknown_key_is_refused(path, name, value, capsys):
    parent = path[:-1]
    owner_keys = set(DEFAULT) if not parent else set(_at(DEFAULT, parent))
    if name in owner_keys:
        name += "_x"
    message = _run([f"{dotted((*parent, name))}={value}"], capsys=capsys)
    assert name in message


@SETTINGS
@given(path=st.sampled_from(NUMERIC), word=words)
def test_text_where_a_number_belongs_is_refused(path, word, capsys):
    message = _run([f"{dotted(path)}={word}"], capsys=capsys)
    assert dotted(path) in message


@settings(SETTINGS, max_examples=15)  # each composes a whole configuration before refusing it
@given(key=st.sampled_from(sorted(BOUNDED)), data=st.data())
def test_a_count_out_of_bounds_is_refused(key, data, capsys):
    low, high = BOUNDED[key]
    value = data.draw(st.one_of(st.integers(max_value=low - 1), st.integers(min_value=high + 1)))
    message = _run([f"{key}={value}"], capsys=capsys)
    assert key in message


@SETTINGS
@given(path=st.sampled_from(LEAVES), name=st.from_regex(r"[a-z]{3,10}", fullmatch=True), value=st.integers())
def test_a_scenario_file_with_an_unknown_key_is_refused_naming_its_line(path, name, value, capsys):
    parent = [p for p in path[:-1] if not isinstance(p, int)][:3]
    if name in (set(DEFAULT) if not parent else set(_at(DEFAULT, tuple(parent)) or {})):
        name += "x"
    lines, indent = [], ""
    for p in parent:
        lines.append(f"{indent}{p}:")
        indent += "  "
    lines.append(f"{indent}{name}: {value}")
    message = _run(["scenario=mine"], {"scenarios/mine.yaml": "\n".join(lines) + "\n"}, capsys=capsys)
    assert "mine.yaml" in message and f"line {len(lines)}" in message and name in message


@SETTINGS
@given(arg=st.text(min_size=1, max_size=30).filter(
    lambda a: "=" not in a and a.strip() and a not in ("-m", "--multirun", "-h", "--help", "--version", "--resolve",
                                                        "compare")))
def test_a_stray_argument_is_refused(arg, capsys):
    _run([arg], capsys=capsys)


def _at(node, path):
    for p in path:
        node = node[p]
    return node


def test_the_generated_paths_cover_the_schema():
    assert len(LEAVES) > 100 and len(NUMERIC) > 60
    assert type_at(("service", "workforce", "mash", "groups", 0, "count")) is int
    with pytest.raises(InputError, match="did you mean 'seed'"):
        type_at(("sed",))
