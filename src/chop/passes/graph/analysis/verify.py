"""`verify_metadata_analysis_pass`: the graph-level consistency check as a pass (see chop.ir.verify)."""

from __future__ import annotations

from chop.errors import ChopError
from chop.ir.verify import find_problems
from chop.passes.registry import register_pass

VERIFY_DEFAULTS = {"raise_on_error": True}


@register_pass("verify_metadata", VERIFY_DEFAULTS)
def verify_metadata_analysis_pass(graph, args):
    """Check that shapes chain from node to node; raise (or return the problems) when they don't."""
    problems = find_problems(graph)
    if problems and args["raise_on_error"]:
        raise ChopError(f"Graph metadata is inconsistent: {'; '.join(problems[:10])}.")
    return graph, {"problems": problems}
