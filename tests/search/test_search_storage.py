"""Study storage by URL: kinds, drivers, hidden passwords, paths relative to the config file;
`ch search --report`, and outputs without matplotlib."""

import json
import sys
from pathlib import Path

import pytest
import tomli_w
from search_helpers import QUANT_SPACE, make_cfg

from chop.cli import main
from chop.errors import ConfigError
from chop.search import run_search
from chop.search import storage as storage_mod
from chop.search.storage import describe, kind_of, rdb_url, redact


@pytest.mark.parametrize("spec, kind", [("runs/study.journal", "journal"), ("sqlite:///x.db", "sqlite"),
                                        ("postgresql://u:p@h/db", "postgresql"), ("postgres://h/db", "postgresql"),
                                        ("postgresql+psycopg2://h/db", "postgresql"), ("mysql://h/db", "mysql"),
                                        ("redis://h:6379/0", "redis"), ("grpc://h:13000", "grpc")])
def test_each_storage_kind_is_recognised(spec, kind):
    assert kind_of(spec) == kind


def test_unknown_scheme_and_passwords_are_one_line_with_the_password_hidden():
    with pytest.raises(ConfigError, match=r"unknown scheme 'mongodb://'.*sqlite:///") as info:
        kind_of("mongodb://me:hunter2@h/db")
    assert "hunter2" not in str(info.value)
    assert redact("postgresql://me:hunter2@h:5432/db") == "postgresql://me:***@h:5432/db"
    assert describe("redis://:pw@h:6379/0") == "redis storage redis://:***@h:6379/0"


def test_postgresql_url_uses_the_installed_driver_or_names_the_extra(monkeypatch):
    installed = {"psycopg2"}
    monkeypatch.setattr(storage_mod.importlib.util, "find_spec", lambda name: object() if name in installed else None)
    assert rdb_url("postgresql://u:p@h/db") == "postgresql+psycopg2://u:p@h/db"  # whatever the extra installed
    installed.add("psycopg")
    assert rdb_url("postgres://u:p@h/db") == "postgresql+psycopg://u:p@h/db"
    installed.clear()
    with pytest.raises(ConfigError, match=r"needs a postgresql driver.*pip install 'machop\[postgres\]'") as info:
        rdb_url("postgresql://u:secret@h/db")
    assert "secret" not in str(info.value)
    with pytest.raises(ConfigError, match=r"'MySQLdb'.*machop\[mysql\]"):
        rdb_url("mysql+mysqldb://h/db")


def _config(folder: Path, storage: str, n_trials: int = 2) -> Path:
    path = folder / "search.toml"
    path.write_text(tomli_w.dumps({"model": "jsc-tiny", "dataset": "toy", "project": "s", "seed": 0,
                                   "batch_size": 64, "search": {
                                       "strategy": {"name": "random", "n_trials": n_trials, "storage": storage},
                                       "search_space": QUANT_SPACE}}))
    return path


def test_a_relative_journal_path_is_relative_to_the_config_file(tmp_path, monkeypatch, capsys):
    shared = tmp_path / "shared"
    shared.mkdir()
    config = _config(shared, "studies/one.journal")
    for folder in ("a", "b"):  # two commands started in different folders share one study
        (tmp_path / folder).mkdir()
        monkeypatch.chdir(tmp_path / folder)
        assert main(["search", "--config", str(config), "--log-level", "info", "--project-dir", "out"]) == 0
    assert (shared / "studies" / "one.journal").is_file()
    assert not (tmp_path / "a" / "studies").exists() and not (tmp_path / "b" / "studies").exists()
    out = capsys.readouterr().out
    assert f"in journal file {shared / 'studies' / 'one.journal'}" in out
    best = json.loads((tmp_path / "b" / "out" / "s" / "software" / "search_ckpts" / "best.json").read_text())
    assert best["trials"]["COMPLETE"] == 2  # the second command found the first one's trials


def test_report_rewrites_the_outputs_from_the_study_without_running_trials(tmp_path):
    first = run_search(make_cfg(tmp_path, {"n_trials": 3}))
    best_json = Path(first["best_json"])
    best_json.unlink()
    report = run_search(make_cfg(tmp_path, {"n_trials": 10}), report_only=True)
    assert report["trials"] == first["trials"]  # nothing ran, though n_trials is now 10
    doc = json.loads(best_json.read_text())
    assert doc["best"]["number"] == first["best_trial"] and doc["final"] and doc["running"] == 0


def test_without_matplotlib_best_json_is_written_and_one_warning_says_why(tmp_path, monkeypatch, caplog):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib raises ImportError
    summary = run_search(make_cfg(tmp_path, {"n_trials": 2}))
    assert summary["plots"] == [] and Path(summary["best_json"]).is_file()
    warnings = [r.getMessage() for r in caplog.records if "matplotlib is not installed" in r.getMessage()]
    assert len(warnings) == 1 and "machop[plot]" in warnings[0]


def test_a_server_that_is_not_there_is_one_line(tmp_path, capsys):
    config = _config(tmp_path, "redis://127.0.0.1:9/0")
    assert main(["search", "--config", str(config), "--project-dir", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and ("Cannot reach the Redis study storage" in err or "machop[redis]" in err)
