"""The built-in models: their sizes, that torch.fx traces them, and their info."""

import pytest
import torch

from chop.dataset import get_dataset_info
from chop.ir import MaseGraph
from chop.models import MODELS, get_model, get_model_info

EXPECTED_PARAMS = {"jsc-tiny": 117, "jsc-toy": 327, "jsc-s": 5_615, "jsc-three-layer": 4_389}


@pytest.mark.parametrize("name,params", EXPECTED_PARAMS.items())
def test_jsc_model_sizes(name, params):
    model = get_model(name)  # built for its default dataset, jsc (16 features, 5 classes)
    assert sum(p.numel() for p in model.parameters() if p.requires_grad) == params


def test_jsc_tiny_is_the_seed_architecture():
    layers = [type(m).__name__ for m in get_model("jsc-tiny").seq_blocks]
    assert layers == ["BatchNorm1d", "ReLU", "Linear", "ReLU"]


@pytest.mark.parametrize("name", [n for n in MODELS.names()  # text models: tests/models/test_text_models.py
                                  if get_model_info(n).fx_traceable and get_model_info(n).source != "nlp"])
def test_every_traceable_model_traces_and_runs_on_its_default_shape(name):
    info = get_dataset_info(get_model_info(name).default_dataset)
    model = get_model(name, info).eval()
    x = torch.randn(4, *info.input_shape)
    mg = MaseGraph(model, model_name=name, dataset_info=info)
    out = mg.model(x)
    assert out.shape == (4, info.num_classes)
    assert torch.allclose(out, model(x))


def test_vision_models_size_themselves_from_the_dataset():
    digits, fashion = get_dataset_info("digits"), get_dataset_info("fashion-mnist")
    assert get_model("mlp", digits).seq_blocks[1].in_features == 64
    assert get_model("mlp", fashion).seq_blocks[1].in_features == 784
    assert get_model("cnn", digits)(torch.randn(2, 1, 8, 8)).shape == (2, 10)
