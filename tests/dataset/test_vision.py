"""`mnist` / `fashion-mnist`: finding the IDX files, splits, scaling, caching, errors.

Small IDX files are written here; the real Fashion-MNIST is used when the Debian package
`dataset-fashion-mnist` is installed.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import torch

import chop.dataset.vision as vision
from chop.dataset import download, get_dataset, get_dataset_info
from chop.dataset.idx import write_idx
from chop.errors import DataError

FASHION_DIR = Path("/usr/share/datasets/fashion-mnist")
STEMS = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")


def make_images(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    labels = (np.arange(n) % 10).astype(np.uint8)
    images = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
    images[:, 0, :10] = 0
    images[np.arange(n), 0, labels] = 255  # a class-dependent bright pixel
    return images, labels


def write_idx_set(folder: Path, n_train: int = 120, n_test: int = 30, seed: int = 0, gz: bool = True) -> dict:
    folder.mkdir(parents=True, exist_ok=True)
    (train_x, train_y), (test_x, test_y) = make_images(n_train, seed), make_images(n_test, seed + 1)
    suffix = ".gz" if gz else ""
    for stem, array in zip(STEMS, (train_x, train_y, test_x, test_y)):
        write_idx(folder / f"{stem}{suffix}", array)
    return {"train_x": train_x, "train_y": train_y, "test_x": test_x, "test_y": test_y}


def sorted_rows(x: np.ndarray) -> list[bytes]:
    return sorted(row.tobytes() for row in x.reshape(len(x), -1))


def test_info_without_loading():
    for name in ("mnist", "fashion-mnist"):
        info = get_dataset_info(name)
        assert info.input_shape == (1, 28, 28) and info.num_classes == 10
        assert info.split_sizes == {"train": 55000, "val": 5000, "test": 10000}
    assert get_dataset_info("fashion-mnist").class_names[0] == "T-shirt/top"
    assert get_dataset_info("fashion-mnist").class_names[9] == "Ankle boot"
    assert get_dataset_info("mnist").class_names == tuple("0123456789")


def test_loads_small_idx_files_from_data_dir(tmp_path):
    raw = write_idx_set(tmp_path / "idx")
    ds = get_dataset("mnist", data_dir=tmp_path / "idx", val_size=20)
    assert {s: len(ds.split(s)) for s in ("train", "val", "test")} == {"train": 100, "val": 20, "test": 30}
    for s in ("train", "val", "test"):
        assert ds.split(s).x.dtype == torch.float32 and ds.split(s).x.shape[1:] == (1, 28, 28)
        assert ds.split(s).y.dtype == torch.int64
    # the test set is the file's, in order, scaled by 1/255
    np.testing.assert_array_equal(ds.test.x.numpy()[:, 0], raw["test_x"].astype(np.float32) / 255)
    np.testing.assert_array_equal(ds.test.y.numpy(), raw["test_y"])
    # train and val split the training file's images between them, each image once
    train_val = torch.cat([ds.train.x, ds.val.x]).numpy()
    assert sorted_rows(np.round(train_val * 255).astype(np.uint8)) == sorted_rows(raw["train_x"])
    assert torch.equal(ds.train.x[:, 0, 0, :10].argmax(dim=1), ds.train.y)  # labels stay with images


def test_finds_uncompressed_files_under_the_data_root():
    root = Path(os.environ["MACHOP_DATA_DIR"])
    write_idx_set(root / "mnist", gz=False)
    ds = get_dataset("mnist", val_size=10)
    assert len(ds.train) == 110 and len(ds.test) == 30


def test_second_load_reads_the_cache_and_a_changed_file_rebuilds_it(tmp_path, monkeypatch):
    calls = []
    original = vision.preprocess_idx
    monkeypatch.setattr(vision, "preprocess_idx", lambda *a: calls.append(1) or original(*a))
    write_idx_set(tmp_path / "idx")
    first = get_dataset("mnist", data_dir=tmp_path / "idx", val_size=20)
    second = get_dataset("mnist", data_dir=tmp_path / "idx", val_size=20)
    assert len(calls) == 1
    assert torch.equal(first.train.x, second.train.x) and torch.equal(first.val.y, second.val.y)
    write_idx_set(tmp_path / "idx", seed=5)
    third = get_dataset("mnist", data_dir=tmp_path / "idx", val_size=20)
    assert len(calls) == 2 and not torch.equal(first.test.x, third.test.x)


def test_missing_files_say_which_and_where_in_one_line():
    with pytest.raises(DataError) as err:
        get_dataset("mnist")
    message = str(err.value)
    root = os.environ["MACHOP_DATA_DIR"]
    assert "\n" not in message
    for stem in STEMS:
        assert f"{stem}.gz" in message
    assert f"'{root}/mnist/'" in message and "network disabled in tests" in message


def test_missing_fashion_mnist_suggests_the_debian_package():
    source = vision.IdxSource(**{**vision.FASHION_MNIST.__dict__, "system_dirs": ("/nonexistent",)})
    with pytest.raises(DataError, match="apt-get install dataset-fashion-mnist"):
        vision.load_idx_dataset(source)


def test_download_fetches_the_published_files_with_their_checksums(tmp_path, monkeypatch):
    served = write_idx_set(tmp_path / "mirror")
    fetched = []

    def fake_download(url, dest, md5, **_):
        fetched.append((url, md5))
        Path(dest).parent.mkdir(parents=True, exist_ok=True)
        Path(dest).write_bytes((tmp_path / "mirror" / url.rsplit("/", 1)[1]).read_bytes())
        return Path(dest)

    monkeypatch.setattr(download, "download_file", fake_download)
    ds = get_dataset("mnist", val_size=20)
    assert [u for u, _ in fetched] == [f"https://ossci-datasets.s3.amazonaws.com/mnist/{s}.gz" for s in STEMS]
    assert fetched[0][1] == "f68b3c2dcbeaaa9fbdd348bbdeb94873"
    np.testing.assert_array_equal(ds.test.y.numpy(), served["test_y"])
    assert (Path(os.environ["MACHOP_DATA_DIR"]) / "mnist" / f"{STEMS[0]}.gz").is_file()


def test_corrupt_file_is_named(tmp_path):
    write_idx_set(tmp_path / "idx")
    bad = tmp_path / "idx" / "t10k-images-idx3-ubyte.gz"
    bad.write_bytes(b"<html>not found</html>")
    with pytest.raises(DataError, match="is not an IDX file") as err:
        get_dataset("mnist", data_dir=tmp_path / "idx", val_size=20)
    assert str(bad) in str(err.value)


def test_images_and_labels_that_do_not_belong_together(tmp_path):
    write_idx_set(tmp_path / "idx")
    write_idx(tmp_path / "idx" / "t10k-labels-idx1-ubyte.gz", np.zeros(29, dtype=np.uint8))
    with pytest.raises(DataError, match="do not belong together"):
        get_dataset("mnist", data_dir=tmp_path / "idx", val_size=20)


@pytest.mark.skipif(not (FASHION_DIR / "train-images-idx3-ubyte.gz").is_file(),
                    reason="real Fashion-MNIST not installed (apt-get install dataset-fashion-mnist)")
def test_real_fashion_mnist():
    ds = get_dataset("fashion-mnist")
    assert {s: len(ds.split(s)) for s in ("train", "val", "test")} == {"train": 55000, "val": 5000, "test": 10000}
    assert ds.info.class_names[ds.test.y[0]] == "Ankle boot"
    assert ds.test.y[:5].tolist() == [9, 2, 1, 1, 6]  # the official test order
    assert torch.bincount(torch.cat([ds.train.y, ds.val.y])).tolist() == [6000] * 10
    assert torch.bincount(ds.val.y).tolist() == [500] * 10  # stratified hold-out
    assert ds.train.x.min() == 0.0 and ds.train.x.max() == 1.0
    assert 0.25 < ds.train.x.mean() < 0.32  # Fashion-MNIST's mean pixel is about 0.286
