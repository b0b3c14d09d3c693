"""The journal on PostgreSQL (`postgresql://`), against the real server `.ci/run` starts: one gap-free
order of records whatever the writers, journals kept apart by name, an older RDB study not silently
replaced, bad URLs as one line, and optuna-dashboard on it (`python -m chop.search.dashboard`)."""

import json
import subprocess
import sys
import threading
import urllib.request
import uuid

import pytest
from search_helpers import QUANT_SPACE
from shared_storage import POSTGRES, _free_port, skip_reason, wait_for

from chop.cli import main
from chop.errors import ConfigError
from chop.search.storage import describe, load_or_create_study, open_storage

pytestmark = pytest.mark.skipif(skip_reason("postgresql") is not None, reason=skip_reason("postgresql") or "")


def _url(journal: str) -> str:
    return f"{POSTGRES}?journal={journal}"


def test_records_of_concurrent_writers_form_one_gap_free_order_that_every_reader_sees():
    from chop.search.pgjournal import PostgresJournalBackend

    url, writers, batches = _url(f"t-{uuid.uuid4().hex[:10]}"), 4, 25
    views: dict[int, list] = {}

    def write(w: int) -> None:
        backend, seen = PostgresJournalBackend(url), []
        for b in range(batches):
            backend.append_logs([{"w": w, "b": b, "part": p} for p in range(1 + b % 3)])  # batches of 1-3 records
            seen += backend.read_logs(len(seen))
        views[w] = seen

    threads = [threading.Thread(target=write, args=(w,)) for w in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    final = PostgresJournalBackend(url).read_logs(0)
    expected = writers * sum(1 + b % 3 for b in range(batches))
    assert len(final) == expected  # nothing lost, nothing written twice
    assert len({(r["w"], r["b"], r["part"]) for r in final}) == expected
    for w, seen in views.items():
        assert seen == final[:len(seen)]  # each writer read a prefix of the one order ...
        mine = [(r["b"], r["part"]) for r in final if r["w"] == w]
        assert mine == sorted(mine)  # ... in which its own records keep their order (a batch stays whole)
        assert any(r["w"] == w and r["b"] == batches - 1 for r in seen)  # and its last write was in its view


def test_a_study_is_shared_through_its_journal_and_journals_are_kept_apart():
    import optuna

    name = f"t-{uuid.uuid4().hex[:10]}"
    first = optuna.create_study(study_name="s", storage=open_storage(_url(name)))
    first.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)
    again = optuna.load_study(study_name="s", storage=open_storage(_url(name)))  # another process, say
    assert [t.params for t in again.trials] == [t.params for t in first.trials]
    with pytest.raises(KeyError):
        optuna.load_study(study_name="s", storage=open_storage(_url(name + "-other")))
    assert describe(_url(name)).startswith("postgresql journal postgresql://")


def test_a_study_optuna_made_in_its_rdb_tables_is_named_not_replaced_by_an_empty_one():
    import optuna

    from chop.search.storage import rdb_url

    name = f"t-{uuid.uuid4().hex[:10]}"
    rdb = rdb_url(POSTGRES)  # postgresql+psycopg://...: Optuna's RDB storage
    optuna.create_study(study_name=name, storage=open_storage(rdb), direction="maximize")
    with pytest.raises(ConfigError, match=r"in Optuna's RDB tables.*open it as postgresql\+psycopg://") as info:
        load_or_create_study(open_storage(POSTGRES), name, ["maximize"], None, None, "fp", POSTGRES)
    assert len(str(info.value).splitlines()) == 1 and ":machop@" not in str(info.value)  # password hidden
    assert load_or_create_study(open_storage(rdb), name, ["maximize"], None, None, "fp", rdb).study_name == name


def test_a_wrong_password_is_one_line_with_exit_2_and_the_password_hidden(tmp_path, capsys):
    import tomli_w

    bad = POSTGRES.replace(":machop@", ":not-the-password@") if ":machop@" in POSTGRES else None
    if bad is None:
        pytest.skip("the test server's URL does not have the password 'machop' to get wrong")
    config = tmp_path / "search.toml"
    config.write_text(tomli_w.dumps({"model": "jsc-tiny", "dataset": "toy", "search": {
        "strategy": {"name": "random", "n_trials": 1, "storage": bad}, "search_space": QUANT_SPACE}}))
    assert main(["search", "--config", str(config), "--project-dir", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Cannot open the study storage" in err and "not-the-password" not in err


def test_the_dashboard_serves_a_study_of_the_postgresql_journal(tmp_path):
    import optuna

    pytest.importorskip("optuna_dashboard", reason="optuna-dashboard is not installed: pip install 'machop[dashboard]'")
    url, port = _url(f"t-{uuid.uuid4().hex[:10]}"), _free_port()
    optuna.create_study(study_name="watched", storage=open_storage(url)).optimize(lambda t: t.suggest_int("x", 0, 3),
                                                                                n_trials=2)
    proc = subprocess.Popen([sys.executable, "-m", "chop.search.dashboard", url, "--host", "127.0.0.1", "--port",
                             str(port)], stdout=subprocess.DEVNULL, stderr=(tmp_path / "dash.log").open("w"))

    def studies():
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/studies", timeout=5) as answer:
                return json.loads(answer.read())["study_summaries"]
        except OSError:
            return None

    try:
        found = wait_for(studies, timeout=120, poll=0.3)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    assert found, (tmp_path / "dash.log").read_text()[-2000:]
    assert [s["study_name"] for s in found] == ["watched"]


def test_the_dashboard_without_its_extra_is_one_line(monkeypatch, capsys):
    from chop.search import dashboard

    real = dashboard.importlib.util.find_spec
    monkeypatch.setattr(dashboard.importlib.util, "find_spec", lambda n: None if n == "optuna_dashboard" else real(n))
    assert dashboard.main([_url("unused")]) == 2
    assert capsys.readouterr().err.strip() == "error: The dashboard needs optuna-dashboard; pip install 'machop[dashboard]'."
