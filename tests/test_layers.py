"""The house's layers: lower packages never import higher ones, so there is no import cycle.

Every `import` statement in `src/chop` counts, at module level or inside a function (a
function-level import still makes the lower layer depend on the higher one). A package may import
packages of lower levels only; two packages of one level do not import each other. A new
top-level package or module must be given a level here.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "chop"

# Bottom to top. Why this order:
# - errors/registry/hooks/logs: plain Python that everything uses (hooks: slots that a higher
#   layer fills, e.g. recipe replay for MaseGraph.load); config: the typed run config.
# - dataset < models: a model is built for a dataset's shapes; nn: formats and quantized modules.
# - ir (MaseGraph, metadata, save/load) rebuilds registered models, so it sits above them.
# - export lowers quantized graphs to integer programs (ir + nn); the passes wrap it, so export
#   sits below passes; hardware emits from the integer program, beside the engine.
# - passes (registry, contract, replay, the built-in passes) over ir/nn/export.
# - engine trains and prepares runs (loading a transformed graph replays its passes).
# - search runs trials with the engine and the passes; actions are thin commands over all of it;
#   tools are MASE's notebook adapters; cli and the package root (lazy re-exports, wiring of
#   hooks) are the top.
LAYERS: list[set[str]] = [
    {"errors"},
    {"registry", "hooks", "logs", "atomic"},
    {"config"},
    {"dataset"},
    {"models", "nn"},
    {"ir"},
    {"export"},
    {"passes"},
    {"engine", "hardware"},
    {"search"},
    {"actions", "tools"},
    {"cli_render"},
    {"cli"},
    {"chop"},
]
LEVEL = {name: level for level, names in enumerate(LAYERS) for name in names}


def top_level(path: Path) -> str:
    parts = path.relative_to(SRC).with_suffix("").parts
    return "chop" if parts == ("__init__",) else parts[0]


def imported(node: ast.AST) -> list[str]:
    """The top-level chop packages an import statement names."""
    if isinstance(node, ast.Import):
        names = [a.name for a in node.names]
    elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
        if node.module == "chop":
            return [a.name for a in node.names if (SRC / a.name).exists() or (SRC / f"{a.name}.py").exists()]
        names = [node.module]
    else:
        return []
    return [n.split(".")[1] if "." in n else "chop" for n in names if n == "chop" or n.startswith("chop.")]


def import_edges() -> dict[tuple[str, str], list[str]]:
    edges: dict[tuple[str, str], list[str]] = defaultdict(list)
    for path in sorted(SRC.rglob("*.py")):
        source = top_level(path)
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            for target in imported(node):
                if target != source:
                    edges[(source, target)].append(f"{path.relative_to(SRC.parent)}:{node.lineno}")
    return edges


def test_every_top_level_package_has_a_layer():
    names = {top_level(p) for p in SRC.rglob("*.py")}
    assert names - set(LEVEL) == set(), "give each new package a level in tests/test_layers.py LAYERS"


def test_lower_layers_never_import_higher_ones():
    wrong = [f"{source} -> {target} ({', '.join(where[:3])})"
             for (source, target), where in sorted(import_edges().items())
             if LEVEL.get(target, -1) >= LEVEL.get(source, len(LAYERS))]
    assert wrong == []


def test_no_import_cycle_between_top_level_packages():
    graph: dict[str, set[str]] = defaultdict(set)
    for source, target in import_edges():
        graph[source].add(target)
    state: dict[str, int] = {}

    def cycle_from(node: str, path: list[str]) -> list[str] | None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return [*path, node, nxt]
            if nxt not in state and (found := cycle_from(nxt, [*path, node])):
                return found
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state:
            assert cycle_from(start, []) is None
