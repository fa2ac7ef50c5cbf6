"""The package's import graph (every import, those inside functions too): no circles, and the
layers point one way: projections never import SimPy or Hydra, processes never compute KPIs,
and only the CLI and sim.inputs touch Hydra or OmegaConf."""
from __future__ import annotations

import ast
from pathlib import Path

SIM = Path(__file__).resolve().parents[1] / "sim"


def _modules() -> dict[str, Path]:
    out = {}
    for p in SIM.rglob("*.py"):
        name = ".".join(p.relative_to(SIM.parent).with_suffix("").parts)
        out[name[: -len(".__init__")] if name.endswith(".__init__") else name] = p
    return out


def _imports(name: str, path: Path, known: dict[str, Path]) -> tuple[set[str], set[str]]:
    """(modules of sim it imports, top-level outside packages it imports)."""
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    inside, outside = set(), set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            candidates = [target] + [f"{target}.{a.name}" for a in node.names]
            inside |= {c for c in candidates if c in known and c != name}
            if not node.level:
                outside.add(target.split(".")[0])
        elif isinstance(node, ast.Import):
            for a in node.names:
                (inside if a.name in known else outside).add(a.name if a.name in known else a.name.split(".")[0])
    return inside, outside


def _graph():
    known = _modules()
    inside, outside = {}, {}
    for name, path in known.items():
        inside[name], outside[name] = _imports(name, path, known)
    return inside, outside


def test_no_circles():
    graph, _ = _graph()
    index, low, stack, on, cycles, counter = {}, {}, [], set(), [], [0]

    def visit(v):  # Tarjan's strongly connected components
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            part = []
            while True:
                w = stack.pop()
                on.discard(w)
                part.append(w)
                if w == v:
                    break
            if len(part) > 1:
                cycles.append(sorted(part))

    for v in list(graph):
        if v not in index:
            visit(v)
    assert not cycles


def test_layers_point_one_way():
    graph, outside = _graph()
    for name, uses in outside.items():
        if name.startswith("sim.projections"):
            assert not uses & {"simpy", "hydra", "omegaconf"}, name
        if not (name.startswith("sim.inputs") or name == "sim.cli"):
            assert not uses & {"hydra", "omegaconf"}, name
    for name, deps in graph.items():
        if name.startswith("sim.model"):
            assert not {d for d in deps if d.startswith(("sim.projections", "sim.kpis", "sim.forecast"))}, name
        if name.startswith("sim.projections"):
            assert not {d for d in deps if d.startswith(("sim.model", "sim.inputs", "sim.commands", "sim.reports"))}, \
                name
