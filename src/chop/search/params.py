"""One searched parameter: a list of choices or a numeric range, read from TOML and asked of Optuna.

In `[search.search_space.*]` a list is a set of choices (`weight_width = [2, 4, 8]`), a table
`{low = 1e-4, high = 1e-2, log = true}` a range (float unless both ends are ints), and a plain
value (or a list of one) is fixed, not searched. Grid and brute-force strategies need choices only.

Samplers see either the choices themselves (categorical) or, with `index_encoding` (QMC, whose
low-discrepancy points are numeric), the integer index of a choice; `Param.suggest` always
returns the decoded value, so everything after the sampler sees real values.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from chop.config import NA
from chop.errors import ConfigError, did_you_mean

RANGE_KEYS = ("low", "high", "log", "step")


@dataclass(frozen=True)
class Param:
    """A searched parameter named `name` ("space/where/key"): `choices`, or `low`..`high`."""

    name: str
    choices: tuple | None = None
    low: float | None = None
    high: float | None = None
    log: bool = False
    integer: bool = False

    @property
    def discrete(self) -> bool:
        return self.choices is not None

    def suggest(self, trial, index_encoding: bool = False) -> Any:
        """The value Optuna's `trial` picks for this parameter."""
        if self.choices is not None:
            if len(self.choices) == 1:
                return self.choices[0]
            if index_encoding:
                return self.choices[trial.suggest_int(self.name, 0, len(self.choices) - 1)]
            return trial.suggest_categorical(self.name, list(self.choices))
        if self.integer:
            return trial.suggest_int(self.name, int(self.low), int(self.high), log=self.log)
        return trial.suggest_float(self.name, float(self.low), float(self.high), log=self.log)


def _plain(where: str, value: Any) -> Any:
    if value == NA:
        return None
    if value is not None and not isinstance(value, (bool, int, float, str)):
        raise ConfigError(f"{where}: a choice must be a number, a string, true/false or \"NA\", got {value!r}.")
    return value


def read_value(where: str, value: Any) -> tuple[Any, Param | None]:
    """`(fixed_value, None)` for a plain value, `(None, Param)` for choices or a range.

    The Param's name is left empty; callers name it with `named`.
    """
    if isinstance(value, list):
        if not value:
            raise ConfigError(f"{where}: the list of choices is empty; give at least one value.")
        choices = tuple(_plain(where, v) for v in value)
        if len(set(map(repr, choices))) != len(choices):
            raise ConfigError(f"{where}: the choices {value!r} repeat a value.")
        if len(choices) == 1:  # one choice: nothing to search
            return choices[0], None
        return None, Param("", choices=choices)
    if isinstance(value, Mapping):
        for key in value:
            if key not in RANGE_KEYS:
                raise ConfigError(f"{where}: a range has no key '{key}'.{did_you_mean(key, RANGE_KEYS)}")
        low, high, log = value.get("low"), value.get("high"), value.get("log", False)
        numbers = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (low, high))
        if not numbers or not low < high:
            raise ConfigError(f"{where}: a range needs numbers low < high, got low={low!r} high={high!r}.")
        if log and low <= 0:
            raise ConfigError(f"{where}: a log range needs low > 0, got {low!r}.")
        integer = isinstance(low, int) and isinstance(high, int)
        return None, Param("", low=low, high=high, log=bool(log), integer=integer)
    return _plain(where, value), None


def named(param: Param, name: str) -> Param:
    return Param(name, param.choices, param.low, param.high, param.log, param.integer)


def grid_of(params: Sequence[Param]) -> dict[str, list]:
    """{name: choices} of the searched (more than one choice) parameters, for a grid sampler."""
    grid = {}
    for p in params:
        if not p.discrete:
            raise ConfigError(f"Parameter '{p.name}' is a range; grid and brute-force search need a "
                              f"list of choices for every parameter.")
        if len(p.choices) > 1:
            grid[p.name] = list(p.choices)
    return grid


def grid_size(params: Sequence[Param]) -> int:
    return math.prod(len(v) for v in grid_of(params).values())


def enumerate_grid(params: Sequence[Param]) -> Iterator[dict[str, Any]]:
    """Every point of the grid, in lexicographic order of the choices."""
    grid = grid_of(params)
    names = list(grid)
    for values in itertools.product(*(grid[n] for n in names)):
        yield dict(zip(names, values))


def grid_point(params: Sequence[Param], index: int) -> dict[str, Any]:
    """Point number `index` of `enumerate_grid(params)`, without enumerating the grid."""
    grid = grid_of(params)
    point = {}
    for name in reversed(list(grid)):
        index, digit = divmod(index, len(grid[name]))
        point[name] = grid[name][digit]
    return dict(reversed(list(point.items())))
