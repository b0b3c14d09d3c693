"""Optuna's journal file as machop writes it: whole records under a kernel lock, no fsync.

The default study storage (`<project>/software/search_ckpts/study.journal`, or any path given as
`[search.strategy] storage`). `journal_backend` is Optuna's `JournalFileBackend` with its append
replaced; `repair_journal` drops a record cut short (a full disk, a power cut) when a study opens.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from chop.atomic import is_disk_full, write_bytes
from chop.errors import ConfigError, DiskFullError

log = logging.getLogger(__name__)


def journal_backend(path: str):
    """Optuna's journal file with machop's writer: whole records only, an OS lock, no fsync.

    - A record is appended under an `flock` on `<journal>.lock` (the kernel releases it if the
      holder dies; Optuna's own symlink lock can be left behind by a kill or a Ctrl-C).
    - A write that fails (a full disk) is cut back to where it started, so the journal never ends
      in half a record; a journal that does (a power cut, or an older writer) has that tail
      dropped with a warning when it is opened (`repair_journal`).
    - Ctrl-C waits for the end of the append (`interrupts.critical`).
    - No fsync per record: a trial writes ~20 records, ~3 ms each with fsync, ~0.1 ms without.
      A killed process loses nothing it wrote (the kernel holds it); only a power cut could lose
      the last records, i.e. at most the trials then running.
    """
    from optuna.storages.journal import JournalFileBackend

    from chop.search.interrupts import critical

    class Backend(JournalFileBackend):
        def append_logs(self, logs: list[dict]) -> None:
            text = "".join(json.dumps(log, separators=(",", ":")) + "\n" for log in logs).encode()
            with critical(), _locked(self._file_path):
                _append_whole(self._file_path, text)

    repair_journal(path)
    return Backend(path)


@contextmanager
def _locked(journal: str) -> Iterator[None]:
    try:
        import fcntl
    except ImportError:  # not POSIX: Optuna's lock file
        from optuna.storages.journal import JournalFileSymlinkLock

        lock = JournalFileSymlinkLock(journal)
        lock.acquire()
        try:
            yield
        finally:
            lock.release()
        return
    fd = os.open(journal + ".flock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _append_whole(journal: str, data: bytes) -> None:
    """Append `data` whole, or not at all: a failed write is truncated away."""
    fd = os.open(journal, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        start = os.lseek(fd, 0, os.SEEK_END)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
        except OSError as exc:
            os.ftruncate(fd, start)
            if is_disk_full(exc):
                raise DiskFullError(f"No space left to write the study journal '{journal}'; free some space "
                                    f"and run the same command again to resume (finished trials are kept).") from None
            raise
    finally:
        os.close(fd)


def repair_journal(path: str | Path) -> int:
    """Drop a damaged tail of a journal (a record cut short); returns how many bytes were dropped.

    The dropped bytes are kept beside it (`<journal>.dropped-<time>`) and a warning says so. Damage
    before the last whole record is not a cut-short write: that is an error, not a guess.
    """
    path = Path(path)
    if not path.is_file():
        return 0
    with _locked(str(path)):
        data = path.read_bytes()
        good, line_no = 0, 0
        while good < len(data):
            end = data.find(b"\n", good)
            if end < 0:
                break
            line_no += 1
            try:
                json.loads(data[good:end])
            except ValueError:
                break
            good = end + 1
        if good == len(data):
            return 0
        rest = data[good:]
        if rest.count(b"\n") > 1 or (rest.count(b"\n") == 1 and not rest.endswith(b"\n")):
            raise ConfigError(f"Study journal '{path}' is damaged at record {line_no}, before its end; restore "
                              f"it from a copy, or give another study_name or project to start afresh.")
        keep = path.with_name(f"{path.name}.dropped-{time.strftime('%Y%m%d-%H%M%S')}")
        write_bytes(keep, rest)
        with open(path, "r+b") as fh:
            fh.truncate(good)
        log.warning("The study journal %s ended in a damaged record (a write cut short, e.g. by a full disk); "
                    "dropped it (%d bytes, kept in %s). The trial it belonged to runs again.", path, len(rest), keep)
        return len(rest)
