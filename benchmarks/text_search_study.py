"""Seed 003's search studies on text: samplers on a BERT architecture search, and the
compression-pipeline Pareto front, with bert-tiny on the offline tweets.

1. Samplers (lab 2, task 2a): `configs/examples/bert_tweets_arch_search.toml` (layers, hidden
   size, heads, intermediate size, Linear or Identity for each square layer; every trial built
   from scratch and trained one epoch) with the random, grid and TPE samplers, `--seeds` seeds
   each. Output: best validation accuracy against evaluated trials (mean over seeds) as
   `samplers.png` and `samplers.md`.
2. Compression pipeline (task 2b): `configs/examples/bert_tiny_tweets_search.toml` (quantize every
   Linear to fixed point -> prune -> fine-tune one epoch) on a trained bert-tiny (`--load`, a
   `ch train` checkpoint at the same max_token_len), as a two-objective NSGA-II search (accuracy
   up, BitOPs down). Output: `pareto.png` and `pareto.md`.

Run: python benchmarks/text_search_study.py --load CKPT [--trials 8 --seeds 1 --pareto-trials 12 --rows 2000]
"""

from __future__ import annotations

import argparse
import json
import logging
import time
from pathlib import Path

from search_study import write_pareto, write_sampler_outputs

ROOT = Path(__file__).resolve().parents[1]
ARCH_TOML = ROOT / "configs" / "examples" / "bert_tweets_arch_search.toml"
PIPELINE_TOML = ROOT / "configs" / "examples" / "bert_tiny_tweets_search.toml"
SAMPLERS = ("random", "grid", "tpe")


def config(toml: Path, out: Path, project: str, strategy: dict, rows: int, **top):
    from chop.config import load_toml, merge

    data = load_toml(toml)
    data["search"]["strategy"] = {**data["search"]["strategy"], **strategy}
    data["dataset_options"] = {**data.get("dataset_options", {}), "max_rows": rows}
    return merge({**data, "project": project, "project_dir": str(out), "log_level": "warning", **top})


def best_curve(trials_json: str) -> list[float]:
    records = json.loads(Path(trials_json).read_text())
    done = [r["values"][0] for r in sorted(records, key=lambda r: r["number"]) if r["state"] == "COMPLETE"]
    return [max(done[: i + 1]) for i in range(len(done))]


def compare_samplers(out: Path, toml: Path, trials: int, seeds: int, rows: int) -> dict[str, list[list[float]]]:
    from chop.search import run_search

    curves: dict[str, list[list[float]]] = {}
    for sampler in SAMPLERS:
        for seed in range(seeds):
            started = time.perf_counter()
            summary = run_search(config(toml, out, f"arch-{sampler}-{seed}",
                                        {"name": sampler, "n_trials": trials}, rows, seed=seed))
            curves.setdefault(sampler, []).append(best_curve(summary["trials_json"]))
            print(f"{sampler} seed {seed}: best {curves[sampler][-1][-1]:.4f} "
                  f"({time.perf_counter() - started:.0f} s)", flush=True)
    return curves


def pareto(out: Path, toml: Path, ckpt: str, trials: int, rows: int) -> None:
    from chop.search import run_search

    cfg = config(toml, out, "pipeline", {"name": "nsga2", "n_trials": trials, "multi_objective": True},
                 rows, load_name=ckpt, load_type="pl")
    cfg.search["objectives"] = ["accuracy", "bitops"]
    summary = run_search(cfg)
    write_pareto(out, summary, "point", lambda point: ", ".join(
        f"{k.split('/')[-1]}={v}" for k, v in sorted(point.items())))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--load", required=True, help="a ch train checkpoint of bert-tiny on tweets (64 tokens)")
    p.add_argument("--trials", type=int, default=8)
    p.add_argument("--seeds", type=int, default=1)
    p.add_argument("--pareto-trials", type=int, default=12)
    p.add_argument("--rows", type=int, default=2000, help="tweets sampled (stratified) for the searches")
    p.add_argument("--out", default="mase_output/text_search_study")
    p.add_argument("--skip-samplers", action="store_true")
    p.add_argument("--arch-config", default=str(ARCH_TOML))
    p.add_argument("--pipeline-config", default=str(PIPELINE_TOML))
    a = p.parse_args()
    logging.getLogger("chop").setLevel(logging.WARNING)
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    if not a.skip_samplers:
        write_sampler_outputs(out, compare_samplers(out, Path(a.arch_config), a.trials, a.seeds, a.rows),
                              ylabel="best validation accuracy (mean over seeds)",
                              title="Samplers on a BERT architecture search, tweets")
        print((out / "samplers.md").read_text())
    pareto(out, Path(a.pipeline_config), a.load, a.pareto_trials, a.rows)
    print((out / "pareto.md").read_text())
    print(f"study took {time.perf_counter() - start:.0f} s; figures in {out}")


if __name__ == "__main__":
    main()
