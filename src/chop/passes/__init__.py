"""Passes over a MaseGraph: the registry, argument checking, and `run_passes` for TOML configs."""

from chop.passes.registry import PASSES, PassEntry, register_pass
from chop.passes.runner import plan_passes, run_passes

__all__ = ["PASSES", "PassEntry", "plan_passes", "register_pass", "run_passes"]
