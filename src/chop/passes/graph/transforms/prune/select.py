"""Reading a `weight` / `activation` section of the prune pass, and choosing its layers.

A section is `{"method", "scope", "granularity", "sparsity", "layers", "exclude"}` (activation
adds `num_batches`). `layers` lists node names or mase ops to prune (default: every Linear,
Conv1d and Conv2d), `exclude` names or ops to leave alone (e.g. the classifier). `sparsity` is a
number in [0, 1] or a table by node name or mase op, with an optional `default`:
`{"seq_blocks_2": 0.5, "linear": 0.3, "default": 0.0}` (a name wins over an op; a layer that
matches nothing is not pruned). Global scope ranks all layers together, so it takes one number.
"""

from __future__ import annotations

from collections.abc import Mapping
from numbers import Real
from typing import Any

from torch import fx

from chop.errors import ConfigError, did_you_mean
from chop.passes.args import require_choice
from chop.passes.graph.transforms.prune.masks import GRANULARITIES, METHODS, SCOPES
from chop.passes.graph.transforms.prune.modules import PRUNABLE_OPS, is_prunable
from chop.passes.graph.utils import get_mase_op
from chop.passes.select import NodeSelector

PASS = "prune"
SECTION_DEFAULTS: dict[str, Any] = {
    "method": "l1-norm", "scope": "local", "granularity": "elementwise", "sparsity": None,
    "layers": None, "exclude": [],
}
ACTIVATION_DEFAULTS: dict[str, Any] = {**SECTION_DEFAULTS, "num_batches": 4}
ALIASES = {"l1": "l1-norm", "l2": "l2-norm", "neuron": "channel"}


def _fraction(where: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, Real) or not 0.0 <= float(value) <= 1.0:
        raise ConfigError(f"Pass '{PASS}': {where} must be a number in [0, 1], got {value!r}.")
    return float(value)


def _names(where: str, value: Any) -> list[str] | None:
    if value is None:
        return None
    if isinstance(value, str):
        return [value]
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"Pass '{PASS}': {where} must be a list of node names or ops, got {value!r}.")
    return list(value)


def check_section(section: str, given: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The section's settings, checked and with defaults filled in; None when absent."""
    if given is None:
        return None
    if not isinstance(given, Mapping):
        raise ConfigError(f"Pass '{PASS}': '{section}' must be a table, got {type(given).__name__}.")
    defaults = ACTIVATION_DEFAULTS if section == "activation" else SECTION_DEFAULTS
    for key in given:
        if key not in defaults:
            raise ConfigError(f"Pass '{PASS}': '{section}' has no setting '{key}'.{did_you_mean(key, defaults)}")
    cfg = {**defaults, **given}
    for key, choices in (("method", METHODS), ("scope", SCOPES), ("granularity", GRANULARITIES)):
        cfg[key] = ALIASES.get(cfg[key], cfg[key])
        require_choice(PASS, f"{section}.{key}", cfg[key], choices)
    sparsity = cfg["sparsity"]
    if sparsity is None:
        raise ConfigError(f"Pass '{PASS}': '{section}' needs a 'sparsity' (a number in [0, 1] or a table).")
    if isinstance(sparsity, Mapping):
        if cfg["scope"] == "global":
            raise ConfigError(f"Pass '{PASS}': global scope ranks all layers together; give "
                              f"'{section}.sparsity' as one number, not a table.")
        cfg["sparsity"] = {str(k): _fraction(f"{section}.sparsity.{k}", v) for k, v in sparsity.items()}
    else:
        cfg["sparsity"] = _fraction(f"{section}.sparsity", sparsity)
    cfg["layers"] = _names(f"{section}.layers", cfg["layers"])
    cfg["exclude"] = _names(f"{section}.exclude", cfg["exclude"]) or []
    if section == "activation":
        n = cfg["num_batches"]
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise ConfigError(f"Pass '{PASS}': activation.num_batches must be a positive int, got {n!r}.")
    return cfg


def prunable_nodes(gm: fx.GraphModule) -> list[fx.Node]:
    """Call_module nodes of supported layers, one per module (a shared module is pruned once)."""
    seen, nodes = set(), []
    for node in gm.graph.nodes:
        if node.op == "call_module" and node.target not in seen and is_prunable(gm.get_submodule(node.target)):
            seen.add(node.target)
            nodes.append(node)
    return nodes


def _check_known(where: str, entries: list[str], gm: fx.GraphModule, candidates: list[fx.Node]) -> None:
    known = {n.name for n in candidates} | set(PRUNABLE_OPS)
    all_names = {n.name for n in gm.graph.nodes}
    for entry in entries:
        if entry in known:
            continue
        if entry in all_names:
            raise ConfigError(f"Pass '{PASS}': {where} names '{entry}', which is not a prunable layer "
                              f"(Linear, Conv1d, Conv2d).")
        raise ConfigError(f"Pass '{PASS}': {where} names '{entry}', which is neither a prunable node nor "
                          f"a prunable op.{did_you_mean(entry, sorted(known))}")


def select_layers(section: str, cfg: Mapping[str, Any], gm: fx.GraphModule) -> list[fx.Node]:
    """The layer nodes this section prunes, in graph order."""
    candidates = prunable_nodes(gm)
    layers, exclude = cfg["layers"], cfg["exclude"]
    _check_known(f"'{section}.layers'", layers or [], gm, candidates)
    _check_known(f"'{section}.exclude'", exclude, gm, candidates)
    if isinstance(cfg["sparsity"], Mapping):
        _check_known(f"'{section}.sparsity'", [k for k in cfg["sparsity"] if k != "default"], gm, candidates)

    chosen = NodeSelector("name_or_type", None if layers is None else tuple(layers), tuple(exclude))
    return chosen.select(candidates, lambda n: (n.name, get_mase_op(n)))


def sparsity_of(node: fx.Node, sparsity: float | Mapping[str, float]) -> float:
    """The layer's sparsity: the number, or its table entry by name, then op, then default."""
    if not isinstance(sparsity, Mapping):
        return sparsity
    key = NodeSelector("name_or_type", tuple(k for k in sparsity if k != "default")).key(node.name, get_mase_op(node))
    return sparsity[key] if key is not None else sparsity.get("default", 0.0)
