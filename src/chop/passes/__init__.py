"""Passes over a MaseGraph: the registry and contract, `run_passes` for TOML configs, and the
built-in passes (`chop.passes.graph`, registered on import)."""

from chop.passes import graph  # noqa: F401  (registers the built-in passes)
from chop.passes.registry import PASSES, PassEntry, register_pass
from chop.passes.runner import plan_passes, run_passes

__all__ = ["PASSES", "PassEntry", "plan_passes", "register_pass", "run_passes"]
