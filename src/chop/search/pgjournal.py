"""Optuna's journal storage on a PostgreSQL table: a study on a database server at journal speed.

`postgresql://user:pass@host/db` (no SQLAlchemy driver named) is a `JournalStorage` whose log is
the table `machop_journal`: one row per record, numbered 0, 1, 2, ... without gaps. Optuna's RDB
storage needed ~17 round trips of ORM work per trial and re-read every trial on each read; here
a write is one statement and a read fetches only the records this process has not seen yet
(Optuna replays them in memory, as it does a journal file).

- **One statement per write**, in autocommit: it numbers its records after the highest number it
  sees, inserts them, and returns every record from where this process last read up to its own.
  Two writers that pick the same number collide on the primary key; the loser retries. A record
  is therefore only written once all lower numbers are committed, so every reader sees a
  gap-free prefix of one order (which Optuna's replay relies on: trial ids come from it).
- **No wait for the disk per record** (`synchronous_commit=off` for this connection), as on a
  journal file: a crash of the server, not of a worker, may lose its last fraction of a second of
  records (the trials then running), never leave a gap or a half record.
- **Reads** after a write are that write's answer (no second round trip); other reads select
  the records numbered from where this process stands.
- A database holds several journals (rows keyed by `journal`): `?journal=NAME` in the URL picks
  one (default `default`), so that unrelated searches need not replay each other's records.

Dead workers are found by the journal's lease (`chop.search.liveness`), as on a journal file.
Optuna's RDB storage stays reachable by naming the driver (`postgresql+psycopg://...`), which is
also what `optuna-dashboard` reads; this table is watched by `python -m chop.search.dashboard`.
"""

from __future__ import annotations

import json
import logging
import threading
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from optuna.storages.journal import BaseJournalBackend

log = logging.getLogger(__name__)

TABLE = "machop_journal"
DEFAULT_JOURNAL = "default"
MAX_RETRIES = 1000  # collisions on a record number; each is another writer's progress

_CREATE = f"""CREATE TABLE IF NOT EXISTS {TABLE} (
    journal text NOT NULL, seq bigint NOT NULL, record text NOT NULL, PRIMARY KEY (journal, seq))"""
_APPEND = f"""WITH last AS (SELECT coalesce(max(seq), -1) AS n FROM {TABLE} WHERE journal = %(j)s),
mine AS (INSERT INTO {TABLE} (journal, seq, record)
         SELECT %(j)s, last.n + r.i, r.record FROM last, unnest(%(records)s::text[]) WITH ORDINALITY AS r(record, i)
         RETURNING seq, record)
SELECT seq, record FROM {TABLE} WHERE journal = %(j)s AND seq >= %(since)s
UNION ALL SELECT seq, record FROM mine ORDER BY 1"""
_READ = f"SELECT seq, record FROM {TABLE} WHERE journal = %(j)s AND seq >= %(since)s ORDER BY seq"


def split_url(url: str) -> tuple[str, str]:
    """(a libpq URL without machop's `journal` parameter, the journal's name)."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    name = next((v for k, v in query if k == "journal"), "") or DEFAULT_JOURNAL
    scheme = "postgresql" if parts.scheme.lower() in ("postgres", "postgresql") else parts.scheme
    rest = urlencode([(k, v) for k, v in query if k != "journal"])
    return urlunsplit((scheme, parts.netloc, parts.path, rest, parts.fragment)), name


def _driver():
    """psycopg 3 if installed, else psycopg2 (both DB-API 2 with %(name)s parameters)."""
    try:
        import psycopg

        return psycopg
    except ImportError:
        import psycopg2

        return psycopg2


def _sqlstate(exc: BaseException) -> str | None:
    return getattr(exc, "sqlstate", None) or getattr(exc, "pgcode", None)


class PostgresJournalBackend(BaseJournalBackend):
    """The records of one journal in PostgreSQL (see the module docstring); safe across processes and threads."""

    def __init__(self, url: str):
        self.url, self.journal = split_url(url)
        self._db = _driver()
        self._lock = threading.Lock()
        self._conn = None
        self._next = 0                                    # first record this process has not read
        self._answer: tuple[int, list] | None = None      # a write's answer, served to the next read
        self._ensure_table()

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state.update(_conn=None, _lock=None, _db=None, _answer=None, _next=0)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock, self._db = threading.Lock(), _driver()

    def _connection(self):
        if self._conn is None or self._conn.closed:
            self._conn = self._db.connect(self.url, options="-c synchronous_commit=off")
            self._conn.autocommit = True
        return self._conn

    def _execute(self, sql: str, params: dict | None = None) -> list:
        try:
            with self._connection().cursor() as cur:
                cur.execute(sql, params)
                return cur.fetchall() if cur.description else []
        except self._db.OperationalError:  # a dropped connection: the next call reconnects
            if self._conn is not None:
                self._conn.close()
            self._conn = None
            raise

    def _ensure_table(self) -> None:
        with self._lock:
            if self._execute("SELECT to_regclass(%(t)s)", {"t": TABLE})[0][0] is None:
                try:
                    self._execute(_CREATE)
                except self._db.Error as exc:  # another process created it at the same moment
                    if _sqlstate(exc) not in ("23505", "42P07"):
                        raise

    def _records(self, rows: list, since: int) -> list[dict[str, Any]]:
        """The rows' records in order, stopping at a gap (none is ever committed; defensive)."""
        out = []
        for seq, record in rows:
            if seq != since + len(out):
                break
            out.append(json.loads(record))
        return out

    def read_logs(self, log_number_from: int) -> list[dict[str, Any]]:
        with self._lock:
            if self._answer is not None and self._answer[0] == log_number_from:
                records = self._answer[1]
            else:
                rows = self._execute(_READ, {"j": self.journal, "since": log_number_from})
                records = self._records(rows, log_number_from)
            self._answer = None
            self._next = log_number_from + len(records)
            return records

    def append_logs(self, logs: list[dict[str, Any]]) -> None:
        records = [json.dumps(r, separators=(",", ":")) for r in logs]
        with self._lock:
            for _ in range(MAX_RETRIES):
                try:
                    rows = self._execute(_APPEND, {"j": self.journal, "records": records, "since": self._next})
                except self._db.Error as exc:
                    if _sqlstate(exc) == "23505":  # another writer took these numbers first
                        continue
                    raise
                self._answer = (self._next, self._records(rows, self._next))
                return
            raise RuntimeError(f"could not append to the study journal '{self.journal}' after {MAX_RETRIES} tries")

    def rdb_study_exists(self, study_name: str) -> bool:
        """True when Optuna's RDB tables in this database hold a study of that name (made by RDB storage)."""
        with self._lock:
            if self._execute("SELECT to_regclass('studies')")[0][0] is None:
                return False
            try:
                return bool(self._execute("SELECT 1 FROM studies WHERE study_name = %(n)s", {"n": study_name}))
            except self._db.Error:  # a table of that name that is not Optuna's
                return False
