"""Writing files so that a crash, a kill or a full disk never leaves a half-written one.

Every artefact machop writes (checkpoints, saved graphs, JSON/CSV/TOML outputs) goes through
here: the bytes go to a temporary file beside the target (same directory, so same filesystem),
which is flushed and fsynced, then renamed over the target with `os.replace` (atomic on POSIX),
and the directory is fsynced so that the rename itself survives a power cut. A reader sees
either the previous file or the new one, never a mixture. A write that fails removes its
temporary file; one killed outright leaves `.NAME.PID.*.tmp` beside the target, which the next
write of the same target removes. A full disk becomes one `DiskFullError`.

Not `tempfile` in `$TMPDIR` and a move: across filesystems a move is a copy over the target,
which is exactly the non-atomic write this avoids.
"""

from __future__ import annotations

import errno
import os
import secrets
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from chop.errors import DiskFullError

DISK_FULL = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}


def is_disk_full(exc: BaseException) -> bool:
    return isinstance(exc, OSError) and exc.errno in DISK_FULL


def disk_full_cause(exc: BaseException | None) -> OSError | DiskFullError | None:
    """The DiskFullError or disk-full OSError behind `exc` (itself, or down its cause/context
    chain: libraries such as torch's zip writer or Optuna re-raise it as another error)."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, DiskFullError) or is_disk_full(exc):
            return exc  # type: ignore[return-value]
        exc = exc.__cause__ or exc.__context__
    return None


def disk_full_error(path: str | Path, exc: OSError) -> DiskFullError:
    return DiskFullError(
        f"No space left to write '{path}' ({exc.strerror or exc}); free some space and rerun "
        f"(files written before are intact).")


def _raise_disk_full(exc: BaseException, path: Path) -> None:
    """Raise the one-line DiskFullError behind `exc`, if a full disk is what failed."""
    full = disk_full_cause(exc)
    if isinstance(full, DiskFullError) and full is not exc:
        raise full from None
    if isinstance(full, OSError):
        raise disk_full_error(path, full) from None


def _temp_name(path: Path) -> Path:
    return path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True
    return True


def _remove_stale(path: Path) -> None:
    """Remove temporaries of `path` left by killed processes (never those of a live writer)."""
    try:
        leftovers = list(path.parent.glob(f".{path.name}.*.tmp"))
    except OSError:
        return
    for tmp in leftovers:
        pid = tmp.name[len(path.name) + 2:].split(".")[0]
        if pid.isdigit() and not _pid_alive(int(pid)):
            if tmp.is_dir():
                shutil.rmtree(tmp, ignore_errors=True)
            else:
                tmp.unlink(missing_ok=True)


def fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:  # some filesystems cannot fsync a directory; the rename stands anyway
        pass
    finally:
        os.close(fd)


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _open_temp(tmp: Path) -> IO[bytes]:
    return open(tmp, "xb")


@contextmanager
def replacing(path: str | Path) -> Iterator[Path]:
    """Yields a temporary path beside `path` to write; on success it replaces `path`.

    For writers that want a file name (safetensors); `open_replacing` hands a file object.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale(path)
    tmp = _temp_name(path)
    try:
        yield tmp
        _fsync_file(tmp)
        os.replace(tmp, path)
    except BaseException as exc:
        tmp.unlink(missing_ok=True)
        _raise_disk_full(exc, path)
        raise
    fsync_dir(path.parent)


@contextmanager
def open_replacing(path: str | Path) -> Iterator[IO[bytes]]:
    """Yields a binary file object whose bytes replace `path` once the block ends without error."""
    with replacing(path) as tmp:
        with _open_temp(tmp) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())


def write_bytes(path: str | Path, data: bytes) -> Path:
    with open_replacing(path) as fh:
        fh.write(data)
    return Path(path)


def write_text(path: str | Path, text: str) -> Path:
    return write_bytes(path, text.encode("utf-8"))


def torch_save(obj: Any, path: str | Path) -> Path:
    """`torch.save(obj, path)`, atomically."""
    import torch

    with open_replacing(path) as fh:
        torch.save(obj, fh)
    return Path(path)


def replace_dir(path: str | Path, fill: Callable[[Path], Any], keep_old: Callable[[Path], Any] | None = None) -> Path:
    """Build a directory with `fill(tmp_dir)` beside `path`, then put it in place of `path`.

    A failure (or a kill) while filling leaves the previous directory as it was. An existing
    `path` is handed to `keep_old(path)` to move aside, or removed once the new one is in place.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale(path)
    tmp = _temp_name(path)
    try:
        tmp.mkdir()
        fill(tmp)
        for child in tmp.iterdir():
            if child.is_file():
                _fsync_file(child)
        fsync_dir(tmp)
        old = None
        if path.exists():
            if keep_old is not None:
                keep_old(path)
            else:
                old = _temp_name(path)
                os.replace(path, old)
        os.replace(tmp, path)
    except BaseException as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        _raise_disk_full(exc, path)
        raise
    fsync_dir(path.parent)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
    return path
