"""The one registry mechanism: models, datasets, passes, formats, statistics, strategies.

A `Registry` maps checked names to objects. Registering a name twice is an error (a user model
must not silently replace a built-in one), and looking up a typo names the closest valid entry.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Generic, TypeVar

from chop.errors import ConfigError, UnknownNameError, did_you_mean

T = TypeVar("T")


class Registry(Generic[T]):
    """Named entries of one kind, e.g. `Registry("model")`."""

    def __init__(self, kind: str):
        self.kind = kind
        self._entries: dict[str, T] = {}

    def register(self, name: str, obj: T | None = None, *, replace: bool = False):
        """Register `obj` under `name`; used bare or as a decorator (`@reg.register("x")`)."""
        if not isinstance(name, str) or not name:
            raise ConfigError(f"A {self.kind} name must be a non-empty string, got {name!r}.")

        def add(entry: T) -> T:
            if name in self._entries and not replace:
                raise ConfigError(
                    f"{self.kind} '{name}' is already registered; choose another name."
                )
            self._entries[name] = entry
            return entry

        if obj is not None:
            return add(obj)
        return add

    def unregister(self, name: str) -> None:
        self._entries.pop(name, None)

    def get(self, name: str) -> T:
        try:
            return self._entries[name]
        except (KeyError, TypeError):
            raise UnknownNameError(
                f"Unknown {self.kind} '{name}'.{did_you_mean(name, self._entries)}"
            ) from None

    def names(self) -> list[str]:
        return sorted(self._entries)

    def items(self) -> list[tuple[str, T]]:
        return sorted(self._entries.items())

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def __len__(self) -> int:
        return len(self._entries)

    def __repr__(self) -> str:
        return f"Registry({self.kind!r}, {len(self)} entries)"

