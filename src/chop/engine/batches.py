"""The engine's batches: `TensorBatches` and `endless_inputs` live in `chop.dataset.batches`
(below the engine, so that `chop.dataset.MaseDataModule` can batch without importing it)."""

from chop.dataset.batches import TensorBatches, endless_inputs

__all__ = ["TensorBatches", "endless_inputs"]
