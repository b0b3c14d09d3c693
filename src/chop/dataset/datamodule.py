"""`MaseDataModule` (also `chop.dataset.MaseDataModule`): MASE's data-module interface over `get_dataset`'s in-memory tensors.

    dm = MaseDataModule(name="jsc", batch_size=8, model_name="jsc-tiny", num_workers=0)
    dm.prepare_data(); dm.setup()
    x, y = next(iter(dm.train_dataloader()))

The loaders are `TensorBatches` (slices of tensors, the same batching `ch train` uses), so the
notebook sees exactly the splits and preprocessing of the command line; no Lightning needed.
`max_token_len` and `tokenizer` (an object with `name_or_path`, a name or a folder) choose how a
text set is tokenized; `num_workers` and `load_from_cache_file` are accepted for MASE's
signature: data stays in memory, and the processed-data cache is always keyed by the source file.
"""

from __future__ import annotations

from pathlib import Path

from chop.dataset.info import Dataset, DatasetInfo
from chop.dataset.registry import get_dataset, get_dataset_info, run_options
from chop.dataset.batches import TensorBatches
from chop.errors import ChopError

EVAL_BATCH = 1024


class MaseDataModule:
    def __init__(self, name: str, batch_size: int, num_workers: int = 0, max_token_len: int | None = None,
                 tokenizer=None, load_from_cache_file: bool = True, model_name: str | None = None,
                 data_dir: str | Path | None = None, seed: int = 0):
        get_dataset_info(name)  # an unknown name fails here, with a suggestion
        self.name = name
        self.batch_size = batch_size
        self.num_workers = num_workers
        self.max_token_len = max_token_len
        self.tokenizer = tokenizer
        self.load_from_cache_file = load_from_cache_file
        self.model_name = model_name
        self.data_dir = data_dir
        self.seed = seed
        self.dataset: Dataset | None = None
        self._epoch = 0

    @property
    def dataset_info(self) -> DatasetInfo:
        """The loaded dataset's info (with split sizes), or the static info before `setup`."""
        return self.dataset.info if self.dataset is not None else get_dataset_info(self.name)

    def prepare_data(self) -> None:
        """Find (or download where allowed) and cache the raw data."""
        self._load()

    def setup(self, stage: str | None = None) -> None:
        self._load()

    def _load(self) -> Dataset:
        if self.dataset is None:
            options = run_options(self.name, self.max_token_len)
            if options and self.tokenizer is not None:  # MASE passed a tokenizer object or its name
                options["tokenizer"] = getattr(self.tokenizer, "name_or_path", self.tokenizer)
            self.dataset = get_dataset(self.name, data_dir=self.data_dir, **options)
        return self.dataset

    def _ready(self) -> Dataset:
        if self.dataset is None:
            raise ChopError(f"MaseDataModule('{self.name}') has no data yet: call prepare_data() and setup() first.")
        return self.dataset

    def train_dataloader(self) -> TensorBatches:
        """Shuffled `(x, y)` batches; each call draws the next epoch's order."""
        batches = TensorBatches(self._ready().train, self.batch_size, shuffle=True, seed=self.seed)
        batches.set_epoch(self._epoch)
        self._epoch += 1
        return batches

    def val_dataloader(self) -> TensorBatches:
        return TensorBatches(self._ready().val, self.batch_size)

    def test_dataloader(self) -> TensorBatches:
        return TensorBatches(self._ready().test, self.batch_size)
