

def test_quantized_modules_stay_leaves():
    """A model already holding quantized modules traces with them as single call_module nodes."""
    import torch
    from torch import nn

    from chop.ir import MaseGraph
    from chop.nn.quantized import from_float

    cfg = {"name": "integer", "data_in_width": 8, "data_in_frac_width": 4, "weight_width": 8,
           "weight_frac_width": 4, "bias_width": 8, "bias_frac_width": 4}
    model = nn.Sequential(from_float(nn.Linear(4, 3), cfg), nn.ReLU())
    mg = MaseGraph(model)
    ops = [(n.op, n.target) for n in mg.fx_graph.nodes]
    assert [op for op, _ in ops] == ["placeholder", "call_module", "call_module", "output"]
    x = torch.randn(2, 4)
    assert torch.equal(mg.model(x), model(x))
