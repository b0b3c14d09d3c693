"""The one pass registry: every pass declared once, as data, under the name TOML `[passes.<name>]` uses.

A pass is registered with everything the runner needs to know about it:

    @register_pass("my_scale", {"factor": 2.0}, kind="transform", check=check_factor)
    def my_scale_transform_pass(graph, args):
        ...                                  # only the pass's work; args are checked already
        return graph, {"text": "..."}

- `kind`: an `analysis` pass annotates the graph it is given and returns that same graph; a
  `transform` pass is handed a private working copy of the graph, edits it, and returns it (the
  runner turns it into a new graph whose recipe replays the pass).
- `defaults`: the TOML-visible arguments and their defaults; an unknown key is an error naming it
  (`open_keys=True` for passes whose keys are open, e.g. quantize's op or node names).
- `check(args) -> args | None`: the full static check of the arguments (defaults filled in, "NA"
  turned into None), run before anything loads; it may return normalised arguments.
- `needs`: metadata ensured before the pass runs: "metadata" (an empty MaseMetadata on every
  node) or "ops" (every node's mase_type/mase_op and parameter records, no data needed).
- `context`: what a TOML file cannot hold and the runner hands over: "dummy_in",
  "input_generator", "original_graph" (the graph before the latest transform), "recorded" (for
  transforms: the state the pass recorded for replay, None on a fresh run).
- `paths`: arguments naming a file ("file") or directory ("dir") the pass writes; a recipe may
  not set them, so replaying a saved graph never writes a file.

The decorator returns the public function, `fn(graph, pass_args=None) -> (graph, result)`, which
checks its arguments and runs the pass through the contract (`chop.passes.contract`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any

from chop.errors import ConfigError
from chop.passes.contract import public_function
from chop.registry import Registry

PassFn = Callable[..., tuple[Any, dict]]
KINDS = ("analysis", "transform")
NEEDS = ("metadata", "ops")
CONTEXT = ("dummy_in", "input_generator", "original_graph", "recorded")
PATH_KINDS = ("file", "dir")


@dataclass(frozen=True)
class PassEntry:
    """A registered pass: its public function, its body, and what the contract needs to run it."""

    name: str
    fn: PassFn
    defaults: Mapping[str, Any] = field(default_factory=dict)
    kind: str = "analysis"
    check: Callable[[dict], dict | None] | None = None
    body: PassFn | None = None
    needs: tuple[str, ...] = ()
    context: tuple[str, ...] = ()
    paths: Mapping[str, str] = field(default_factory=dict)
    open_keys: bool = False
    # Turns other call forms into (graph, pass_args), e.g. summarize's (ori_mg, mg, save_dir=...).
    adapt: Callable[..., tuple[Any, Any]] | None = None


PASSES: Registry[PassEntry] = Registry("pass")


def _declared(name: str, kind: str, needs, context, paths) -> None:
    if kind not in KINDS:
        raise ConfigError(f"Pass '{name}': a pass kind is one of {KINDS}, got {kind!r}.")
    for what, values, valid in (("needs", needs, NEEDS), ("context", context, CONTEXT),
                                ("paths", tuple((paths or {}).values()), PATH_KINDS)):
        bad = [v for v in values if v not in valid]
        if bad:
            raise ConfigError(f"Pass '{name}': {what} {bad} not among {valid}.")


def register_pass(name: str, defaults: Mapping[str, Any] | None = None, kind: str = "analysis",
                  check: Callable[[dict], dict | None] | None = None, *, needs: tuple[str, ...] = (),
                  context: tuple[str, ...] = (), paths: Mapping[str, str] | None = None,
                  open_keys: bool = False, adapt: Callable[..., tuple[Any, Any]] | None = None):
    """Decorator: register the pass body under `name`; returns its public function.

    Registering an already public pass function under a second name makes an alias of it.
    """
    _declared(name, kind, needs, context, paths)

    def wrap(body: PassFn) -> PassFn:
        alias_of = getattr(body, "__pass_entry__", None)
        if alias_of is not None:
            PASSES.register(name, replace(alias_of, name=name))
            return body
        entry = PassEntry(name=name, fn=body, defaults=MappingProxyType(dict(defaults or {})), kind=kind,
                          check=check, body=body, needs=tuple(needs), context=tuple(context),
                          paths=MappingProxyType(dict(paths or {})), open_keys=open_keys, adapt=adapt)
        fn = public_function(entry)
        entry = replace(entry, fn=fn)
        fn.__pass_entry__ = entry
        PASSES.register(name, entry)
        return fn

    return wrap
