"""The trained, pruned, low-bit program the hardware benchmarks synthesize
(`benchmarks/trained_program.py`): pruned weights stay zero through fine-tuning and export, the
integer program classifies exactly as the fake-quantized model does, and it has learned."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from trained_program import linear_sparsity, trained_program  # noqa: E402

from chop.dataset import get_dataset  # noqa: E402
from chop.hardware import HardwareOptions  # noqa: E402
from chop.hardware.estimate import estimate_program  # noqa: E402


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from conftest import JSC_H5_FILE, write_jsc_h5

    root = tmp_path_factory.mktemp("jsc-data")
    write_jsc_h5(root / "jsc" / JSC_H5_FILE)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MACHOP_DATA_DIR", str(root))
        torch.set_num_threads(1)
        data = get_dataset("jsc")
        dense = trained_program("jsc-s", data, 4, 4, 0.0, epochs=3, qat_epochs=1)
        pruned = trained_program("jsc-s", data, 4, 4, 0.75, epochs=3, qat_epochs=1)
    return data, dense, pruned


def test_pruned_weights_stay_zero_through_fine_tuning_and_export(built):
    _, dense, pruned = built
    assert pruned.sparsity >= 0.75  # pruning's zeros, plus any weight that quantizes to 0
    assert dense.sparsity < 0.5
    assert pruned.sparsity == linear_sparsity(pruned.program)


def test_integer_program_classifies_as_the_fake_quantized_model(built):
    _, dense, pruned = built
    assert pruned.integer_acc == pytest.approx(pruned.qat_acc, abs=1e-6)  # < one sample of the test split
    assert dense.integer_acc == pytest.approx(dense.qat_acc, abs=1e-6)  # < one sample of the test split


def test_trained_program_has_learned(built):
    data, _, pruned = built
    chance = torch.bincount(data.test.y).max().item() / len(data.test.y)
    assert pruned.float_acc > chance + 0.1
    assert pruned.integer_acc > chance + 0.1


def test_pruning_shrinks_the_estimated_design(built):
    _, dense, pruned = built
    options = HardwareOptions()
    small = estimate_program(pruned.program, options, (16,))["total"]["luts"]
    large = estimate_program(dense.program, options, (16,))["total"]["luts"]
    assert 0 < small < 0.6 * large
