"""One trial, start to finish: point -> model -> train -> quantize/prune -> fine-tune -> metrics.

A `TrialRunner` is made once per worker process from the prepared dataset and base model. It
lifts the base model into a MaseGraph once (transform passes copy the graph, never change it), so
that a post-training trial costs its passes and its evaluation only. `run(point, seed)` is
reproducible: the same point and seed give the same model and metrics, from fresh metric state.
Evaluation uses the validation split (a seeded random `eval_samples` of its rows when set); the test split is
left for the final report of the best trial.
"""

from __future__ import annotations

import contextlib
import copy
import logging
from collections.abc import Mapping
from typing import Any

import torch

from chop.dataset.info import Dataset, TensorSplit
from chop.errors import ConfigError
from chop.ir.inputs import example_batches, example_inputs, trace_input_names
from chop.search.objectives import Measurement, Unmeasurable
from chop.search.settings import SearchSettings
from chop.search.space import Pipeline, SpaceContext, TrialPlan
from chop.engine.epoch import OnEpoch, evaluate_split, train_epochs
from chop.nn.learned import has_learners

log = logging.getLogger(__name__)
METADATA_BATCH = 32


@contextlib.contextmanager
def quiet_passes():
    """Passes log their reports at INFO; a search runs hundreds, so only warnings show."""
    logger = logging.getLogger("chop.passes")
    level = logger.level
    logger.setLevel(max(logging.WARNING, level))
    try:
        yield
    finally:
        logger.setLevel(level)


class Rejected(Exception):
    """A point that breaks a constraint; it is not run."""


def lift(model, model_name: str | None, dataset: Dataset, hf_input_names=None):
    """`model` as a MaseGraph with common metadata from a small training batch (a Hugging Face
    model traced with the dataset's inputs, or `hf_input_names`)."""
    from chop.ir import MaseGraph
    from chop.passes.graph.analysis import add_common_metadata_analysis_pass, init_metadata_analysis_pass

    mg = MaseGraph(model, hf_input_names=trace_input_names(model, dataset.info, hf_input_names),
                   model_name=model_name, dataset_info=dataset.info)
    mg, _ = init_metadata_analysis_pass(mg, None)
    mg, _ = add_common_metadata_analysis_pass(mg, {"dummy_in": example_inputs(mg.model, dataset.train, METADATA_BATCH)})
    return mg


def latency_batch(split: TensorSplit, n: int):
    """The batch latency is timed on: the input tensor, or the named text inputs with their labels
    (a graph traced with `labels` needs them; others ignore them)."""
    if isinstance(split.x, torch.Tensor):
        return split.x[:n]
    return {**split.inputs(n), "labels": split.y[:n]}


def _prunable(mg) -> list[str]:
    from chop.passes.graph.transforms.prune.select import prunable_nodes

    return [n.name for n in prunable_nodes(mg.model)]


class TrialRunner:
    def __init__(self, settings: SearchSettings, dataset: Dataset, base_model, model_name: str | None,
                 batch_size: int, run_seed: int = 0, hf_input_names=None):
        self.settings, self.dataset, self.model_name = settings, dataset, model_name
        self.batch_size, self.run_seed, self.hf_input_names = batch_size, run_seed, hf_input_names
        base_model.eval()
        self.base_graph = lift(base_model, model_name, dataset, hf_input_names)
        ctx = SpaceContext(
            nodes=[(n.name, n.meta["mase"]["common"].get("mase_op")) for n in self.base_graph.nodes],
            prunable=_prunable(self.base_graph), dataset_info=dataset.info, train_defaults=settings.train)
        self.pipeline = Pipeline(settings.search_space, ctx)
        val = dataset.val
        if settings.eval_samples:
            val = val.sample(settings.eval_samples)  # the same rows for every trial and command
        self.val = val
        self.latency_input = latency_batch(dataset.val, batch_size)
        self._reference: dict[str, float] | None = None
        if not settings.multi_objective and any(o.objective.is_cost and not o.scale
                                                for o in settings.objectives):
            self.reference()  # before any trial: a cost it cannot scale by is a config error

    @property
    def params(self):
        return self.pipeline.params

    def measurement(self, mg) -> Measurement:
        return Measurement(mg, lambda: evaluate_split(mg.model, self.val), self.latency_input,
                           hardware=self.settings.hardware, input_shape=self.dataset.info.input_shape)

    def reference(self) -> dict[str, float]:
        """Cost metrics of the unsearched base model (the default scales of a weighted sum)."""
        if self._reference is None:
            m = self.measurement(self.base_graph)
            reference = {}
            for o in self.settings.objectives:
                if not o.objective.is_cost:
                    continue
                try:
                    reference[o.objective.name] = o.objective.measure(m)
                except Unmeasurable as exc:  # e.g. a float base model has no LUT count
                    if o.scale or self.settings.multi_objective:
                        continue
                    raise ConfigError(f"[search.objectives.{o.objective.name}] needs a scale in a "
                                      "weighted sum: the base model it would be scaled by has "
                                      f"{exc}. Give one (e.g. scale = 1000), or set "
                                      "multi_objective = true.") from None
            self._reference = reference
        return self._reference

    def _context(self) -> dict:
        """What `ch transform` gives passes: the same calibration batches for every trial."""
        gm = self.base_graph.model
        return {"dummy_in": example_inputs(gm, self.dataset.train, METADATA_BATCH),
                "input_generator": example_batches(gm, self.dataset.train, self.batch_size, self.run_seed)}

    def build(self, plan: TrialPlan, seed: int, on_epoch: OnEpoch | None = None):
        """The trial's final MaseGraph (pipeline architecture -> train -> passes -> fine-tune)."""
        from chop.passes.runner import run_passes

        torch.manual_seed(seed)
        evaluate = (lambda model: evaluate_split(model, self.val)) if on_epoch else None
        step = 0
        if plan.architecture is not None:
            from chop.search.architectures import ARCHITECTURES

            values = {k: v for k, v in plan.architecture.items() if k != "family"}
            model = ARCHITECTURES.get(plan.architecture["family"]).build(values, self.dataset.info)
            step = train_epochs(model, self.dataset.train, plan.train, plan.train["epochs"], seed,
                                evaluate, on_epoch)
            mg = lift(model, None, self.dataset, self.hf_input_names)
        elif plan.train["epochs"] > 0:
            model = copy.deepcopy(self.base_graph.model)
            step = train_epochs(model, self.dataset.train, plan.train, plan.train["epochs"], seed,
                                evaluate, on_epoch)
            mg = lift(model, self.model_name, self.dataset, self.hf_input_names)
        else:
            mg = self.base_graph  # passes copy it; it is never changed
        passes = plan.passes()
        for name in plan.seeded & set(passes):
            passes[name] = {**passes[name], "seed": seed}
        if passes:
            mg, _ = run_passes(mg, passes, self._context())
        if plan.train["fine_tune_epochs"] > 0:
            if mg is self.base_graph:
                mg = lift(copy.deepcopy(self.base_graph.model), self.model_name, self.dataset, self.hf_input_names)
            train_epochs(mg.model, self.dataset.train, plan.train, plan.train["fine_tune_epochs"], seed + 1,
                         evaluate, on_epoch, first_step=step)
        if has_learners(mg.model):  # costs are measured at the widths training chose
            mg, _ = run_passes(mg, {"freeze_learned": {}}, {})
        mg.model.eval()
        return mg

    def run(self, point: Mapping[str, Any], seed: int, on_epoch: OnEpoch | None = None) -> tuple[dict, Any]:
        """Metrics of every configured objective for `point`, and the trial's final graph."""
        reason = self.pipeline.reject(point)
        if reason:
            raise Rejected(reason)
        plan = self.pipeline.plan(point)
        with quiet_passes():
            mg = self.build(plan, seed, on_epoch)
            m = self.measurement(mg)
            try:
                metrics = {o.objective.name: o.objective.measure(m) for o in self.settings.objectives}
            except Unmeasurable as exc:
                raise Rejected(str(exc)) from None
        return metrics, mg

    def test_metrics(self, mg) -> dict[str, float]:
        """The final report's test-split figures of a rebuilt trial."""
        result = evaluate_split(mg.model, self.dataset.test)
        return {"test_acc": result["acc"], "test_loss": result["loss"]}

