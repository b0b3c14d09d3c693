"""The outputs of a search, as a function of its study: written by any command when it stops, and
by `ch search --report` at any time (see `chop.search.outputs` for the files).

They describe the study as it is when written, whoever ran its trials: `best.json` says how many
trials are still RUNNING (elsewhere: another command, another machine) and that a later
`ch search --report` will include them. `best.json` is written before the plots, and a missing
matplotlib costs the plots only (one warning line).
"""

from __future__ import annotations

import json
import logging

from chop import atomic
from chop.search.outputs import trial_records, write_plots, write_transform_toml, write_trials
from chop.search.session import Session, search_dir
from chop.search.worker import counts

log = logging.getLogger(__name__)


def _best(session: Session) -> tuple[list, object | None]:
    from optuna.trial import TrialState

    study = session.study
    if not study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)):
        return [], None
    if session.settings.multi_objective:
        front = sorted(study.best_trials, key=lambda t: t.number)
        first = session.settings.objectives[0].objective
        pick = (max if first.direction == "maximize" else min)(front, key=lambda t: t.values[0])
        return front, pick
    return [study.best_trial], study.best_trial


def _rebuild(session: Session, record: dict, out) -> dict:
    """The best trial rebuilt from its point and seed: metrics again, test split, checkpoint, TOML."""
    runner = session.runner
    plan = runner.pipeline.plan(record["point"])
    metrics, mg = runner.run(record["point"], record["seed"])
    ckpt = atomic.replace_dir(out / "best_ckpt", mg.save)
    passes = plan.passes()
    for name in plan.seeded & set(passes):
        passes[name] = {**passes[name], "seed": record["seed"]}
    toml = None
    if plan.architecture is None and passes:
        trained = plan.train["epochs"] > 0 or plan.train["fine_tune_epochs"] > 0
        toml = str(write_transform_toml(session.cfg, passes, record, out / "best_transform.toml", trained))
    return {"number": record["number"], "point": record["point"], "metrics": record["metrics"],
            "seed": record["seed"], "architecture": plan.architecture, "train": plan.train, "passes": passes,
            "rebuilt_metrics": metrics, "reproduced": metrics == record["metrics"],
            "test": runner.test_metrics(mg), "transform_toml": toml, "checkpoint": str(ckpt)}


def _plots(session: Session, records: list[dict], out) -> list[str]:
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        log.warning("No plots (history.png, pareto.png): matplotlib is not installed; pip install 'machop[plot]'.")
        return []
    return write_plots(records, session.settings.objectives, session.settings.multi_objective, out)


def write_report(session: Session) -> dict:
    """Write every output from the study as it is now; returns the summary that `ch search` shows."""
    out = search_dir(session.cfg)
    out.mkdir(parents=True, exist_ok=True)
    records = trial_records(session.study)
    by_number = {r["number"]: r for r in records}
    trials_json, trials_csv = write_trials(records, out)
    front, best = _best(session)
    n = counts(session.study)
    multi = session.settings.multi_objective
    summary = {"study": session.study.study_name, "storage": session.storage, "strategy": session.settings.strategy.name,
               "trials": n, "trials_csv": str(trials_csv), "trials_json": str(trials_json),
               "objectives": [o.objective.name for o in session.settings.objectives], "multi_objective": multi,
               "rejected": sum(1 for r in records if r["note"].startswith("rejected")),
               "running": n["RUNNING"], "final": n["RUNNING"] == 0}
    if n["RUNNING"]:
        log.warning("%d trial(s) of study '%s' are still running elsewhere; these outputs do not include them "
                    "yet (ch search --report, or the last command to stop, rewrites them).",
                    n["RUNNING"], session.study.study_name)
    best_doc: dict = {**summary, "pareto" if multi else "best":
                      [by_number[t.number] for t in front] if multi else (by_number[best.number] if best else None)}
    if best is not None:
        record = by_number[best.number]
        best_doc["best_trial"] = _rebuild(session, record, out)
        b = best_doc["best_trial"]
        summary.update(best_trial=best.number, best_metrics=record["metrics"], test=b["test"],
                       best_transform_toml=b["transform_toml"], best_ckpt=b["checkpoint"], pareto_size=len(front))
        if not b["reproduced"]:
            log.warning("Rebuilding trial %d gave %s, the search recorded %s.", best.number, b["rebuilt_metrics"],
                        record["metrics"])
        if session.settings.hardware.synth_pareto:  # yosys beside the per-trial estimate
            from chop.search.synthesis import synthesize_trials

            best_doc["synthesis"] = synthesize_trials(session.runner, [by_number[t.number] for t in front],
                                                      out / "synthesis")
            summary["synthesized"] = len([e for e in best_doc["synthesis"] if "yosys" in e])
    atomic.write_text(out / "best.json", json.dumps(best_doc, indent=2, default=str) + "\n")
    summary["best_json"] = str(out / "best.json")
    summary["plots"] = _plots(session, records, out)
    return summary
