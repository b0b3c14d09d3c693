"""The processed-tensor cache: content keys, safetensors + JSON entries, build-once semantics."""

from __future__ import annotations

import hashlib
import json

import pytest
import torch

from chop.dataset.cache import cache_key, cached, file_sha256, load_entry, save_entry


def test_file_sha256_is_the_sha256_of_the_bytes(tmp_path):
    path = tmp_path / "blob"
    data = bytes(range(256)) * 5000  # spans several read chunks
    path.write_bytes(data)
    assert file_sha256(path, chunk_size=4096) == hashlib.sha256(data).hexdigest()


def test_key_depends_on_sources_and_parameters_only():
    base = cache_key("jsc", ["abc"], {"split_seed": 42, "val_size": 0.1})
    assert base == cache_key("jsc", ["abc"], {"val_size": 0.1, "split_seed": 42})
    assert base != cache_key("jsc", ["abd"], {"split_seed": 42, "val_size": 0.1})
    assert base != cache_key("jsc", ["abc"], {"split_seed": 7, "val_size": 0.1})
    assert base != cache_key("mnist", ["abc"], {"split_seed": 42, "val_size": 0.1})
    assert base.startswith("jsc-")


def test_entry_round_trip_without_pickle(tmp_path):
    tensors = {"train_x": torch.randn(5, 3), "train_y": torch.arange(5)}
    save_entry(tmp_path, "k1", tensors, {"split_sizes": {"train": 5}})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["k1.json", "k1.safetensors"]
    assert json.loads((tmp_path / "k1.json").read_text())["split_sizes"] == {"train": 5}
    back, meta = load_entry(tmp_path, "k1")
    assert torch.equal(back["train_x"], tensors["train_x"]) and torch.equal(back["train_y"], tensors["train_y"])
    assert meta["key"] == "k1"


def test_cached_builds_once(tmp_path):
    builds = []

    def build():
        builds.append(1)
        return {"x": torch.ones(2)}, {"note": ("a", "b")}

    first = cached(tmp_path, "k", build)
    second = cached(tmp_path, "k", build)
    assert len(builds) == 1
    assert torch.equal(first[0]["x"], second[0]["x"])
    assert first[1] == second[1]  # same plain JSON types whether built or read back


@pytest.mark.parametrize("damage", ["truncate_tensors", "bad_json", "drop_json"])
def test_damaged_entries_are_rebuilt(tmp_path, damage):
    cached(tmp_path, "k", lambda: ({"x": torch.ones(100)}, {}))
    if damage == "truncate_tensors":
        path = tmp_path / "k.safetensors"
        path.write_bytes(path.read_bytes()[:20])
    elif damage == "bad_json":
        (tmp_path / "k.json").write_text("{not json")
    else:
        (tmp_path / "k.json").unlink()
    assert load_entry(tmp_path, "k") is None
    tensors, _ = cached(tmp_path, "k", lambda: ({"x": torch.zeros(100)}, {}))
    assert torch.equal(tensors["x"], torch.zeros(100))
    assert torch.equal(load_entry(tmp_path, "k")[0]["x"], torch.zeros(100))


def test_no_temporary_files_are_left_behind(tmp_path):
    save_entry(tmp_path, "k", {"x": torch.ones(3)}, {})
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]
