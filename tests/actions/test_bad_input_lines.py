"""Bad files and values met by `ch`: one `error:` line naming the culprit, exit 2, no traceback."""

import json
import os
import shutil

import h5py
import pytest
import torch
from conftest import JSC_H5_FILE, write_jsc_h5

from chop.cli import main

TRAIN = ["train", "jsc-tiny", "toy", "--max-epochs", "1", "--report-to", "none"]
QUANT_TOML = ('model = "jsc-tiny"\ndataset = "toy"\n[passes.quantize]\nby = "type"\n'
              '[passes.quantize.default.config]\nname = "integer"\ndata_in_width = 8\ndata_in_frac_width = 4\n'
              'weight_width = 8\nweight_frac_width = 4\nbias_width = 8\nbias_frac_width = 4\n')


def _fails(capsys, argv, *expected):
    code = main(argv)
    err = capsys.readouterr().err.strip()
    assert code == 2, err
    assert len(err.splitlines()) == 1 and err.startswith("error:") and "Traceback" not in err, err
    for text in expected:
        assert text in err, err
    return err


@pytest.fixture
def here(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_project_dir_naming_a_file(here, capsys):
    (here / "notes.txt").write_text("mine")
    _fails(capsys, TRAIN + ["--project-dir", "notes.txt/sub"], "'notes.txt' is a file")
    assert (here / "notes.txt").read_text() == "mine"


def test_config_not_utf8_or_a_directory(here, capsys):
    (here / "latin1.toml").write_bytes('model = "caf\xe9"\n'.encode("latin-1"))
    _fails(capsys, ["train", "--config", "latin1.toml"], "latin1.toml", "not UTF-8")
    (here / "confdir").mkdir()
    _fails(capsys, ["train", "--config", "confdir"], "'confdir' is a directory")


def test_load_type_pl_given_a_directory(here, capsys):
    (here / "d").mkdir()
    _fails(capsys, ["test", "jsc-tiny", "toy", "--load", "d", "--load-type", "pl"], "is a directory", "--load-type mg")


@pytest.mark.parametrize("flag", ["--learning-rate", "--weight-decay"])
def test_infinite_rates(here, capsys, flag):
    _fails(capsys, TRAIN + [flag, "inf"], flag[2:].replace("-", "_"), "finite")


def test_passes_section_that_is_not_a_table(here, capsys):
    (here / "q.toml").write_text('model = "jsc-tiny"\ndataset = "toy"\npasses = { quantize = [1, 2] }\n')
    _fails(capsys, ["transform", "--config", "q.toml"], "[passes.quantize]", "table")


def test_max_epochs_0_claims_no_checkpoint(here, capsys):
    assert main(TRAIN[:3] + ["--max-epochs", "0", "--report-to", "none", "--project", "z"]) == 0
    summary = json.loads((here / "mase_output" / "z" / "software" / "train_summary.json").read_text())
    assert summary["best_ckpt"] is None and summary["last_ckpt"] is None and summary["epochs"] == 0


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    root = tmp_path_factory.mktemp("trained")
    assert main(TRAIN + ["--project-dir", str(root), "--project", "r"]) == 0
    config = root / "t.toml"
    config.write_text(QUANT_TOML)
    assert main(["transform", "--config", str(config), "--project-dir", str(root), "--project", "t"]) == 0
    return root


def _resume(tmp_path, trained, change):
    project = tmp_path / "r"
    shutil.copytree(trained / "r", project)
    last = project / "software" / "training_ckpts" / "last.ckpt"
    ckpt = torch.load(last, weights_only=True)
    change(ckpt)
    torch.save(ckpt, last)
    return TRAIN[:3] + ["--max-epochs", "2", "--report-to", "none", "--project-dir", str(tmp_path),
                        "--project", "r", "--resume"]


def _wrong_shape(ckpt):
    for state in ckpt["optimizer"]["state"].values():
        state["exp_avg"] = torch.zeros(3)


@pytest.mark.parametrize("change,expected", [
    (lambda c: c.pop("optimizer"), "its 'optimizer' is missing"),
    (lambda c: c.pop("epoch"), "its 'epoch' is missing"),
    (_wrong_shape, "optimizer state 'exp_avg' of shape (3,)"),
], ids=["no-optimizer", "no-epoch", "wrong-shape"])
def test_resume_from_a_tampered_checkpoint(tmp_path, trained, capsys, change, expected):
    _fails(capsys, _resume(tmp_path, trained, change), "cannot be resumed" if "missing" in expected else "--resume",
           expected)


def _edit_json(name, change):
    def edit(d):
        data = json.loads((d / name).read_text())
        change(data)
        (d / name).write_text(json.dumps(data))
    return edit


def _first_node_dtype(data):
    data["nodes"][0]["mase"]["common"]["args"] = {"data_in_0": {"torch_dtype": "torch.float99"}}


def _other_weights(d):
    from safetensors.torch import save_file

    save_file({"w": torch.zeros(3)}, str(d / "model.safetensors"))


@pytest.mark.parametrize("damage,expected", [
    (_edit_json("recipe.json", lambda r: r["dataset_info"].__setitem__("input_shape", [3])), "model.safetensors"),
    (_edit_json("metadata.json", _first_node_dtype), "unknown dtype 'torch.float99'"),
    (_edit_json("metadata.json", lambda m: m.pop("nodes")), "'nodes' must be a list"),
    (_edit_json("metadata.json", lambda m: m["nodes"].__setitem__(0, "a string")), "'nodes' must be a list"),
    (lambda d: (d / "model.safetensors").write_bytes(os.urandom(600)), "Cannot load weights"),
    (lambda d: os.truncate(d / "model.safetensors", 100), "Cannot load weights"),
    (_other_weights, "do not fit the rebuilt graph"),
], ids=["input-shape", "dtype", "no-nodes", "node-string", "random-weights", "truncated-weights", "other-model"])
def test_tampered_transformed_ckpt(tmp_path, trained, capsys, damage, expected):
    saved = tmp_path / "g"
    shutil.copytree(trained / "t" / "software" / "transform" / "transformed_ckpt", saved)
    damage(saved)
    _fails(capsys, TRAIN + ["--load", str(saved), "--load-type", "mg", "--project-dir", str(tmp_path)], expected)


def _jsc(tmp_path, monkeypatch, write):
    root = tmp_path / "data"
    monkeypatch.setenv("MACHOP_DATA_DIR", str(root))
    write(root / "jsc" / JSC_H5_FILE)
    return ["train", "jsc-tiny", "jsc", "--max-epochs", "1", "--report-to", "none", "--project-dir", str(tmp_path)]


def test_jsc_table_too_small(tmp_path, monkeypatch, capsys):
    argv = _jsc(tmp_path, monkeypatch, lambda p: write_jsc_h5(p, n_rows=3, n_duplicates=0))
    _fails(capsys, argv, "too small to train on")


def test_jsc_table_that_is_a_group(tmp_path, monkeypatch, capsys):
    def group(path):
        path.parent.mkdir(parents=True)
        with h5py.File(path, "w") as f:
            f.create_group("t_allpar_new")

    _fails(capsys, _jsc(tmp_path, monkeypatch, group), "'t_allpar_new' is not a table")


def test_jsc_cache_of_the_wrong_size_is_rebuilt(tmp_path, monkeypatch, capsys, caplog):
    from safetensors.torch import load_file, save_file

    argv = _jsc(tmp_path, monkeypatch, lambda p: write_jsc_h5(p, n_rows=300, n_duplicates=0))
    assert main(argv) == 0
    [entry] = (tmp_path / "data").rglob("*.safetensors")
    tensors = load_file(str(entry))
    tensors["train_x"] = tensors["train_x"][:, :5].contiguous()
    save_file(tensors, str(entry))
    assert main(argv) == 0
    assert "Ignoring damaged dataset cache" in caplog.text
    assert load_file(str(entry))["train_x"].shape[1] == 16
