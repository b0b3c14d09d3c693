"""The only code that touches the network: fetching a file with a checksum, OpenML frames, and
Hugging Face hub datasets.

Every attempt fails fast: a short connection probe first, then a socket timeout on each read, so
that a machine without a network gets a clear error within seconds instead of hanging. Callers
turn a `DownloadError` into a one-line `DataError` that says where to put the file by hand.
Tests replace these functions so that they never reach the network.
"""

from __future__ import annotations

import hashlib
import logging
import socket
import time
import urllib.parse
import urllib.request
from contextlib import contextmanager
from pathlib import Path

logger = logging.getLogger(__name__)

CONNECT_TIMEOUT_S = 3.0  # the probe: is the host reachable at all?
READ_TIMEOUT_S = 20.0  # the longest silence tolerated while downloading
MAX_DOWNLOAD_S = 600.0  # a whole download may take at most this long


class DownloadError(Exception):
    """A download failed (no network, timeout, HTTP error or checksum mismatch)."""


def probe(url: str, timeout: float = CONNECT_TIMEOUT_S) -> None:
    """Raise DownloadError unless a TCP connection to `url`'s host opens within `timeout`."""
    parts = urllib.parse.urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        socket.create_connection((parts.hostname, port), timeout=timeout).close()
    except OSError as e:
        raise DownloadError(f"cannot reach {parts.hostname} ({e.__class__.__name__}: {e})") from None


def download_file(url: str, dest: str | Path, md5: str, timeout: float = READ_TIMEOUT_S) -> Path:
    """Download `url` to `dest`, keeping it only when its MD5 equals `md5`.

    The bytes go to a temporary file first, so that a failed download leaves nothing behind.
    """
    dest = Path(dest)
    probe(url)
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.part")
    digest = hashlib.md5()
    deadline = time.monotonic() + MAX_DOWNLOAD_S
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response, open(tmp, "wb") as out:
            while chunk := response.read(1 << 20):
                if time.monotonic() > deadline:
                    raise DownloadError(f"download of {url} took longer than {MAX_DOWNLOAD_S:.0f} s")
                digest.update(chunk)
                out.write(chunk)
        if digest.hexdigest() != md5:
            raise DownloadError(
                f"checksum mismatch for {url}: expected md5 {md5}, got {digest.hexdigest()}"
            )
        tmp.replace(dest)
    except DownloadError:
        raise
    except OSError as e:  # URLError, HTTPError and timeouts are all OSErrors
        raise DownloadError(f"download of {url} failed ({e})") from None
    finally:
        tmp.unlink(missing_ok=True)
    logger.info("Downloaded %s to %s", url, dest)
    return dest


@contextmanager
def _socket_timeout(seconds: float):
    """Give sockets opened inside the block a default timeout (libraries that set none)."""
    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(seconds)
    try:
        yield
    finally:
        socket.setdefaulttimeout(previous)


OPENML_API = "https://api.openml.org"


def fetch_openml_frame(data_id: int, data_home: str | Path, timeout: float = READ_TIMEOUT_S):
    """OpenML dataset `data_id` as a pandas DataFrame (features and target together).

    scikit-learn's `fetch_openml` downloads it into `data_home` and checks OpenML's MD5.
    """
    from sklearn.datasets import fetch_openml

    probe(OPENML_API)
    try:
        with _socket_timeout(timeout):
            bunch = fetch_openml(
                data_id=data_id,
                data_home=str(data_home),
                as_frame=True,
                parser="pandas",
                n_retries=1,
                delay=0.5,
            )
    except Exception as e:  # network, HTTP and checksum errors all mean "not downloaded"
        first_line = str(e).strip().splitlines()[0] if str(e).strip() else e.__class__.__name__
        raise DownloadError(f"OpenML dataset {data_id} could not be fetched ({first_line})") from None
    return bunch.frame


HF_HUB = "https://huggingface.co"
_TRUE = ("1", "true", "yes", "on")


def hub_offline(library_variable: str = "HF_DATASETS_OFFLINE") -> bool:
    """True when the user asked Hugging Face libraries to use their local cache only: the hub's
    own variable, or the library's (datasets' by default; transformers' is TRANSFORMERS_OFFLINE)."""
    import os

    return any(os.environ.get(v, "").strip().lower() in _TRUE for v in ("HF_HUB_OFFLINE", library_variable))


def fetch_hub_dataset(path: str, config: str | None):
    """Hugging Face `datasets.load_dataset(path, config)` (a DatasetDict of all splits).

    A quick probe of the hub comes first, so that a machine without a network fails in seconds
    rather than after datasets' retries; with HF_HUB_OFFLINE / HF_DATASETS_OFFLINE set the probe
    is skipped and datasets reads its local cache.
    """
    import datasets

    if not hub_offline():
        probe(HF_HUB)
    try:
        with _socket_timeout(READ_TIMEOUT_S):
            return datasets.load_dataset(path, config)
    except Exception as e:  # network, not found, gated, rate-limited: all mean "not loaded"
        first_line = str(e).strip().splitlines()[0][:200] if str(e).strip() else e.__class__.__name__
        raise DownloadError(f"{path} could not be loaded ({first_line})") from None
