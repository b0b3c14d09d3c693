"""Where a study lives, so that several commands (on one machine or many) share it and a rerun resumes it.

`[search.strategy] storage` names it; each kind is Optuna's own storage:

- a file path (default `<project>/software/search_ckpts/study.journal`): Optuna's journal file
  (`chop.search.journal`), shared through a filesystem that every machine mounts;
- `postgresql://user:pass@host/db`: Optuna's journal storage on a PostgreSQL table
  (`chop.search.pgjournal`; the `[postgres]` extra's driver): journal speed on a database server;
- `sqlite:///study.db`, `mysql://user:pass@host/db`, and PostgreSQL with a SQLAlchemy driver named
  (`postgresql+psycopg://...`, what `optuna-dashboard` reads): Optuna's RDB storage (SQLAlchemy);
  `mysql://` uses the `[mysql]` extra's driver whatever SQLAlchemy's default would be;
- `redis://host:6379/0`: Optuna's journal on Redis (`JournalRedisBackend`, the `[redis]` extra);
- `grpc://host:13000`: Optuna's gRPC storage proxy (`GrpcStorageProxy`, the `[grpc]` extra), in
  front of any of the above, run by `python -m chop.search.serve STORAGE` (see that module).

A relative path (journal or SQLite) in a config file is relative to that file (`chop.config.anchor_paths`
anchors it when the file is read), so commands started in different folders share one study.
A study also records the fingerprint of its search (space, strategy, objectives): resuming it
with different settings is an error rather than a silent mix of two searches.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import logging
import re
import warnings
from pathlib import Path

from chop.errors import ConfigError

log = logging.getLogger(__name__)

JOURNAL = "study.journal"
RDB_SCHEMES = ("sqlite", "postgresql", "mysql")
# scheme -> (module, SQLAlchemy driver) in order of preference; the first one installed is used.
DRIVERS = {"postgresql": (("psycopg", "psycopg"), ("psycopg2", "psycopg2")),
           "mysql": (("MySQLdb", "mysqldb"), ("pymysql", "pymysql"))}
EXTRAS = {"postgresql": "postgres", "mysql": "mysql", "redis": "redis", "grpc": "grpc"}


def kind_of(spec: str) -> str:
    """'journal', 'sqlite', 'postgresql', 'mysql', 'redis' or 'grpc' (an unknown scheme is an error)."""
    if "://" not in spec:
        return "journal"
    scheme = spec.split("://", 1)[0].split("+", 1)[0].lower()
    scheme = {"postgres": "postgresql", "rediss": "redis", "unix": "redis"}.get(scheme, scheme)
    if scheme in (*RDB_SCHEMES, "redis", "grpc"):
        return scheme
    raise ConfigError(f"Study storage '{redact(spec)}': unknown scheme '{scheme}://'; give a journal file path, "
                      f"sqlite:///study.db, postgresql://..., mysql://..., redis://... or grpc://host:port.")


def redact(spec: str) -> str:
    """The storage as it may be shown or saved: a URL's password replaced by ***."""
    return re.sub(r"(://[^/@:]*:)[^/@]*@", r"\1***@", spec)


def storage_spec(configured: str | None, search_dir: Path) -> str:
    """The storage as one string (an absolute journal path or a URL) that every worker can open."""
    if configured is None:
        return str((search_dir / JOURNAL).resolve())
    if kind_of(configured) != "journal":
        return configured
    return str(Path(configured).expanduser().resolve())


def is_postgres_journal(spec: str) -> bool:
    """`postgresql://` with no driver named: the journal on PostgreSQL (a driver named: Optuna's RDB storage)."""
    return "://" in spec and spec.split("://", 1)[0].lower() in ("postgresql", "postgres")


def describe(spec: str) -> str:
    """Where the study is, for a log line: the kind and the (redacted) location."""
    kind = kind_of(spec)
    if kind == "journal":
        return f"journal file {spec}"
    if kind == "postgresql":
        return f"postgresql {'journal' if is_postgres_journal(spec) else 'storage'} {redact(spec)}"
    return f"{kind} storage {redact(spec)}"


def rdb_url(spec: str) -> str:
    """`spec` with a driver SQLAlchemy can import: `postgresql://` uses whichever of psycopg 3 or
    psycopg2 is installed (SQLAlchemy's default depends on its version), `mysql://` mysqlclient or PyMySQL."""
    scheme, rest = spec.split("://", 1)
    base, _, driver = scheme.partition("+")
    base = "postgresql" if base.lower() == "postgres" else base.lower()
    if base not in DRIVERS:
        return f"{base}{'+' + driver if driver else ''}://{rest}"
    choices = DRIVERS[base]
    if driver:
        module = dict((d, m) for m, d in choices).get(driver, driver)
        if importlib.util.find_spec(module) is None:
            raise ConfigError(f"Study storage '{redact(spec)}' needs the Python package '{module}', which is not "
                              f"installed; pip install {module} (or use {base}:// with machop[{EXTRAS[base]}]).")
        return f"{base}+{driver}://{rest}"
    for module, name in choices:
        if importlib.util.find_spec(module) is not None:
            return f"{base}+{name}://{rest}"
    raise ConfigError(f"Study storage '{redact(spec)}' needs a {base} driver, and none is installed; "
                      f"pip install 'machop[{EXTRAS[base]}]'.")


def _need(module: str, spec: str, kind: str) -> None:
    if importlib.util.find_spec(module) is None:
        raise ConfigError(f"Study storage '{redact(spec)}' needs the Python package '{module}'; "
                          f"pip install 'machop[{EXTRAS[kind]}]'.")


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return (text.splitlines()[0] if text else type(exc).__name__)[:200]


def _redis(spec: str):
    from optuna.storages.journal import JournalRedisBackend, JournalStorage

    _need("redis", spec, "redis")
    import redis

    try:
        redis.Redis.from_url(spec, socket_connect_timeout=5).ping()
    except Exception as exc:
        raise ConfigError(f"Cannot reach the Redis study storage '{redact(spec)}' ({_first_line(exc)}); "
                          f"is redis-server running there?") from None
    with warnings.catch_warnings():  # "experimental": not the user's concern
        warnings.simplefilter("ignore")
        return JournalStorage(JournalRedisBackend(spec))


def _grpc(spec: str):
    _need("grpc", spec, "grpc")
    from optuna.storages import GrpcStorageProxy

    host, _, port = spec.split("://", 1)[1].rstrip("/").rpartition(":")
    if not host or not port.isdigit():
        raise ConfigError(f"Study storage '{spec}': give it as grpc://HOST:PORT.")
    with warnings.catch_warnings():  # "experimental": not the user's concern
        warnings.simplefilter("ignore")
        proxy = GrpcStorageProxy(host=host, port=int(port))
    try:
        proxy.wait_server_ready(timeout=15)
    except Exception as exc:
        raise ConfigError(f"No Optuna storage proxy answers at {host}:{port} ({_first_line(exc)}); start one with "
                          f"python -m chop.search.serve STORAGE --port {port}.") from None
    return proxy


def _postgres_journal(spec: str):
    from optuna.storages.journal import JournalStorage

    if importlib.util.find_spec("psycopg") is None and importlib.util.find_spec("psycopg2") is None:
        raise ConfigError(f"Study storage '{redact(spec)}' needs a PostgreSQL driver, and none is installed; "
                          f"pip install 'machop[{EXTRAS['postgresql']}]'.")
    from chop.search.pgjournal import PostgresJournalBackend

    try:
        backend = PostgresJournalBackend(spec)
    except Exception as exc:  # a missing database, a refused connection, a bad password
        raise ConfigError(f"Cannot open the study storage '{redact(spec)}' ({_first_line(redact(str(exc)))}); "
                          f"is the PostgreSQL server running, and do the user, password and database exist?") from None
    return JournalStorage(backend)


def _rdb(spec: str, heartbeat: int):
    import optuna

    url = rdb_url(spec)
    try:
        with warnings.catch_warnings():  # heartbeat_interval is "experimental": not the user's concern
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            return optuna.storages.RDBStorage(url, heartbeat_interval=heartbeat, grace_period=3 * heartbeat)
    except Exception as exc:  # a missing database, a refused connection, a bad password
        raise ConfigError(f"Cannot open the study storage '{redact(spec)}' ({_first_line(exc)}); give a journal "
                          f"file path or a URL such as sqlite:///study.db.") from None


def open_storage(spec: str, heartbeat: int = 10):
    """Optuna's storage for `spec`; RDB storages beat every `heartbeat` s (others: `chop.search.liveness`)."""
    from optuna.storages.journal import JournalStorage

    from chop.search.journal import journal_backend

    kind = kind_of(spec)
    if kind == "journal":
        Path(spec).parent.mkdir(parents=True, exist_ok=True)
        return JournalStorage(journal_backend(spec))
    if kind == "redis":
        return _redis(spec)
    if kind == "grpc":
        return _grpc(spec)
    if is_postgres_journal(spec):
        return _postgres_journal(spec)
    return _rdb(spec, heartbeat)


def fingerprint(settings, params) -> str:
    """A hash of what defines the search: space, parameter names, strategy, objectives, [hardware]."""
    data = {
        "space": settings.search_space, "params": [p.name for p in params],
        "strategy": settings.strategy.name, "multi": settings.multi_objective,
        "objectives": [(o.objective.name, o.weight, o.scale) for o in settings.objectives],
        "train": settings.train,
    }
    if getattr(settings, "hardware", None) is not None and settings.hardware.estimate_choices():
        data["hardware"] = settings.hardware.estimate_choices()  # what luts/latency_ns measure
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()[:16]


def _not_an_rdb_study(storage, name: str, where: str) -> None:
    """A study that machop made in Optuna's RDB tables (before `postgresql://` meant the journal) is not
    silently replaced by a new, empty one in the journal table: say how to open it."""
    backend = getattr(storage, "_backend", None)
    if not hasattr(backend, "rdb_study_exists"):
        return
    try:
        storage.get_study_id_from_name(name)
        return  # in the journal already
    except KeyError:
        pass
    if backend.rdb_study_exists(name):
        url = where.split("://", 1)
        raise ConfigError(f"Study '{name}' is in Optuna's RDB tables of {where}, not in its journal table; "
                          f"open it as {url[0]}+psycopg://{url[1]} (Optuna's RDB storage), or give another study_name.")


def load_or_create_study(storage, name: str, directions: list[str], sampler, pruner, print_: str, where: str):
    """The study `name` in `storage` (opened from `where`), created when new; an existing one must match `print_`."""
    import optuna

    where = redact(where)
    _not_an_rdb_study(storage, name, where)
    try:
        study = optuna.create_study(storage=storage, study_name=name, directions=directions, sampler=sampler,
                                    pruner=pruner, load_if_exists=True)
    except ValueError as exc:
        raise ConfigError(f"Study '{name}' in {where} does not fit this search ({exc}); give another "
                          f"[search.strategy] study_name or project.") from None
    found = study.user_attrs.get("fingerprint")
    if found is None:
        study.set_user_attr("fingerprint", print_)
    elif found != print_:
        raise ConfigError(f"Study '{name}' in {where} was made by a different search (space, strategy, "
                          f"objectives or [hardware] changed); give another study_name or project, or delete the study.")
    if list(map(str.lower, (d.name for d in study.directions))) != directions:
        raise ConfigError(f"Study '{name}' has directions {[d.name for d in study.directions]}, this search "
                          f"{directions}; give another study_name.")
    return study
