"""Analysis passes: they annotate the graph they are given and return that same graph."""

from chop.passes.graph.analysis.avg_bits import calculate_avg_bits_analysis_pass
from chop.passes.graph.analysis.common_metadata import add_common_metadata_analysis_pass
from chop.passes.graph.analysis.cost import analyse_flops_pass, flops_analysis_pass  # noqa: F401
from chop.passes.graph.analysis.export_integer import export_integer_analysis_pass
from chop.passes.graph.analysis.hardware_metadata import add_hardware_metadata_analysis_pass
from chop.passes.graph.analysis.init_metadata import init_metadata_analysis_pass
from chop.passes.graph.analysis.report_graph import report_graph_analysis_pass
from chop.passes.graph.analysis.report_node import (
    report_node_meta_param_analysis_pass,
    report_node_shape_analysis_pass,
    report_node_type_analysis_pass,
)
from chop.passes.graph.analysis.software_metadata import add_software_metadata_analysis_pass
from chop.passes.graph.analysis.statistics import profile_statistics_analysis_pass
from chop.passes.graph.analysis.verify import verify_metadata_analysis_pass

__all__ = [
    "add_common_metadata_analysis_pass",
    "analyse_flops_pass",
    "calculate_avg_bits_analysis_pass",
    "export_integer_analysis_pass",
    "flops_analysis_pass",
    "add_hardware_metadata_analysis_pass",
    "add_software_metadata_analysis_pass",
    "init_metadata_analysis_pass",
    "profile_statistics_analysis_pass",
    "report_graph_analysis_pass",
    "report_node_meta_param_analysis_pass",
    "report_node_shape_analysis_pass",
    "report_node_type_analysis_pass",
    "verify_metadata_analysis_pass",
]
