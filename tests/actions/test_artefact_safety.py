"""A loaded artefact is data: a name read from a checkpoint or recipe never imports a file."""

import json

import pytest
import torch

from chop.cli import main
from chop.dataset import get_dataset_info
from chop.engine.checkpoint import make_checkpoint
from chop.models import get_model

PAYLOAD = "from pathlib import Path\nPath(__file__).with_name('IMPORTED').write_text('pwned')\n"


def _one_line(capsys):
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and err.startswith("error:") and "Traceback" not in err
    return err


@pytest.fixture
def payload(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "payload.py").write_text(PAYLOAD)
    return tmp_path / "IMPORTED"


def _ckpt(tmp_path, **fields):
    info = get_dataset_info("toy")
    ckpt = make_checkpoint(get_model("jsc-tiny", info), "jsc-tiny", info)
    ckpt.update(fields)
    path = tmp_path / "x.ckpt"
    torch.save(ckpt, path)
    return path


@pytest.mark.parametrize("name", ["payload.py:jsc-tiny", "./payload.py:jsc-tiny"])
def test_checkpoint_naming_a_file_imports_nothing(tmp_path, payload, capsys, name):
    path = _ckpt(tmp_path, model_name=name)
    assert main(["test", "--load", str(path)]) == 2
    assert not payload.exists()
    err = _one_line(capsys)
    assert "may only name a registered model" in err and "--model-file" in err


def test_checkpoint_naming_a_file_with_model_on_command_line(tmp_path, payload, capsys):
    path = _ckpt(tmp_path, model_name="payload.py:jsc-tiny")
    assert main(["test", "jsc-tiny", "toy", "--load", str(path)]) == 2
    assert not payload.exists()
    _one_line(capsys)


def test_recipe_naming_a_file_imports_nothing(tmp_path, payload, capsys):
    from chop.ir import MaseGraph

    info = get_dataset_info("toy")
    mg = MaseGraph(get_model("jsc-tiny", info), model_name="jsc-tiny", dataset_info=info)
    saved = mg.save(tmp_path / "g")
    recipe = json.loads((saved / "recipe.json").read_text())
    recipe["model"] = "payload.py:jsc-tiny"
    (saved / "recipe.json").write_text(json.dumps(recipe))
    assert main(["train", "jsc-tiny", "toy", "--load", str(saved), "--load-type", "mg",
                 "--max-epochs", "1", "--project-dir", str(tmp_path)]) == 2
    assert not payload.exists()
    assert "registered model" in _one_line(capsys)


def test_the_users_own_file_spec_still_imports(tmp_path, payload, capsys):
    """What the user types is theirs to run: FILE.py:NAME on the command line imports FILE."""
    assert main(["test", "payload.py:jsc-tiny", "toy", "--load", str(_ckpt(tmp_path))]) == 0
    assert payload.exists()


@pytest.mark.parametrize("fields,expect", [
    ({"state_dict": 1.5}, "damaged 'state_dict'"),
    ({"state_dict": [1, 2]}, "damaged 'state_dict'"),
    ({"state_dict": {"model.x": "text"}}, "damaged 'state_dict'"),
    ({"dataset_info": "toy"}, "damaged 'dataset_info'"),
    ({"dataset_info": {"name": "toy", "input_shape": "16"}}, "damaged 'dataset_info'"),
    ({"dataset_info": {"name": "toy", "bogus": 1}}, "damaged 'dataset_info'"),
    ({"model_name": 7}, "not a model name"),
])
def test_tampered_checkpoint_is_one_line(tmp_path, capsys, monkeypatch, fields, expect):
    monkeypatch.chdir(tmp_path)
    path = _ckpt(tmp_path, **fields)
    assert main(["test", "--load", str(path)]) == 2
    assert expect in _one_line(capsys)
