"""Trials per second of a post-training quantization search on jsc-s, 1 worker against 2, and the
per-trial overhead beyond the evaluation itself.

The search: mixed precision by layer (each of jsc-s's three Linears gets its own fixed-point
widths), random sampler (its cost does not grow with the study), every trial evaluated on the whole
validation split of a JSC-schema file with `--rows` jets (the real file is not on these machines).

  1 worker   `run_search` in this process, with evaluation, passes, cost counting and the trial
             timed, so that a trial's wall time splits into evaluation / quantize pass / cost
             pass / rest of the trial / Optuna + the journal study (sampling, storage, the loop);
             all but the evaluation is the overhead.
  2 workers  the same search with `workers = 2` (a second process); trials per second measured
             from the trials' own timestamps while both workers run (start-up excluded), and end
             to end.

Run: python benchmarks/search_trials.py [--trials 300 --rows 60000]
"""

from __future__ import annotations

import argparse
import collections
import importlib.util
import json
import os
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def jsc_fixture(rows: int) -> Path:
    """A MACHOP_DATA_DIR with a JSC-schema file of `rows` jets (tests/conftest.py's writer)."""
    spec = importlib.util.spec_from_file_location("chop_test_conftest", ROOT / "tests" / "conftest.py")
    conftest = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(conftest)
    root = Path(tempfile.mkdtemp(prefix="search-bench-data-"))
    conftest.write_jsc_h5(root / "jsc" / conftest.JSC_H5_FILE, n_rows=rows, n_duplicates=0)
    return root


def config(project_dir: Path, name: str, trials: int, workers: int):
    from chop.config import merge

    quantize = {"by": "name", "ops": ["linear"], "frac_le_width": False, "default": {"config": {
        "name": "integer", "data_in_width": [4, 6, 8], "data_in_frac_width": [2, 3, 4],
        "weight_width": [2, 4, 6, 8], "weight_frac_width": [1, 2, 3, 4], "bias_width": 8, "bias_frac_width": 4}}}
    return merge({"model": "jsc-s", "dataset": "jsc", "project": name, "project_dir": str(project_dir),
                  "batch_size": 256, "seed": 0, "workers": workers, "log_level": "warning",
                  "search": {"strategy": {"name": "random", "n_trials": trials},
                             "objectives": {"accuracy": {"weight": 1.0}, "bitops": {"weight": 0.2}},
                             "search_space": {"quantize": quantize}}})


class Timers:
    """Wrap library functions to add up the seconds spent in them."""

    def __init__(self):
        self.seconds = collections.Counter()
        self.calls = collections.Counter()

    def wrap(self, module, attr: str, label: str):
        original = getattr(module, attr)

        def timed(*args, **kwargs):
            start = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                self.seconds[label] += time.perf_counter() - start
                self.calls[label] += 1

        setattr(module, attr, timed)


def records(summary) -> list[dict]:
    return json.loads(Path(summary["trials_json"]).read_text())


def steady_rate(summary) -> float:
    """COMPLETE trials per second while every worker was running (from the study's timestamps)."""
    import optuna

    from chop.search.storage import open_storage

    study = optuna.load_study(study_name=summary["study"], storage=open_storage(summary["storage"]))
    done = [t for t in study.get_trials() if t.state.name == "COMPLETE"]
    by_worker = collections.defaultdict(list)
    for t in done:
        by_worker[t.user_attrs["worker"]].append(t)
    start = max(min(t.datetime_start for t in ts) for ts in by_worker.values())
    end = min(max(t.datetime_complete for t in ts) for ts in by_worker.values())
    inside = [t for t in done if t.datetime_start >= start and t.datetime_complete <= end]
    seconds = (end - start).total_seconds()
    return len(inside) / seconds if seconds > 0 else float("nan"), len(by_worker)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=300)
    parser.add_argument("--rows", type=int, default=60_000)
    args = parser.parse_args()
    os.environ["MACHOP_DATA_DIR"] = str(jsc_fixture(args.rows))
    import logging

    logging.getLogger("chop").setLevel(logging.WARNING)
    import chop.passes.graph.analysis.cost as cost
    import chop.passes.runner as runner_module
    import chop.search.trial as trial_module
    from chop.dataset import get_dataset
    from chop.search import run_search

    val_rows = len(get_dataset("jsc").val)
    out = Path(tempfile.mkdtemp(prefix="search-bench-"))
    timers = Timers()
    timers.wrap(trial_module, "evaluate_split", "evaluation")
    timers.wrap(runner_module, "run_passes", "quantize pass")
    timers.wrap(cost, "flops_analysis_pass", "cost pass")
    whole = Timers()
    whole.wrap(trial_module.TrialRunner, "run", "trial")
    loop = Timers()
    import chop.search.runner as search_runner

    loop.wrap(search_runner, "_run_workers", "trial loop")
    start = time.perf_counter()
    one = run_search(config(out, "one", args.trials, 1))
    one_wall = time.perf_counter() - start
    n1 = one["trials"]["COMPLETE"]
    per_trial = loop.seconds["trial loop"] / n1
    # The final report rebuilds the best trial once more: drop those calls from per-trial figures.
    def per_call(t: Timers, k: str) -> float:
        return t.seconds[k] / t.calls[k] * (t.calls[k] - 1) / n1

    parts = {k: per_call(timers, k) for k in timers.seconds}
    parts["rest of the trial"] = per_call(whole, "trial") - sum(parts.values())
    parts["Optuna + study"] = per_trial - per_call(whole, "trial")
    overhead = per_trial - parts["evaluation"]

    start = time.perf_counter()
    two = run_search(config(out, "two", args.trials, 2))
    two_wall = time.perf_counter() - start
    rate1, _ = steady_rate(one)
    rate2, workers_seen = steady_rate(two)

    print(f"PTQ search on jsc-s, {val_rows} validation rows per trial, {args.trials} trials, "
          f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")
    print(f"{'':28}{'1 worker':>12}{'2 workers':>12}{'ratio':>8}")
    print(f"{'trials/s (steady state)':28}{rate1:12.1f}{rate2:12.1f}{rate2 / rate1:8.2f}")
    print(f"{'trials/s (end to end)':28}{n1 / one_wall:12.1f}{two['trials']['COMPLETE'] / two_wall:12.1f}"
          f"{(two['trials']['COMPLETE'] / two_wall) / (n1 / one_wall):8.2f}")
    print(f"workers that ran trials in the 2-worker run: {workers_seen}")
    print(f"\nper trial, 1 worker: {per_trial * 1e3:.1f} ms")
    for label, seconds in parts.items():
        print(f"  {label:<18}{seconds * 1e3:8.1f} ms")
    print(f"overhead beyond the evaluation: {overhead * 1e3:.1f} ms a trial ({overhead / per_trial:.0%}), of "
          f"which Optuna + the journal study {parts['Optuna + study'] * 1e3:.1f} ms")


if __name__ == "__main__":
    main()
