"""What a trial is scored on: objectives by name, and how several combine into Optuna's values.

`OBJECTIVES` holds `accuracy` and `loss` (on the validation split), `params`, `flops`, `bitops`
(both counting only the non-zero weights of pruned layers), `memory` (weight memory in bits,
alias `weight_memory_bits`) and `latency` (median ms of one forward pass of a batch on the CPU).
The hardware objectives `luts`, `ffs`, `logic_depth` and `latency_ns` are
`chop.hardware.estimate`'s figures for the design `ch emit` would write from the trial's
fixed-point graph, with the `[hardware]` choices (multiplier, pipeline, ns_per_level); a trial
whose graph has no integer program (a float or non-fixed-point layer left) is rejected with the
reason. Each reads a `Measurement`, which evaluates the model and counts its cost at most once,
whatever objectives ask.

`[search.objectives.<name>]` takes `weight` (default 1) and `scale`. Without
`multi_objective`, the trial's one value is the weighted sum
`sum(weight * sign * metric / scale)` (sign +1 for maximised metrics, -1 for minimised ones),
maximised; `scale` defaults to 1 for accuracy and loss and to the unsearched base model's value
for cost metrics, so that weights compare like with like. With `multi_objective = true`, each
objective is its own value with its own direction, and the study keeps the Pareto front.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import torch

from chop.engine.call import call_model
from chop.errors import ChopError, ConfigError, did_you_mean
from chop.registry import Registry


class Unmeasurable(ChopError):
    """The trial's model has no value for an objective (e.g. no hardware design)."""


class Measurement:
    """Lazily measured facts about one trial's final model."""

    def __init__(self, graph, evaluate: Callable[[], dict], latency_input=None, hardware=None,
                 input_shape=None):
        self.graph = graph
        self._evaluate = evaluate
        self.latency_input = latency_input
        self.hardware_options = hardware  # chop.hardware.HardwareOptions ([hardware])
        self.input_shape = input_shape  # per-sample input shape, for the hardware design

    @cached_property
    def eval(self) -> dict:
        return self._evaluate()

    @cached_property
    def cost(self) -> dict:
        from chop.passes.graph.analysis.cost import flops_analysis_pass

        _, result = flops_analysis_pass(self.graph, {"silent": True, "per_sample": True})
        return result["total"]

    @cached_property
    def hardware(self) -> dict:
        """The estimate of the graph's hardware design (`chop.hardware.estimate`)."""
        from chop.export import export_integer
        from chop.hardware import HardwareOptions
        from chop.hardware.estimate import estimate_program

        try:
            program = export_integer(self.graph, on_inexact="warn")
            return estimate_program(program, self.hardware_options or HardwareOptions(),
                                    self.input_shape)
        except ChopError as exc:
            raise Unmeasurable(f"no hardware design for this graph: {exc}") from None

    def latency_ms(self, repeats: int = 7) -> float:
        model = self.graph.model
        model.eval()
        times = []
        with torch.no_grad():
            call_model(model, self.latency_input)  # warm-up
            for _ in range(repeats):
                start = time.perf_counter()
                call_model(model, self.latency_input)
                times.append((time.perf_counter() - start) * 1e3)
        return statistics.median(times)


@dataclass(frozen=True)
class Objective:
    name: str
    direction: str  # "maximize" or "minimize"
    measure: Callable[[Measurement], float]
    is_cost: bool = False  # scaled by the base model's value in a weighted sum

    @property
    def sign(self) -> float:
        return 1.0 if self.direction == "maximize" else -1.0


OBJECTIVES: Registry[Objective] = Registry("objective")


def _cost(*keys: str) -> Callable[[Measurement], float]:
    def measure(m: Measurement) -> float:
        for key in keys:
            if m.cost.get(key) is not None:
                return float(m.cost[key])
        raise ConfigError(f"The cost analysis gave none of {keys}.")
    return measure


for _obj in (
    Objective("accuracy", "maximize", lambda m: float(m.eval["acc"])),
    Objective("loss", "minimize", lambda m: float(m.eval["loss"])),
    Objective("params", "minimize", _cost("params"), is_cost=True),
    Objective("flops", "minimize", _cost("flops_forward_sparse", "flops_forward"), is_cost=True),
    Objective("bitops", "minimize", _cost("bitops_forward_sparse", "bitops_forward"), is_cost=True),
    Objective("memory", "minimize", _cost("weight_memory_bits"), is_cost=True),
    Objective("latency", "minimize", lambda m: m.latency_ms(), is_cost=True),
    Objective("luts", "minimize", lambda m: float(m.hardware["total"]["luts"]), is_cost=True),
    Objective("ffs", "minimize", lambda m: float(m.hardware["total"]["ffs"]), is_cost=True),
    Objective("logic_depth", "minimize", lambda m: float(m.hardware["critical_depth"]), is_cost=True),
    Objective("latency_ns", "minimize", lambda m: float(m.hardware["latency_ns_estimate"]), is_cost=True),
):
    OBJECTIVES.register(_obj.name, _obj)
OBJECTIVES.register("weight_memory_bits", OBJECTIVES.get("memory"))


@dataclass(frozen=True)
class WeightedObjective:
    objective: Objective
    weight: float = 1.0
    scale: float | None = None  # None: 1, or the base model's value for cost objectives


def read_objectives(table: Any) -> list[WeightedObjective]:
    """`[search.objectives]`: a list of names, or a table `{name: {weight, scale}}`."""
    if table is None:
        table = {"accuracy": {}}
    if isinstance(table, list):
        table = {name: {} for name in table}
    if not isinstance(table, Mapping) or not table:
        raise ConfigError("[search.objectives] must name at least one objective, e.g. objectives = [\"accuracy\"].")
    result = []
    for name, opts in table.items():
        if name not in OBJECTIVES:
            raise ConfigError(f"[search.objectives] unknown objective '{name}'.{did_you_mean(name, OBJECTIVES.names())}")
        opts = dict(opts or {})
        for key in opts:
            if key not in ("weight", "scale"):
                raise ConfigError(f"[search.objectives.{name}] has no key '{key}'.{did_you_mean(key, ('weight', 'scale'))}")
        weight, scale = opts.get("weight", 1.0), opts.get("scale")
        for key, v in (("weight", weight), ("scale", scale)):
            if v is not None and (isinstance(v, bool) or not isinstance(v, (int, float))):
                raise ConfigError(f"[search.objectives.{name}] {key} must be a number, got {v!r}.")
        if scale is not None and scale <= 0:
            raise ConfigError(f"[search.objectives.{name}] scale must be positive, got {scale!r}.")
        result.append(WeightedObjective(OBJECTIVES.get(name), float(weight), scale))
    return result


def directions(objectives: list[WeightedObjective], multi: bool) -> list[str]:
    return [o.objective.direction for o in objectives] if multi else ["maximize"]


def combine(metrics: Mapping[str, float], objectives: list[WeightedObjective], multi: bool,
            reference: Mapping[str, float]) -> list[float]:
    """Optuna's values for a trial's `metrics`: one per objective, or their weighted sum."""
    if multi:
        return [metrics[o.objective.name] for o in objectives]
    total = 0.0
    for o in objectives:
        scale = o.scale or (reference.get(o.objective.name) if o.objective.is_cost else None) or 1.0
        total += o.weight * o.objective.sign * metrics[o.objective.name] / scale
    return [total]
