"""Statistics of weights and activations, each `update(tensor)`-ed batch by batch, then `finalize()`-d.

Registered in `STATISTICS` under the names MASE's configs use:

| name               | result                                   | memory            |
|--------------------|------------------------------------------|-------------------|
| `variance_precise` | mean, variance (population), count       | keeps every value |
| `variance_online`  | mean, variance, count (Chan's merge)     | constant          |
| `range_min_max`    | min, max                                 | constant          |
| `range_quantile`   | min = q-quantile of 1-q, max = q-quantile | keeps every value |
| `range_n_sigma`    | mean ± num_sigma * std                   | constant          |
| `abs_mean`         | mean of |x|                              | constant          |

Options common to all: `dims` ("all", or the dimensions to reduce, e.g. [0] for per-feature
statistics of a (batch, features) activation; the others are kept) and `device`. Values are
accumulated in float64.
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

import torch

from chop.errors import ConfigError, did_you_mean
from chop.registry import Registry


class Statistic:
    """Base class: reshapes each tensor to (rows, columns) where rows are the reduced elements."""

    name: ClassVar[str] = ""
    options: ClassVar[dict[str, Any]] = {}

    def __init__(self, dims: str | list[int] = "all", device: str | None = None, **options):
        unknown = [k for k in options if k not in self.options]
        if unknown:
            raise ConfigError(
                f"Statistic '{self.name}' has no option '{unknown[0]}'."
                f"{did_you_mean(unknown[0], [*self.options, 'dims', 'device'])}"
            )
        if dims != "all" and not (isinstance(dims, (list, tuple)) and all(isinstance(d, int) for d in dims)):
            raise ConfigError(f"Statistic '{self.name}': dims must be 'all' or a list of ints, got {dims!r}.")
        self.dims = dims
        self.device = torch.device(device) if device else None
        self.opts = {**self.options, **options}
        self.kept_shape: tuple[int, ...] | None = None

    def rows(self, x: torch.Tensor) -> torch.Tensor:
        """`x` as float64 (rows, columns): reduced dimensions along rows, kept ones along columns."""
        x = x.detach().to(device=self.device or x.device, dtype=torch.float64)
        if self.dims == "all":
            kept, x = (), x.reshape(-1, 1)
        else:
            reduced = sorted({d % x.dim() for d in self.dims})
            keep = [d for d in range(x.dim()) if d not in reduced]
            kept = tuple(x.shape[d] for d in keep)
            x = x.permute(*reduced, *keep).reshape(-1, math.prod(kept))
        if self.kept_shape is not None and kept != self.kept_shape:
            raise ConfigError(f"Statistic '{self.name}': kept dimensions changed from {self.kept_shape} to {kept}.")
        self.kept_shape = kept
        return x

    def output(self, column_values: torch.Tensor) -> float | list:
        """A float for 'all', else a nested list shaped like the kept dimensions."""
        if self.dims == "all":
            return float(column_values.reshape(-1)[0])
        return column_values.reshape(self.kept_shape).tolist()

    def update(self, x: torch.Tensor) -> None:
        raise NotImplementedError

    def finalize(self) -> dict[str, Any]:
        raise NotImplementedError


STATISTICS: Registry[type[Statistic]] = Registry("statistic")


def register_statistic(cls: type[Statistic]) -> type[Statistic]:
    STATISTICS.register(cls.name, cls)
    return cls


def _empty(name: str) -> ConfigError:
    return ConfigError(f"Statistic '{name}' saw no data; give it at least one non-empty tensor.")


class _Moments:
    """Running count, mean and sum of squared deviations per column (Chan et al.'s merge)."""

    def __init__(self):
        self.n, self.mean, self.m2 = 0, None, None

    def add(self, rows: torch.Tensor) -> None:
        nb = rows.shape[0]
        if nb == 0:
            return
        mean_b = rows.mean(dim=0)
        m2_b = ((rows - mean_b) ** 2).sum(dim=0)
        if self.n == 0:
            self.n, self.mean, self.m2 = nb, mean_b, m2_b
            return
        total = self.n + nb
        delta = mean_b - self.mean
        self.mean = self.mean + delta * (nb / total)
        self.m2 = self.m2 + m2_b + delta**2 * (self.n * nb / total)
        self.n = total


@register_statistic
class VariancePrecise(Statistic):
    name = "variance_precise"

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.seen: list[torch.Tensor] = []

    def update(self, x):
        self.seen.append(self.rows(x))

    def finalize(self):
        if not self.seen or sum(len(r) for r in self.seen) == 0:
            raise _empty(self.name)
        data = torch.cat(self.seen)
        mean = data.mean(dim=0)
        variance = ((data - mean) ** 2).mean(dim=0)
        return {"mean": self.output(mean), "variance": self.output(variance), "count": len(data)}


class _MomentStatistic(Statistic):
    """A statistic built on running mean and variance (Welford), updated batch by batch."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.moments = _Moments()

    def update(self, x):
        self.moments.add(self.rows(x))

    def seen(self) -> _Moments:
        if self.moments.n == 0:
            raise _empty(self.name)
        return self.moments


@register_statistic
class VarianceOnline(_MomentStatistic):
    name = "variance_online"

    def finalize(self):
        m = self.seen()
        return {"mean": self.output(m.mean), "variance": self.output(m.m2 / m.n), "count": m.n}


@register_statistic
class RangeMinMax(Statistic):
    name = "range_min_max"
    options = {"abs": False}

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.min = self.max = None

    def update(self, x):
        rows = self.rows(x)
        if rows.shape[0] == 0:
            return
        rows = rows.abs() if self.opts["abs"] else rows
        lo, hi = rows.min(dim=0).values, rows.max(dim=0).values
        self.min = lo if self.min is None else torch.minimum(self.min, lo)
        self.max = hi if self.max is None else torch.maximum(self.max, hi)

    def finalize(self):
        if self.min is None:
            raise _empty(self.name)
        return {"min": self.output(self.min), "max": self.output(self.max)}


def quantile(sorted_rows: torch.Tensor, q: float) -> torch.Tensor:
    """The q-quantile of each column of sorted rows, interpolated linearly (numpy's default)."""
    position = q * (sorted_rows.shape[0] - 1)
    lo, hi = math.floor(position), math.ceil(position)
    return sorted_rows[lo] + (sorted_rows[hi] - sorted_rows[lo]) * (position - lo)


@register_statistic
class RangeQuantile(Statistic):
    name = "range_quantile"
    options = {"quantile": 0.97, "abs": False}

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        q = self.opts["quantile"]
        if not isinstance(q, (int, float)) or not 0.0 <= q <= 1.0:
            raise ConfigError(f"range_quantile: quantile must be in [0, 1], got {q!r}.")
        self.seen: list[torch.Tensor] = []

    def update(self, x):
        rows = self.rows(x)
        self.seen.append(rows.abs() if self.opts["abs"] else rows)

    def finalize(self):
        if not self.seen or sum(len(r) for r in self.seen) == 0:
            raise _empty(self.name)
        data = torch.sort(torch.cat(self.seen), dim=0).values
        q = float(self.opts["quantile"])
        return {"min": self.output(quantile(data, 1.0 - q)), "max": self.output(quantile(data, q))}


@register_statistic
class RangeNSigma(_MomentStatistic):
    name = "range_n_sigma"
    options = {"num_sigma": 3}

    def finalize(self):
        m = self.seen()
        std = torch.sqrt(m.m2 / m.n)
        k = float(self.opts["num_sigma"])
        return {"mean": self.output(m.mean), "std": self.output(std),
                "min": self.output(m.mean - k * std), "max": self.output(m.mean + k * std)}


@register_statistic
class AbsMean(Statistic):
    name = "abs_mean"

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.total, self.count = None, 0

    def update(self, x):
        rows = self.rows(x)
        if rows.shape[0] == 0:
            return
        s = rows.abs().sum(dim=0)
        self.total = s if self.total is None else self.total + s
        self.count += rows.shape[0]

    def finalize(self):
        if self.count == 0:
            raise _empty(self.name)
        return {"value": self.output(self.total / self.count), "count": self.count}


def make_statistics(config: dict[str, dict | None]) -> dict[str, Statistic]:
    """Fresh statistic objects from `{"range_min_max": {"abs": False}, ...}`."""
    made = {}
    for name, options in (config or {}).items():
        if name not in STATISTICS:
            raise ConfigError(f"Unknown statistic '{name}'.{did_you_mean(name, STATISTICS.names())}")
        made[name] = STATISTICS.get(name)(**(options or {}))
    return made
