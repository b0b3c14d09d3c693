"""Weight and activation statistics: the statistic registry and the profiling pass."""

from chop.passes.graph.analysis.statistics.profile import profile_statistics_analysis_pass
from chop.passes.graph.analysis.statistics.stats import (
    STATISTICS,
    Statistic,
    make_statistics,
    register_statistic,
)

__all__ = [
    "STATISTICS",
    "Statistic",
    "make_statistics",
    "profile_statistics_analysis_pass",
    "register_statistic",
]
