"""Ctrl-C during a search: stop at once, but never in the middle of a study-journal write.

While `catching_interrupts()` is active (the search's main thread), SIGINT raises
KeyboardInterrupt as usual, except inside `critical()` sections (a journal append: lock, write,
unlock), where it is held back and raised as soon as the section ends. So an interrupt costs at
most the rest of one small write, and never leaves a half-written record or a held lock.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_depth = 0
_pending = False


def _on_sigint(signum, frame) -> None:
    global _pending
    if _depth:
        _pending = True
        return
    raise KeyboardInterrupt


@contextmanager
def critical() -> Iterator[None]:
    """A section that SIGINT does not cut; a Ctrl-C that arrives inside is raised at its end.

    Only the main thread (where Python delivers signals) counts; another thread's section (a lease
    beat) is a plain block, so that it never holds back, nor raises, the main thread's Ctrl-C."""
    global _depth, _pending
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    _depth += 1
    try:
        yield
    finally:
        _depth -= 1
        if _depth == 0 and _pending:
            _pending = False
            raise KeyboardInterrupt


@contextmanager
def catching_interrupts() -> Iterator[None]:
    """Route SIGINT through `_on_sigint` for the duration (main thread only; elsewhere a no-op)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, _on_sigint)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


@contextmanager
def shielded() -> Iterator[None]:
    """Ignore further Ctrl-C while recording an interrupted trial (a second press must not cut it)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
