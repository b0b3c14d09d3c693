"""Exactly-once points across any number of commands and machines sharing a study.

A trial *holds* its point once all its parameters are written and it is WAITING, RUNNING,
COMPLETE or PRUNED (rejected points too). A FAILED trial holds nothing: its worker died, it was
interrupted, it lost a claim, or it raised (its point may run again; three failures in a row
stop a worker with the error).

The claim: a trial writes its point (its parameters), then reads the study; if another trial
holds the same point, it loses, runs nothing, and ends FAIL with `duplicate_of`. Of two trials
claiming one point at once at least one sees the other (each writes before it reads), so a point
never runs twice; both may lose, and the point is claimed again later. A worker picks a point
from the study as it reads it just before claiming (grid, brute force: a random uncovered grid
point; samplers: what they draw), so collisions are rare: two commands on a 540-point grid
leave a few lost claims, recorded in the study, never a point run twice.

No WAITING trials are queued up front: Optuna's RDB storage reloads every WAITING trial on each
read, which made a queued grid 18-31x slower on PostgreSQL than on the journal.
"""

from __future__ import annotations

import json
import random
from collections.abc import Sequence

from chop.search.params import Param, enumerate_grid, grid_point, grid_size

DUPLICATE_ATTR = "duplicate_of"
PROBES = 64


class Duplicate(Exception):
    """This trial's point is held by another trial: it is not run."""


def key(point: dict) -> str:
    return json.dumps(point, sort_keys=True, default=str)


def _holds(trial) -> bool:
    return trial.state.name in ("WAITING", "RUNNING", "COMPLETE", "PRUNED")


class Holders:
    """Which trial holds which point, from a list of trials (finished trials' keys are cached)."""

    def __init__(self, n_params: int):
        self.n_params = n_params
        self._finished: dict[int, str | None] = {}

    def _key(self, trial) -> str | None:
        if trial.number in self._finished:
            return self._finished[trial.number]
        params = trial.params or trial.system_attrs.get("fixed_params") or {}
        k = key(params) if len(params) == self.n_params and _holds(trial) else None
        if trial.state.is_finished():
            self._finished[trial.number] = k
        return k

    def held(self, trials) -> dict[str, int]:
        """point key -> number of a trial holding it."""
        out: dict[str, int] = {}
        for t in trials:
            k = self._key(t)
            if k is not None:
                out.setdefault(k, t.number)
        return out

    def other_holder(self, trials, number: int, point_key: str) -> int | None:
        """A trial other than `number` that holds `point_key`, or None."""
        for t in trials:
            if t.number != number and self._key(t) == point_key:
                return t.number
        return None


def space_size(params: Sequence[Param]) -> int | None:
    """How many points the space has, when every parameter is a list of choices; else None."""
    return grid_size(params) if all(p.discrete for p in params) else None


class GridCursor:
    """Picks uncovered grid points at random (one worker's stream), without listing a huge grid."""

    def __init__(self, params: Sequence[Param], rng: random.Random):
        self.params, self.rng = list(params), rng
        self.size = grid_size(self.params)
        self._left: list[dict] | None = None
        self.view: list = []  # the study's trials as the worker last read them

    def pick(self, held: dict[str, int]) -> dict | None:
        if len(held) >= self.size:
            return None
        if self._left is None:
            for _ in range(PROBES):
                point = grid_point(self.params, self.rng.randrange(self.size))
                if key(point) not in held:
                    return point
        # Few points left: list them (once; afterwards only filtered), so picking stays cheap.
        self._left = [p for p in (self._left or []) if key(p) not in held]
        if not self._left:
            self._left = [p for p in enumerate_grid(self.params) if key(p) not in held]
        return self.rng.choice(self._left) if self._left else None
