"""Actions behind `ch`: each a function(RunConfig) -> result dict, shared by CLI and Python."""

from chop.actions.info import info
from chop.actions.test import test
from chop.actions.train import train

ACTIONS = {"train": train, "test": test, "info": info}

__all__ = ["ACTIONS", "info", "test", "train"]
