"""Whether a model being built is about to receive saved weights (`--load`): builders of models
with pretrained weights then skip fetching them (and saying where they came from), since the
checkpoint replaces every one of them anyway."""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager

_WEIGHTS_FOLLOW = contextvars.ContextVar("chop_weights_follow", default=False)


@contextmanager
def weights_follow() -> Iterator[None]:
    """Build models inside this block when a checkpoint's weights will be loaded into them."""
    token = _WEIGHTS_FOLLOW.set(True)
    try:
        yield
    finally:
        _WEIGHTS_FOLLOW.reset(token)


def weights_will_follow() -> bool:
    return _WEIGHTS_FOLLOW.get()
