"""Graph passes by the names users import: `from chop.passes.graph import ..._pass`.

Importing this package registers every built-in pass in `chop.passes.PASSES`.
"""

from chop.passes.graph.analysis import (
    add_common_metadata_analysis_pass,
    analyse_flops_pass,
    calculate_avg_bits_analysis_pass,
    add_hardware_metadata_analysis_pass,
    add_software_metadata_analysis_pass,
    export_integer_analysis_pass,
    flops_analysis_pass,
    init_metadata_analysis_pass,
    profile_statistics_analysis_pass,
    report_graph_analysis_pass,
    report_node_meta_param_analysis_pass,
    report_node_shape_analysis_pass,
    report_node_type_analysis_pass,
    verify_metadata_analysis_pass,
)
from chop.passes.graph.transforms.fold_batchnorm import fold_batchnorm_transform_pass
from chop.passes.graph.transforms.prune import (
    add_pruning_metadata_analysis_pass,
    prune_transform_pass,
)
from chop.passes.graph.transforms.quantize import (
    freeze_learned_transform_pass,
    quantize_transform_pass,
    summarize_quantization_analysis_pass,
)

__all__ = [
    "add_common_metadata_analysis_pass",
    "analyse_flops_pass",
    "calculate_avg_bits_analysis_pass",
    "export_integer_analysis_pass",
    "add_hardware_metadata_analysis_pass",
    "add_pruning_metadata_analysis_pass",
    "add_software_metadata_analysis_pass",
    "flops_analysis_pass",
    "fold_batchnorm_transform_pass",
    "freeze_learned_transform_pass",
    "init_metadata_analysis_pass",
    "profile_statistics_analysis_pass",
    "prune_transform_pass",
    "quantize_transform_pass",
    "report_graph_analysis_pass",
    "report_node_meta_param_analysis_pass",
    "report_node_shape_analysis_pass",
    "report_node_type_analysis_pass",
    "summarize_quantization_analysis_pass",
    "verify_metadata_analysis_pass",
]
