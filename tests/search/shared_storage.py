"""Study storages for the multi-command tests: a journal, and real PostgreSQL / Redis servers and an
Optuna gRPC proxy where they can run (`.ci/run` starts the servers and exports their URLs)."""

from __future__ import annotations

import importlib.util
import os
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

POSTGRES = os.environ.get("MACHOP_TEST_POSTGRES_URL")
REDIS = os.environ.get("MACHOP_TEST_REDIS_URL")


def _tcp_open(url: str) -> bool:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 0), timeout=2):
            return True
    except OSError:
        return False


def skip_reason(kind: str) -> str | None:
    """Why `kind` cannot be tested here, or None."""
    if kind == "postgresql":
        if not POSTGRES:
            return "MACHOP_TEST_POSTGRES_URL is not set (.ci/run starts a PostgreSQL server and sets it)"
        if importlib.util.find_spec("psycopg") is None and importlib.util.find_spec("psycopg2") is None:
            return "no PostgreSQL driver: pip install 'machop[postgres]'"
        if not _tcp_open(POSTGRES):
            return f"no PostgreSQL server answers at {POSTGRES.rsplit('@', 1)[-1]}"
    if kind == "redis":
        if not REDIS:
            return "MACHOP_TEST_REDIS_URL is not set (.ci/run starts a Redis server and sets it)"
        if importlib.util.find_spec("redis") is None:
            return "the redis package is missing: pip install 'machop[redis]'"
        if not _tcp_open(REDIS):
            return f"no Redis server answers at {REDIS}"
    if kind == "grpc" and importlib.util.find_spec("grpc") is None:
        return "grpcio is missing: pip install 'machop[grpc]'"
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Shared:
    """One study for several commands: `toml_storage` goes in their config file, `spec` reads it here."""

    def __init__(self, kind: str, folder: Path):
        self.kind, self.folder = kind, folder
        self.study = f"t-{uuid.uuid4().hex[:12]}"
        self.proxy: subprocess.Popen | None = None
        folder.mkdir(parents=True, exist_ok=True)
        if kind == "journal":
            self.toml_storage, self.spec = "study.journal", str(folder / "study.journal")  # relative to the config
        elif kind == "sqlite":
            self.toml_storage, self.spec = "sqlite:///study.db", f"sqlite:///{folder / 'study.db'}"
        elif kind == "postgresql":  # a journal of its own in the database, as a fresh journal file is
            self.toml_storage = self.spec = f"{POSTGRES}?journal={self.study}"
        elif kind == "redis":
            self.toml_storage = self.spec = REDIS
        elif kind == "grpc":
            port = _free_port()
            self.proxy = subprocess.Popen([sys.executable, "-m", "chop.search.serve", str(folder / "proxy.journal"),
                                           "--host", "127.0.0.1", "--port", str(port)],
                                          stdout=subprocess.DEVNULL, stderr=(folder / "proxy.log").open("w"))
            self.toml_storage = self.spec = f"grpc://127.0.0.1:{port}"
            if not wait_for(lambda: _tcp_open(self.spec.replace("grpc", "tcp")), timeout=120, poll=0.2):
                self.close()
                raise RuntimeError("the gRPC storage proxy did not start: " + (folder / "proxy.log").read_text()[-2000:])
        else:
            raise ValueError(kind)

    def load(self):
        import optuna

        from chop.search.storage import open_storage

        return optuna.load_study(study_name=self.study, storage=open_storage(self.spec))

    def trials(self):
        try:
            return self.load().get_trials(deepcopy=False)
        except KeyError:  # not created yet
            return []

    def close(self) -> None:
        if self.proxy is not None and self.proxy.poll() is None:
            self.proxy.terminate()
            self.proxy.wait(timeout=10)


def start_command(config: Path, folder: Path, host: str) -> subprocess.Popen:
    """`ch search --config CONFIG` in its own working folder, as if on machine `host`."""
    folder.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "MACHOP_WORKER_HOST": host}
    log = (folder / "ch.log").open("w")
    return subprocess.Popen([sys.executable, "-m", "chop.cli", "search", "--config", str(config), "--log-level",
                             "warning"], cwd=folder, env=env, stdout=log, stderr=subprocess.STDOUT)


def wait_for(condition, timeout: float, poll: float = 0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(poll)
    return None


def kind_param(kind: str, slow: bool = False):
    reason = skip_reason(kind)
    marks = [pytest.mark.skipif(reason is not None, reason=reason or "")]
    if slow:
        marks.append(pytest.mark.slow)
    return pytest.param(kind, marks=marks, id=kind)
