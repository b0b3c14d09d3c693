"""One run at a time in a project: an advisory lock that the OS drops when the holder dies.

`ch train` holds `<project>/software/.train.lock` with `flock` for the whole run, so a second `ch train` into the
same project refuses at once instead of mixing its checkpoints with the first's. The kernel
releases the lock when the holding process exits, however it exits (a SIGKILL or a crash
included), so a dead run never leaves the project stuck; the file stays behind, holding the last
holder's description for the message. Only rank 0 of a multi-process run takes it.
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from chop.errors import ChopError

LOCK_FILE = ".train.lock"


class ProjectBusyError(ChopError):
    """Another process is using the project."""


def _describe(action: str) -> str:
    return f"ch {action}, pid {os.getpid()} on {socket.gethostname()}, since {time.strftime('%Y-%m-%d %H:%M:%S')}"


@contextmanager
def project_lock(directory: Path, action: str, project: str) -> Iterator[None]:
    """Hold `directory/.train.lock` while the block runs; refuse at once when another process holds it."""
    try:
        import fcntl
    except ImportError:  # not POSIX: no lock, as before
        yield
        return
    if os.environ.get("LOCAL_RANK", "0") != "0" or os.environ.get("NODE_RANK", "0") != "0":
        yield  # a spawned rank: rank 0 of this run holds the lock
        return
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / LOCK_FILE
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 300, 0).decode("utf-8", "replace").strip() or "another process"
            raise ProjectBusyError(
                f"Project '{project}' is in use by {holder}; wait for it to finish, or give another "
                f"--project.") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, (_describe(action) + "\n").encode(), 0)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock
