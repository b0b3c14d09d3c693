"""Two `ch search` commands, in different working folders and as if on different machines
(`MACHOP_WORKER_HOST`), sharing one study on each storage: a journal file, PostgreSQL, Redis and
Optuna's gRPC proxy (the servers where `.ci/run` could start them; skipped with the reason elsewhere)."""

import json

import pytest
import tomli_w
from search_helpers import QUANT_SPACE
from shared_storage import Shared, kind_param, start_command, wait_for

from chop.search.claims import key

pytestmark = pytest.mark.slow
SPACE = {"quantize": {**QUANT_SPACE["quantize"], "default": {"config": {
    **QUANT_SPACE["quantize"]["default"]["config"], "data_in_width": [4, 6, 8]}}}}
POINTS, SEARCHED = 3 * 2 * 3 * 2, 4
TRAIN = {"fine_tune_epochs": 1, "batch_size": 32}  # ~0.15 s a trial


def _config(shared: Shared, strategy: dict):
    toml = {"model": "jsc-tiny", "dataset": "toy", "project": "shared", "seed": 0, "batch_size": 64,
            "search": {"strategy": {"storage": shared.toml_storage, "study_name": shared.study, "heartbeat": 1,
                                    **strategy}, "search_space": SPACE, "train": TRAIN}}
    path = shared.folder / "search.toml"
    path.write_text(tomli_w.dumps(toml))
    return path


def _finish(proc, folder, timeout=240) -> None:
    code = proc.wait(timeout=timeout)
    assert code == 0, (folder / "ch.log").read_text()[-3000:]


def _snapshot(shared: Shared):
    """The study's trials and best trial, read while its storage (a proxy, say) still runs."""
    study = shared.load()
    return study.get_trials(), study.best_trial


def _best_json_matches_the_study(folder, trials, best_trial) -> None:
    best = json.loads((folder / "mase_output" / "shared" / "software" / "search_ckpts" / "best.json").read_text())
    assert best["running"] == 0 and best["final"]
    assert best["best"]["number"] == best_trial.number
    assert best["best"]["values"] == best_trial.values
    assert best["trials"]["COMPLETE"] == len([t for t in trials if t.state.name == "COMPLETE"])


@pytest.mark.parametrize("kind", [kind_param("journal"), kind_param("postgresql"), kind_param("redis"),
                                  kind_param("grpc")])
def test_brute_force_shared_by_two_commands_runs_every_point_once_and_reruns_a_killed_ones_trial(tmp_path, kind):
    shared = Shared(kind, tmp_path / "shared")
    config = _config(shared, {"name": "brute-force"})
    b = start_command(config, tmp_path / "b", "host-b")
    a = start_command(config, tmp_path / "a", "host-a")

    def b_mid_trial():
        mine = [t for t in shared.trials() if t.user_attrs.get("worker", "").startswith("host-b:")]
        running = [t for t in mine if t.state.name == "RUNNING" and len(t.params) == SEARCHED]
        if running and any(t.state.name == "COMPLETE" for t in mine):
            return running[0].number
        return None

    try:
        killed = wait_for(b_mid_trial, timeout=150)
        b.kill()
        b.wait()
        assert killed is not None, "command b never ran a trial: " + (tmp_path / "b" / "ch.log").read_text()[-2000:]
        _finish(a, tmp_path / "a")
        all_trials, best_trial = _snapshot(shared)
    finally:
        for p in (a, b):
            if p.poll() is None:
                p.kill()
                p.wait()
        shared.close()
    trials = {t.number: t for t in all_trials}
    ran = [t for t in trials.values() if t.state.name in ("COMPLETE", "PRUNED")]
    points = [key(t.params) for t in ran]
    assert len(points) == len(set(points)) == POINTS  # every point, none twice, though two commands shared them
    dead = trials[killed]
    assert dead.state.name == "FAIL" and "metrics" not in dead.user_attrs
    # Failed by the survivor with the reason, or (RDB) by Optuna's own stale-heartbeat check, which records none.
    assert dead.user_attrs.get("died", "its worker host-b:").startswith("its worker host-b:")
    (rerun,) = [t for t in ran if key(t.params) == key(dead.params)]
    assert rerun.number > killed and rerun.user_attrs["worker"].startswith("host-a:")  # the survivor ran it
    for t in trials.values():  # any other FAIL is a claim lost to a trial holding the point: never run
        if t.state.name == "FAIL" and t.number != killed:
            assert "metrics" not in t.user_attrs and ("duplicate_of" in t.user_attrs or not t.params)
    _best_json_matches_the_study(tmp_path / "a", all_trials, best_trial)


@pytest.mark.parametrize("kind", [kind_param("journal"), kind_param("postgresql")])
def test_random_sampling_by_two_commands_draws_no_point_twice(tmp_path, kind):
    shared = Shared(kind, tmp_path / "shared")
    config = _config(shared, {"name": "random", "n_trials": 16})
    procs = {name: start_command(config, tmp_path / name, f"host-{name}") for name in ("a", "b")}
    try:
        for name, proc in procs.items():
            _finish(proc, tmp_path / name)
        all_trials, best_trial = _snapshot(shared)
    finally:
        for p in procs.values():
            if p.poll() is None:
                p.kill()
                p.wait()
        shared.close()
    done = [t for t in all_trials if t.state.name == "COMPLETE"]
    assert 16 <= len(done) <= 17  # both may start the 16th trial at once
    assert len({key(t.params) for t in done}) == len(done)
    workers = {t.user_attrs["worker"].split(":")[0] for t in done}
    last = max(procs, key=lambda n: (tmp_path / n / "mase_output" / "shared" / "software" / "search_ckpts"
                                     / "best.json").stat().st_mtime)
    _best_json_matches_the_study(tmp_path / last, all_trials, best_trial)
    assert workers <= {"host-a", "host-b"}
