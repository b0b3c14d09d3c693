import pytest
import torch

from chop.dataset import DatasetInfo
from chop.engine.checkpoint import check_fits, load_weights, make_checkpoint, read_checkpoint, weights_of
from chop.errors import CheckpointError
from chop.models import get_model

JSC = DatasetInfo("jsc", input_shape=(16,), num_classes=5)


def test_round_trip_is_weights_only_and_exact(tmp_path):
    model = get_model("jsc-s", JSC)
    path = tmp_path / "a.ckpt"
    torch.save(make_checkpoint(model, "jsc-s", JSC, epoch=3), path)
    ckpt = read_checkpoint(path)
    assert ckpt["model_name"] == "jsc-s" and ckpt["epoch"] == 3
    assert all(k.startswith("model.") for k in ckpt["state_dict"])
    other = get_model("jsc-s", JSC)
    load_weights(other, weights_of(ckpt, "pl", path), path)
    for a, b in zip(model.state_dict().values(), other.state_dict().values()):
        assert torch.equal(a, b)


def test_plain_state_dict_loads_as_pt(tmp_path):
    model = get_model("jsc-tiny", JSC)
    path = tmp_path / "w.pt"
    torch.save(model.state_dict(), path)
    state = weights_of(read_checkpoint(path), "pt", path)
    assert set(state) == set(model.state_dict())
    with pytest.raises(CheckpointError, match="use --load-type pt"):
        weights_of(read_checkpoint(path), "pl", path)


def test_checkpoint_of_another_model_is_refused(tmp_path):
    ckpt = make_checkpoint(get_model("jsc-s", JSC), "jsc-s", JSC)
    with pytest.raises(CheckpointError, match="trained for model 'jsc-s', not 'jsc-tiny'"):
        check_fits(ckpt, "jsc-tiny", JSC, "x.ckpt")
    digits = DatasetInfo("digits", input_shape=(1, 8, 8), num_classes=10)
    with pytest.raises(CheckpointError, match="does not fit 'digits'"):
        check_fits(ckpt, "jsc-s", digits, "x.ckpt")


def test_shape_mismatch_is_one_clear_error(tmp_path):
    state = get_model("jsc-s", JSC).state_dict()
    with pytest.raises(CheckpointError, match="missing|unexpected"):
        load_weights(get_model("jsc-tiny", JSC), state, "x.ckpt")
    wide = get_model("jsc-tiny", DatasetInfo("w", input_shape=(16,), num_classes=7)).state_dict()
    with pytest.raises(CheckpointError, match=r"shape of 'seq_blocks.2.bias' is \(7,\), model has \(5,\)"):
        load_weights(get_model("jsc-tiny", JSC), wide, "x.ckpt")


class Evil:
    """An object whose loading needs arbitrary unpickling."""


def test_corrupt_or_unsafe_files_are_refused(tmp_path):
    bad = tmp_path / "bad.ckpt"
    bad.write_bytes(b"not a checkpoint")
    with pytest.raises(CheckpointError, match="cannot be read safely"):
        read_checkpoint(bad)

    unsafe = tmp_path / "unsafe.ckpt"
    torch.save({"x": Evil()}, unsafe)
    with pytest.raises(CheckpointError, match="cannot be read safely"):
        read_checkpoint(unsafe)
