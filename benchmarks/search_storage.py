"""Brute-force search throughput on a journal file against PostgreSQL, with 1 and 2 `ch search`
commands sharing the study, measured side by side in one run; also counts points run twice.

`postgresql` is what `postgresql://` means to machop, Optuna's journal storage on a table
(`chop.search.pgjournal`); `postgresql-rdb` (not run unless asked: about 10x slower) is Optuna's
RDB storage on the same server (`postgresql+psycopg://`).

The search: post-training quantization of jsc-tiny on the synthetic `toy` set over a 540-point
grid (brute force), every trial evaluated on 512 validation rows, so that a trial is short and
the storage's cost shows. Each configuration gets a fresh study; each command is a separate
`ch search` process (as on separate machines: its own working folder and `MACHOP_WORKER_HOST`).
Trials per second are counted from the trials' own timestamps (first start to last finish), so
process start-up is excluded.

PostgreSQL: a server URL in MACHOP_BENCH_POSTGRES_URL or MACHOP_TEST_POSTGRES_URL (`.ci/run`
starts one); without one only the journal is measured.

Run: python benchmarks/search_storage.py [--storages journal,postgresql[,postgresql-rdb] --commands 1,2]
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

SPACE = {"quantize": {"by": "type", "ops": ["linear"], "default": {"config": {
    "name": "integer", "data_in_width": [4, 6, 8], "data_in_frac_width": [2, 3, 4],
    "weight_width": [3, 4, 6, 8], "weight_frac_width": [2, 3, 4], "bias_width": [4, 6, 8, 12, 16],
    "bias_frac_width": 4}}}}
POINTS = 3 * 3 * 4 * 3 * 5


def _config(folder: Path, storage: str, study: str) -> Path:
    import tomli_w

    toml = {"model": "jsc-tiny", "dataset": "toy", "project": "bench", "seed": 0, "batch_size": 256,
            "search": {"strategy": {"name": "brute-force", "storage": storage, "study_name": study,
                                    "eval_samples": 512}, "search_space": SPACE}}
    path = folder / "search.toml"
    path.write_text(tomli_w.dumps(toml))
    return path


def _measure(storage_kind: str, url: str | None, commands: int, root: Path) -> dict:
    import optuna

    from chop.search.claims import key
    from chop.search.storage import open_storage, rdb_url

    folder = root / f"{storage_kind}-{commands}"
    folder.mkdir(parents=True)
    study_name = f"bench-{uuid.uuid4().hex[:10]}"
    # PostgreSQL: a journal of its own in the database (`?journal=`), as a fresh journal file is.
    sep = "&" if "?" in (url or "") else "?"
    storage = {"journal": str(folder / "study.journal"), "postgresql": f"{url}{sep}journal={study_name}",
               "postgresql-rdb": rdb_url(url or "")}[storage_kind]
    config = _config(folder, storage, study_name)
    procs = []
    for i in range(commands):
        cwd = folder / f"cmd{i}"
        cwd.mkdir()
        env = {**os.environ, "MACHOP_WORKER_HOST": f"bench-host-{i}", "OMP_NUM_THREADS": "1"}
        procs.append(subprocess.Popen([sys.executable, "-m", "chop.cli", "search", "--config", str(config),
                                       "--log-level", "warning"], cwd=cwd, env=env,
                                      stdout=subprocess.DEVNULL, stderr=(cwd / "err.log").open("w")))
    codes = [p.wait() for p in procs]
    if any(codes):
        raise SystemExit(f"{storage_kind} x{commands}: a command failed: "
                         + (folder / f"cmd{codes.index(next(c for c in codes if c))}" / "err.log").read_text()[-800:])
    trials = optuna.load_study(study_name=study_name, storage=open_storage(storage)).get_trials(deepcopy=False)
    ran = [t for t in trials if t.state.name in ("COMPLETE", "PRUNED")]
    start = min(t.datetime_start for t in ran)
    end = max(t.datetime_complete for t in ran)
    seconds = (end - start).total_seconds()
    per_point = collections.Counter(key(t.params) for t in ran)
    return {"storage": storage_kind, "commands": commands, "trials": len(ran), "points": len(per_point),
            "seconds": seconds, "per_s": len(ran) / seconds,
            "duplicates": sum(n - 1 for n in per_point.values()),
            "lost_claims": sum(1 for t in trials if t.state.name == "FAIL" and "duplicate_of" in t.user_attrs),
            "by_command": dict(collections.Counter(t.user_attrs["worker"].split(":")[0] for t in ran))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--storages", default="journal,postgresql")
    parser.add_argument("--commands", default="1,2")
    args = parser.parse_args()
    url = os.environ.get("MACHOP_BENCH_POSTGRES_URL") or os.environ.get("MACHOP_TEST_POSTGRES_URL")
    kinds = [k for k in args.storages.split(",") if not k.startswith("postgresql") or url]
    if "postgresql" in args.storages and not url:
        print("PostgreSQL skipped: set MACHOP_BENCH_POSTGRES_URL (or MACHOP_TEST_POSTGRES_URL).")
    root = Path(tempfile.mkdtemp(prefix="search-storage-bench-"))
    rows = []
    print(f"brute force over {POINTS} points, jsc-tiny PTQ on toy (512 validation rows a trial)")
    print(f"{'storage':<14} {'commands':>8} {'trials':>6} {'points':>6} {'seconds':>8} {'trials/s':>9} "
          f"{'run twice':>9} {'lost claims':>11}  trials per command")
    for commands in (int(c) for c in args.commands.split(",")):
        for kind in kinds:  # interleaved: journal and PostgreSQL meet the same machine load
            r = _measure(kind, url, commands, root)
            rows.append(r)
            print(f"{r['storage']:<14} {r['commands']:>8} {r['trials']:>6} {r['points']:>6} {r['seconds']:>8.1f} "
                  f"{r['per_s']:>9.1f} {r['duplicates']:>9} {r['lost_claims']:>11}  {r['by_command']}", flush=True)
    by = {(r["storage"], r["commands"]): r for r in rows}
    for commands in sorted({r["commands"] for r in rows}):
        for kind in ("postgresql", "postgresql-rdb"):
            if (kind, commands) in by and ("journal", commands) in by:
                ratio = by[("journal", commands)]["per_s"] / by[(kind, commands)]["per_s"]
                print(f"{commands} command(s): journal / {kind} trials per second = {ratio:.2f}"
                      + (" (target <= 2)" if kind == "postgresql" else ""))
    for kind in kinds:
        if (kind, 1) in by and (kind, 2) in by:
            print(f"{kind}: 2 commands / 1 command = {by[(kind, 2)]['per_s'] / by[(kind, 1)]['per_s']:.2f}")
    (root / "results.json").write_text(json.dumps(rows, indent=2, default=str))
    print(f"results: {root / 'results.json'}")


if __name__ == "__main__":
    main()
