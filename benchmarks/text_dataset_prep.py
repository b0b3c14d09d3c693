"""Preparing a text set: machop's tokenization against the transformers tokenizer call, and the
cost of a first load against a cache hit.

All on the 22,812 distinct tweets of the offline `tweets` set, one torch thread, interleaved repeats:
  tokenize  seconds to turn every tweet into padded/truncated ids + masks: `chop.dataset.tokenize.encode`
            (the Rust tokenizer from all-MiniLM-L6-v2's tokenizer.json) vs
            `AutoTokenizer(...)(texts, padding="max_length", truncation=True, return_tensors="np")`;
            the ids are checked equal. Target ratio machop/transformers <= 1.0.
  load      `get_dataset("tweets")` into an empty data folder (read, de-duplicate, split, tokenize,
            cache) vs the same call again (a cache hit), each in a fresh process (imports not counted).

Needs the `[nlp]` extra. Run: python benchmarks/text_dataset_prep.py [--max-token-len 64] [--repeats 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np
import torch

LOAD = ("import time; from chop.dataset import get_dataset; t = time.perf_counter(); "
        "get_dataset('tweets', max_token_len={n}); print(time.perf_counter() - t)")  # the call, not the imports


def time_tokenizers(max_token_len: int, repeats: int) -> tuple[list[float], list[float]]:
    from transformers import AutoTokenizer

    from chop.dataset.text_corpora import TWEETS, read_tweets
    from chop.dataset.text_table import drop_duplicate_texts
    from chop.dataset.tokenize import encode, load_tokenizer, resolve_tokenizer

    texts = drop_duplicate_texts(read_tweets(TWEETS.locate(None))).texts
    ref = resolve_tokenizer(None)
    ours, theirs = load_tokenizer(ref), AutoTokenizer.from_pretrained(ref.location, local_files_only=True)
    a, b = [], []
    for _ in range(repeats):
        start = time.perf_counter()
        mine = encode(texts, ours, max_token_len)
        a.append(time.perf_counter() - start)
        start = time.perf_counter()
        ref_ids = theirs(texts, padding="max_length", truncation=True, max_length=max_token_len,
                         return_tensors="np")["input_ids"]
        b.append(time.perf_counter() - start)
        assert np.array_equal(mine["input_ids"], ref_ids), "machop's ids differ from transformers'"
    print(f"tokenize {len(texts)} tweets to {max_token_len} tokens: machop {statistics.median(a):.2f} s, "
          f"transformers {statistics.median(b):.2f} s, ratio {statistics.median(a) / statistics.median(b):.2f}")
    return a, b


def time_loads(max_token_len: int, repeats: int) -> None:
    cold, hit = [], []
    for _ in range(repeats):
        with tempfile.TemporaryDirectory() as root:
            env = {**os.environ, "MACHOP_DATA_DIR": root, "OMP_NUM_THREADS": "1"}
            run = [sys.executable, "-c", LOAD.format(n=max_token_len)]
            for times in (cold, hit):
                out = subprocess.run(run, env=env, capture_output=True, text=True, check=True).stdout
                times.append(float(out.strip().splitlines()[-1]))
    print(f"get_dataset('tweets', max_token_len={max_token_len}) in a fresh process: first load "
          f"{statistics.median(cold):.2f} s, cache hit {statistics.median(hit):.3f} s "
          f"({statistics.median(cold) / statistics.median(hit):.0f}x)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-token-len", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    torch.set_num_threads(1)
    time_tokenizers(args.max_token_len, args.repeats)
    time_loads(args.max_token_len, args.repeats)


if __name__ == "__main__":
    main()
