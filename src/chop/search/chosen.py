"""Grid and brute-force trials: created with their point and worker in one write, then run and told.

`study.optimize` creates a trial and then writes each parameter and attribute on its own: about
ten writes before the trial's work starts, each a round trip to a database server (PostgreSQL
journal or RDB). A grid point is chosen before the trial exists, so the trial is created RUNNING
with its parameters, its decoded point and its worker in one write (`ask_chosen`), and `run_once`
does for it what `study.optimize(n_trials=1)` would: run the objective, tell the study the
outcome (COMPLETE, PRUNED, or FAIL for an error, a lost claim or an interrupt), call the callbacks,
and keep Optuna's heartbeat on RDB storages.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime

from chop.search.params import Param

log = logging.getLogger(__name__)


def ask_chosen(study, params: Sequence[Param], point: dict, user_attrs: dict):
    """A RUNNING `optuna.Trial` holding `point` (every parameter's value) and `user_attrs`, written at once."""
    import optuna
    from optuna.distributions import CategoricalDistribution
    from optuna.trial import FrozenTrial, TrialState

    searched = [p for p in params if len(p.choices) > 1]
    template = FrozenTrial(
        number=-1, trial_id=-1, state=TrialState.RUNNING, value=None, values=None,
        datetime_start=datetime.now(), datetime_complete=None,  # naive local time, as Optuna's own
        params={p.name: point[p.name] for p in searched},
        distributions={p.name: CategoricalDistribution(list(p.choices)) for p in searched},
        user_attrs={**user_attrs, "point": point}, system_attrs={}, intermediate_values={})
    trial_id = study._storage.create_new_trial(study._study_id, template_trial=template)
    return optuna.Trial(study, trial_id)


def run_once(study, trial, objective: Callable, callbacks: Sequence[Callable] = ()) -> None:
    """Run `objective(trial)` and record its outcome as `study.optimize` would; errors other than a
    KeyboardInterrupt fail the trial and are logged by the objective, not raised."""
    import optuna
    from optuna.storages._heartbeat import get_heartbeat_thread
    from optuna.trial import TrialState

    values, state, interrupt = None, None, None
    with get_heartbeat_thread(trial._trial_id, study._storage):
        try:
            values = objective(trial)
        except optuna.TrialPruned:
            state = TrialState.PRUNED
        except KeyboardInterrupt as exc:
            state, interrupt = TrialState.FAIL, exc
        except Exception:
            state = TrialState.FAIL
    frozen = study.tell(trial, values, state=state, skip_if_finished=True)
    if interrupt is not None:
        raise interrupt
    for callback in callbacks:
        callback(study, frozen)
