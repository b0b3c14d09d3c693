"""Search progress when piped: one log line per finished trial, with the best so far."""

from __future__ import annotations

import logging

import optuna

from chop.search.progress import SearchProgress


def test_piped_search_logs_each_trial_with_the_best_so_far(caplog):
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(direction="maximize")
    bar = SearchProgress(3, enabled=False)
    with caplog.at_level(logging.INFO, logger="chop"):
        for value in (0.5, 0.9, 0.7):
            study.add_trial(optuna.trial.create_trial(value=value, user_attrs={"metrics": {"accuracy": value}}))
            bar.update(study)
            bar.update(study)  # no new trial: no new line
    lines = [r.getMessage() for r in caplog.records if r.name == "chop.search.progress"]
    assert lines == ["search: 1/3 trials done | best #0: 0.5 (accuracy 0.5)",
                     "search: 2/3 trials done | best #1: 0.9 (accuracy 0.9)",
                     "search: 3/3 trials done | best #1: 0.9 (accuracy 0.9)"]


def test_long_searches_log_every_hundredth(caplog):
    study = optuna.create_study(direction="minimize")
    bar = SearchProgress(1000, enabled=False)
    with caplog.at_level(logging.INFO, logger="chop"):
        for i in range(25):
            study.add_trial(optuna.trial.create_trial(value=float(i)))
            bar.update(study)
    lines = [r.getMessage() for r in caplog.records if r.name == "chop.search.progress"]
    assert [line.split(" trials")[0] for line in lines] == ["search: 10/1000", "search: 20/1000"]
