"""The built-in search spaces, registered in `chop.search.space.SEARCH_SPACES` on import."""

from chop.search.spaces.architecture import ArchitectureSpace
from chop.search.spaces.fold import FoldSpace
from chop.search.spaces.prune import PruneSpace
from chop.search.spaces.quantize import QuantizeSpace
from chop.search.spaces.train import TrainSpace

__all__ = ["ArchitectureSpace", "FoldSpace", "PruneSpace", "QuantizeSpace", "TrainSpace"]
