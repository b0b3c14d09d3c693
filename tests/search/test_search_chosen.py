"""Grid trials created with their point in one write, and run_once recording what study.optimize would."""

import optuna
import pytest
from optuna.storages import JournalStorage
from optuna.storages.journal import JournalFileBackend

from chop.search.chosen import ask_chosen, run_once
from chop.search.params import Param

PARAMS = [Param("a", choices=(1, 2, 3)), Param("b", choices=("x", None)), Param("fixed", choices=(8,))]


def _study(tmp_path):
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    path = tmp_path / "study.journal"
    return optuna.create_study(storage=JournalStorage(JournalFileBackend(str(path)))), path


def _records(path) -> int:
    return len(path.read_text().splitlines())


def test_a_chosen_trial_is_one_record_holding_its_point_and_worker(tmp_path):
    study, path = _study(tmp_path)
    before = _records(path)
    trial = ask_chosen(study, PARAMS, {"a": 2, "b": None, "fixed": 8}, {"worker": "h:1"})
    assert _records(path) == before + 1
    frozen = study._storage.get_trial(trial._trial_id)
    assert frozen.state.name == "RUNNING" and frozen.params == {"a": 2, "b": None}  # one-choice ones are not asked
    assert frozen.user_attrs == {"worker": "h:1", "point": {"a": 2, "b": None, "fixed": 8}}
    assert trial.suggest_categorical("a", [1, 2, 3]) == 2 and _records(path) == before + 1  # read, not written


def test_run_once_records_each_outcome_and_reraises_only_an_interrupt(tmp_path):
    study, _ = _study(tmp_path)
    seen = []

    def ask():
        return ask_chosen(study, PARAMS, {"a": 1, "b": "x", "fixed": 8}, {})

    def pruned(trial):
        raise optuna.TrialPruned()

    def broken(trial):
        raise ValueError("no")

    def interrupted(trial):
        raise KeyboardInterrupt

    run_once(study, ask(), lambda t: 0.5, [lambda s, t: seen.append(t.state.name)])
    run_once(study, ask(), pruned, [lambda s, t: seen.append(t.state.name)])
    run_once(study, ask(), broken, [lambda s, t: seen.append(t.state.name)])
    with pytest.raises(KeyboardInterrupt):
        run_once(study, ask(), interrupted, [lambda s, t: seen.append(t.state.name)])
    assert seen == ["COMPLETE", "PRUNED", "FAIL"]
    assert [t.state.name for t in study.trials] == ["COMPLETE", "PRUNED", "FAIL", "FAIL"]
    assert study.trials[0].value == 0.5


def test_a_chosen_trial_on_an_rdb_storage_holds_its_point_and_completes(tmp_path):
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    study = optuna.create_study(storage=f"sqlite:///{tmp_path / 'study.db'}")
    trial = ask_chosen(study, PARAMS, {"a": 3, "b": "x", "fixed": 8}, {"worker": "h:2"})
    run_once(study, trial, lambda t: 1.0)
    (done,) = study.trials
    assert done.state.name == "COMPLETE" and done.params == {"a": 3, "b": "x"} and done.user_attrs["worker"] == "h:2"
    assert done.datetime_start <= done.datetime_complete  # both in the same (local) clock
