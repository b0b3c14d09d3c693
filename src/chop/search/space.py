"""Search spaces: the registry, the base class, and the pipeline that combines them into a trial plan.

`[search.search_space.<kind>]` sections name spaces from `SEARCH_SPACES` (quantize, prune,
train, architecture, and any space registered with `register_space`). Each space declares its
stage: `order` places it in the pipeline whatever the TOML order, and a transform space
(`PassSpace`) names the transform pass its choices become. A trial builds the model
(architecture, order 0), trains it (train, 10), runs the transform passes of the configured
spaces in their order (quantize 20, prune 30; a new space 50 unless it says) and fine-tunes. A
new transform pass becomes searchable by declaring its space alone:

    @register_space
    class FoldSpace(PassSpace):
        kind, pass_name, order = "fold", "fold_batchnorm", 15

A sampled point is a flat `{param name: value}`; `Pipeline.reject(point)` says why a point is
invalid (checked before anything is built), and `Pipeline.plan(point)` turns it into a `TrialPlan`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from chop.errors import ConfigError, did_you_mean
from chop.registry import Registry
from chop.search.params import Param, named, read_value


@dataclass
class SpaceContext:
    """What spaces need to know about the base model: its nodes (name, mase op) and prunable
    layers, whether an architecture is searched (node names then vary), the dataset info."""

    nodes: list[tuple[str, str | None]] = field(default_factory=list)
    prunable: list[str] = field(default_factory=list)
    searches_architecture: bool = False
    dataset_info: Any = None
    train_defaults: dict = field(default_factory=dict)  # [search.train] over the run config


@dataclass
class TrialPlan:
    """What one trial does: build (architecture), train, its transform passes, fine-tune."""

    architecture: dict | None = None
    train: dict = field(default_factory=dict)
    #: Transform pass name -> its arguments (None: skipped this trial; {}: run without
    #: arguments), in pipeline order.
    transforms: dict[str, dict | None] = field(default_factory=dict)
    #: Transform passes that take the trial's seed (as their `seed` argument).
    seeded: set[str] = field(default_factory=set)

    @property
    def quantize(self) -> dict | None:
        return self.transforms.get("quantize")

    @property
    def prune(self) -> dict | None:
        return self.transforms.get("prune")

    def passes(self) -> dict[str, dict]:
        """The transform passes in pipeline order, as a `[passes.*]` table."""
        return {name: args for name, args in self.transforms.items() if args is not None}


class SearchSpace:
    """One kind of space. Subclasses read their table in `__init__` and fill in `self.fixed`
    (plain values) and `self.searched` (Params named `<kind>/<where>/<key>`); `order` is the
    space's place in the trial pipeline."""

    kind = ""
    order = 50

    def __init__(self, table: Mapping[str, Any], ctx: SpaceContext):
        self.ctx = ctx
        self.searched: list[Param] = []

    def value(self, where: str, key: str, raw: Any) -> Any:
        """Read one TOML value: record a Param for choices/ranges, return a fixed value as is."""
        name = "/".join(p for p in (self.kind, where, key) if p)
        fixed, param = read_value(f"[search.search_space.{self.kind}] {where + '.' if where else ''}{key}", raw)
        if param is None:
            return fixed
        self.searched.append(named(param, name))
        return _Ref(name)

    def reject(self, point: Mapping[str, Any]) -> str | None:
        return None

    def apply(self, point: Mapping[str, Any], plan: TrialPlan) -> None:
        raise NotImplementedError


class PassSpace(SearchSpace):
    """A space whose choices become one transform pass (`pass_name`) of the trial. By default
    every key of its table is an argument of the pass, fixed or searched; subclasses override
    `pass_args` (None skips the pass for that point). `takes_seed`: the pass gets the trial's
    seed as its `seed` argument."""

    pass_name = ""
    takes_seed = False

    def __init__(self, table: Mapping[str, Any], ctx: SpaceContext):
        super().__init__(table, ctx)
        self.args = {key: self.value("", key, raw) for key, raw in table.items()}

    def pass_args(self, point: Mapping[str, Any]) -> dict | None:
        return resolve(self.args, point)

    def apply(self, point: Mapping[str, Any], plan: TrialPlan) -> None:
        plan.transforms[self.pass_name] = self.pass_args(point)
        if self.takes_seed:
            plan.seeded.add(self.pass_name)


class _Ref:
    """A placeholder for a searched value, resolved from a point."""

    def __init__(self, name: str):
        self.name = name

    def __repr__(self) -> str:
        return f"<{self.name}>"


def resolve(value: Any, point: Mapping[str, Any]) -> Any:
    """`value` with every searched placeholder replaced by the point's choice (nested dicts too)."""
    if isinstance(value, _Ref):
        return point[value.name]
    if isinstance(value, dict):
        return {k: resolve(v, point) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve(v, point) for v in value]
    return value


SEARCH_SPACES: Registry[type[SearchSpace]] = Registry("search space")


def register_space(cls: type[SearchSpace]) -> type[SearchSpace]:
    SEARCH_SPACES.register(cls.kind, cls)
    return cls


def check_keys(where: str, table: Mapping[str, Any], allowed) -> None:
    for key in table:
        if key not in allowed:
            raise ConfigError(f"[search.search_space.{where}] has no key '{key}'.{did_you_mean(key, allowed)}")


class Pipeline:
    """All configured spaces, in pipeline order."""

    def __init__(self, tables: Mapping[str, Any], ctx: SpaceContext):
        import chop.search.spaces  # noqa: F401  (registers the built-in spaces)

        if not isinstance(tables, Mapping) or not tables:
            raise ConfigError("ch search needs a search space: add [search.search_space.<kind>] with kind "
                              f"one of {', '.join(SEARCH_SPACES.names())}.")
        for kind, table in tables.items():
            if kind not in SEARCH_SPACES:
                raise ConfigError(f"[search.search_space.{kind}]: unknown search space."
                                  f"{did_you_mean(kind, SEARCH_SPACES.names())}")
            if not isinstance(table, Mapping):
                raise ConfigError(f"[search.search_space.{kind}] must be a table.")
        ctx.searches_architecture = "architecture" in tables
        tables = {"train": {}, **tables}  # training settings still come from [search.train]
        kinds = sorted(tables, key=lambda k: SEARCH_SPACES.get(k).order)  # stable: TOML order on ties
        self.spaces = [SEARCH_SPACES.get(kind)(tables[kind], ctx) for kind in kinds]
        passes = [s.pass_name for s in self.spaces if isinstance(s, PassSpace)]
        twice = sorted({p for p in passes if passes.count(p) > 1})
        if twice:
            raise ConfigError(f"[search.search_space] two spaces make the '{twice[0]}' pass; configure one of them.")

    @property
    def params(self) -> list[Param]:
        return [p for space in self.spaces for p in space.searched]

    def reject(self, point: Mapping[str, Any]) -> str | None:
        for space in self.spaces:
            reason = space.reject(point)
            if reason:
                return f"{space.kind}: {reason}"
        return None

    def plan(self, point: Mapping[str, Any]) -> TrialPlan:
        plan = TrialPlan()
        for space in self.spaces:
            space.apply(point, plan)
        return plan
