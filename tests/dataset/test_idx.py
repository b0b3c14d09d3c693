"""IDX parsing: the byte layout of the format, round trips, gzip, and damaged files."""

from __future__ import annotations

import gzip
import struct

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from chop.dataset.idx import idx_bytes, parse_idx, read_idx, write_idx
from chop.errors import DataError


def test_reads_bytes_laid_out_as_the_format_defines(tmp_path):
    """Two 2x3 uint8 images, written by hand: magic 0x00000803, big-endian dims, then pixels."""
    pixels = bytes(range(12))
    raw = b"\x00\x00\x08\x03" + struct.pack(">III", 2, 2, 3) + pixels
    path = tmp_path / "images-idx3-ubyte"
    path.write_bytes(raw)
    images = read_idx(path)
    assert images.dtype == np.uint8 and images.shape == (2, 2, 3)
    np.testing.assert_array_equal(images.ravel(), np.arange(12))


def test_big_endian_int32_values():
    raw = b"\x00\x00\x0c\x01" + struct.pack(">I", 3) + struct.pack(">iii", 1, -2, 70000)
    np.testing.assert_array_equal(parse_idx(raw), [1, -2, 70000])


def test_gzip_is_recognised_by_content_not_name(tmp_path):
    labels = np.array([3, 1, 4, 1, 5], dtype=np.uint8)
    path = tmp_path / "labels-without-suffix"
    path.write_bytes(gzip.compress(idx_bytes(labels)))
    np.testing.assert_array_equal(read_idx(path), labels)


def test_write_idx_gzips_by_suffix(tmp_path):
    images = np.arange(2 * 28 * 28, dtype=np.uint8).reshape(2, 28, 28)
    path = write_idx(tmp_path / "train-images-idx3-ubyte.gz", images)
    assert path.read_bytes()[:2] == b"\x1f\x8b"
    assert gzip.decompress(path.read_bytes())[:4] == b"\x00\x00\x08\x03"
    np.testing.assert_array_equal(read_idx(path), images)


@settings(max_examples=40, deadline=None)
@given(
    arrays(
        dtype=st.sampled_from([np.uint8, np.int8, np.int16, np.int32, np.float32, np.float64]),
        shape=st.lists(st.integers(0, 5), min_size=1, max_size=4).map(tuple),
    )
)
def test_round_trip(array):
    back = parse_idx(idx_bytes(array))
    assert back.dtype == array.dtype and back.shape == array.shape
    np.testing.assert_array_equal(back, array)


@pytest.mark.parametrize("raw", [b"", b"\x01\x00\x08\x01", b"\x00\x00\x07\x01\x00\x00\x00\x01x", b"PK\x03\x04zip"])
def test_bad_magic_number_is_a_data_error(tmp_path, raw):
    path = tmp_path / "t10k-labels-idx1-ubyte"
    path.write_bytes(raw)
    with pytest.raises(DataError, match="is not an IDX file") as err:
        read_idx(path)
    assert str(path) in str(err.value)


def test_truncated_data_is_a_data_error():
    raw = idx_bytes(np.zeros((4, 28, 28), dtype=np.uint8))
    with pytest.raises(DataError, match="truncated or damaged"):
        parse_idx(raw[:-10], "train-images")
    with pytest.raises(DataError, match="truncated inside its header"):
        parse_idx(raw[:9], "train-images")


def test_damaged_gzip_is_a_data_error(tmp_path):
    path = tmp_path / "train-images-idx3-ubyte.gz"
    path.write_bytes(gzip.compress(idx_bytes(np.zeros((2, 2), np.uint8)))[:-6])
    with pytest.raises(DataError, match="damaged gzip"):
        read_idx(path)


def test_unsupported_dtype_cannot_be_written():
    with pytest.raises(ValueError, match="IDX cannot store"):
        idx_bytes(np.zeros(3, dtype=np.int64))
