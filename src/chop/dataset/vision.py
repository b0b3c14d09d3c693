"""`mnist` and `fashion-mnist`: 28x28 grey images in the standard IDX files, 10 classes.

The four files (`train-images-idx3-ubyte.gz` etc., gzipped or not) are looked for in `data_dir`,
`$MACHOP_DATA_DIR/<name>/` and, for Fashion-MNIST, where the Debian package
`dataset-fashion-mnist` installs them. Without them the loader downloads from the public mirror
(MD5-checked, short timeouts) or says in one line where to put them. 5000 training images are
held out (stratified, seeded) as the validation split; the 10k test set is the official one.
The cache keeps images as uint8 (4x smaller than float32); loading scales them to [0, 1] float32.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from chop.dataset import download as net
from chop.dataset.cache import cache_key, cached, file_sha256
from chop.dataset.idx import read_idx
from chop.dataset.info import Dataset, DatasetInfo
from chop.dataset.options import reject_unknown_options
from chop.dataset.paths import dataset_home, processed_home, search_dirs
from chop.dataset.registry import register_dataset
from chop.dataset.splits import dataset_from_tensors, holdout, split_tensors
from chop.errors import DataError

logger = logging.getLogger(__name__)

# Part -> file name stem; each file may also carry a `.gz` suffix.
IDX_FILES = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}
IMAGE_SIDE = 28
NUM_CLASSES = 10
VISION_VAL_SIZE = 5000
MAX_PIXEL = 255.0


@dataclass(frozen=True)
class IdxSource:
    """Where an IDX image dataset comes from: its mirror, checksums and system folders."""

    name: str
    class_names: tuple[str, ...]
    mirror: str
    md5: dict[str, str]  # "<stem>.gz" -> MD5 of the published gzipped file
    system_dirs: tuple[str, ...] = ()
    description: str = ""

    def info(self) -> DatasetInfo:
        return DatasetInfo(
            name=self.name,
            input_shape=(1, IMAGE_SIDE, IMAGE_SIDE),
            num_classes=NUM_CLASSES,
            class_names=self.class_names,
            split_sizes={"train": 60000 - VISION_VAL_SIZE, "val": VISION_VAL_SIZE, "test": 10000},
            description=self.description,
        )


FASHION_MNIST = IdxSource(
    name="fashion-mnist",
    class_names=(
        "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
        "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
    ),  # fmt: skip
    mirror="http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
    md5={
        "train-images-idx3-ubyte.gz": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
        "train-labels-idx1-ubyte.gz": "25c81989df183df01b3e8a0aad5dffbe",
        "t10k-images-idx3-ubyte.gz": "bef4ecab320f06d8554ea6380940ec79",
        "t10k-labels-idx1-ubyte.gz": "bb300cfdad3c16e7a12a480ee83cd310",
    },
    system_dirs=("/usr/share/datasets/fashion-mnist",),
    description="Zalando's Fashion-MNIST: 28x28 grey article images, 10 classes.",
)

MNIST = IdxSource(
    name="mnist",
    class_names=tuple(str(d) for d in range(10)),
    mirror="https://ossci-datasets.s3.amazonaws.com/mnist/",
    md5={
        "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
        "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
        "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
        "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
    },
    description="MNIST handwritten digits: 28x28 grey images, 10 classes.",
)


def find_idx_files(source: IdxSource, data_dir: str | Path | None) -> dict[str, Path] | None:
    """The four IDX files from the first folder that holds all of them (gzipped or not)."""
    for folder in search_dirs(source.name, data_dir, source.system_dirs):
        found = {}
        for part, stem in IDX_FILES.items():
            for candidate in (folder / f"{stem}.gz", folder / stem):
                if candidate.is_file():
                    found[part] = candidate
                    break
        if len(found) == len(IDX_FILES):
            return found
    return None


def download_idx_files(source: IdxSource, dest: Path) -> dict[str, Path]:
    """Download the four gzipped files from the source's mirror into `dest`, checking MD5s."""
    files = {}
    for part, stem in IDX_FILES.items():
        name = f"{stem}.gz"
        target = dest / name
        if not target.is_file():
            net.download_file(source.mirror + name, target, source.md5[name])
        files[part] = target
    return files


def missing_idx_message(source: IdxSource, data_dir: str | Path | None, reason: str) -> str:
    """One line: which files are needed, where to put them, and why they were not fetched."""
    names = ", ".join(f"{stem}.gz" for stem in IDX_FILES.values())
    where = f"'{dataset_home(source.name)}/'"
    if data_dir is not None:
        where += f" or '{Path(data_dir).expanduser()}/'"
    hint = " (or apt-get install dataset-fashion-mnist)" if source.system_dirs else ""
    return f"{source.name} data not found: put {names} in {where}{hint}; {reason}."


def locate_or_download_idx(
    source: IdxSource, data_dir: str | Path | None, allow_download: bool
) -> dict[str, Path]:
    """The four IDX files on disk, downloading them from the mirror when none are found."""
    found = find_idx_files(source, data_dir)
    if found is not None:
        return found
    if not allow_download:
        raise DataError(missing_idx_message(source, data_dir, "downloads are switched off"))
    try:
        return download_idx_files(source, dataset_home(source.name))
    except net.DownloadError as e:
        raise DataError(missing_idx_message(source, data_dir, f"the download failed: {e}")) from None


def read_idx_pair(images_path: Path, labels_path: Path) -> tuple[np.ndarray, np.ndarray]:
    """(uint8 images (N, 28, 28), int64 labels (N,)), checked to belong together."""
    images, labels = read_idx(images_path), read_idx(labels_path)
    if images.dtype != np.uint8 or images.ndim != 3 or images.shape[1:] != (IMAGE_SIDE, IMAGE_SIDE):
        raise DataError(
            f"'{images_path}' holds {images.dtype} {images.shape}, not uint8 images of "
            f"{IMAGE_SIDE}x{IMAGE_SIDE}."
        )
    if labels.ndim != 1 or len(labels) != len(images):
        raise DataError(
            f"'{labels_path}' holds labels of shape {labels.shape} for {len(images)} images in "
            f"'{images_path}'; the two files do not belong together."
        )
    if len(labels) and (labels.min() < 0 or labels.max() >= NUM_CLASSES):
        raise DataError(f"'{labels_path}' has labels outside 0..{NUM_CLASSES - 1}.")
    return images, labels.astype(np.int64)


def preprocess_idx(
    files: dict[str, Path], split_seed: int, val_size: int | float
) -> tuple[dict[str, torch.Tensor], dict]:
    """Parse the four files and carve the validation split out of the training images."""
    train_x, train_y = read_idx_pair(files["train_images"], files["train_labels"])
    test_x, test_y = read_idx_pair(files["test_images"], files["test_labels"])
    keep, val = holdout(train_y, val_size, split_seed)
    tensors = split_tensors(train_x[:, None], train_y, {"train": keep, "val": val})
    tensors.update(split_tensors(test_x[:, None], test_y, {"test": np.arange(len(test_y))}))
    meta = {"split_sizes": {"train": len(keep), "val": len(val), "test": len(test_y)}}
    return tensors, meta


def to_unit_float(x: torch.Tensor) -> torch.Tensor:
    """uint8 pixels -> float32 in [0, 1]."""
    return x.to(torch.float32).div_(MAX_PIXEL)


def load_idx_dataset(
    source: IdxSource,
    data_dir: str | Path | None = None,
    split_seed: int = 42,
    val_size: int | float = VISION_VAL_SIZE,
    download: bool = True,
    **options,
) -> Dataset:
    """x float32 (N, 1, 28, 28) in [0, 1], y int64; processed once, then read from the cache."""
    reject_unknown_options(source.name, options, ("val_size", "download"))
    files = locate_or_download_idx(source, data_dir, download)
    sources = [file_sha256(files[part]) for part in IDX_FILES]
    key = cache_key(source.name, sources, {"split_seed": split_seed, "val_size": val_size})

    def build():
        folder = files["train_images"].parent
        logger.info("Preprocessing %s from %s (cached once as %s)", source.name, folder, key)
        return preprocess_idx(files, split_seed, val_size)

    tensors, _meta = cached(processed_home(source.name), key, build)
    return dataset_from_tensors(source.info(), tensors, x_transform=to_unit_float)


def _register(source: IdxSource) -> None:
    def loader(data_dir=None, split_seed: int = 42, **options) -> Dataset:
        return load_idx_dataset(source, data_dir=data_dir, split_seed=split_seed, **options)

    loader.__doc__ = f"Load {source.name}: {source.description}"
    register_dataset(source.name, source.info())(loader)


_register(FASHION_MNIST)
_register(MNIST)
