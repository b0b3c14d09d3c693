"""Actions behind `ch`: each a function(RunConfig) -> result dict, shared by CLI and Python."""

from chop.actions.info import info
from chop.actions.search import search
from chop.actions.test import test
from chop.actions.train import train
from chop.actions.transform import transform

ACTIONS = {"train": train, "test": test, "transform": transform, "search": search, "info": info}

__all__ = ["ACTIONS", "info", "search", "test", "train", "transform"]
