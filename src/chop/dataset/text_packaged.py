"""`tweets` and `bbc-news`: the offline text sets, registered.

    get_dataset("tweets", max_token_len=64)     # 22,812 distinct tweets, negative / positive
    get_dataset("bbc-news", max_token_len=256)  # 2,127 distinct articles, 5 classes

Options (as for every text set): `max_token_len` (default 128), `tokenizer` (default
all-MiniLM-L6-v2's; a folder or a hub name), `test_size`, `val_size`, `max_rows` (a stratified
sample, for quick runs).
"""

from __future__ import annotations

from pathlib import Path

from chop.dataset.info import Dataset
from chop.dataset.options import reject_unknown_options
from chop.dataset.registry import register_dataset
from chop.dataset.text import TEXT_OPTIONS, load_text_dataset, static_split_sizes, text_info
from chop.dataset.text_corpora import BBC_CLASSES, BBC_NEWS, TWEET_CLASSES, TWEETS, read_bbc, read_tweets

TWEETS_ROWS = 22812  # positive + negative rows of the pinned CSV after de-duplication (70% negative)
BBC_ROWS = 2127  # of the 2,225 files, 98 repeat another article's text exactly

TWEETS_INFO = text_info(
    "tweets", TWEET_CLASSES, TWEETS.source,
    "CrowdFlower tweet sentiment: negative / positive (70% negative).",
    static_split_sizes(TWEETS_ROWS),
)
BBC_INFO = text_info(
    "bbc-news", BBC_CLASSES, BBC_NEWS.source,
    "BBC news articles 2004-05, 5 topics (2,127 distinct of 2,225).",
    static_split_sizes(BBC_ROWS),
)


@register_dataset("tweets", TWEETS_INFO)
def load_tweets(data_dir: str | Path | None = None, split_seed: int = 42, **options) -> Dataset:
    """Tweets as token ids (int64, (N, max_token_len)) and labels negative=0 / positive=1."""
    reject_unknown_options("tweets", {k: v for k, v in options.items() if k not in TEXT_OPTIONS}, TEXT_OPTIONS)
    path = TWEETS.locate(data_dir)
    digest = TWEETS.checked_sha256(path)
    return load_text_dataset(TWEETS_INFO, [digest], lambda: read_tweets(path), split_seed=split_seed, **options)


@register_dataset("bbc-news", BBC_INFO)
def load_bbc_news(data_dir: str | Path | None = None, split_seed: int = 42, **options) -> Dataset:
    """BBC articles as token ids and labels business / entertainment / politics / sports / tech."""
    reject_unknown_options("bbc-news", {k: v for k, v in options.items() if k not in TEXT_OPTIONS}, TEXT_OPTIONS)
    folder = BBC_NEWS.locate(data_dir)
    digest = BBC_NEWS.checked_sha256(folder)
    return load_text_dataset(BBC_INFO, [digest], lambda: read_bbc(folder), split_seed=split_seed, **options)
