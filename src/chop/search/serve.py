"""Optuna's gRPC storage proxy in front of a study storage, for many workers on many machines:

    python -m chop.search.serve postgresql://user:pass@db-host/machop --host 0.0.0.0 --port 13000

then every machine's config says `storage = "grpc://PROXY-HOST:13000"`. Workers then talk to one
server process (with Optuna's trial cache) instead of each holding database connections; it
needs the `[grpc]` extra. STORAGE is anything `[search.strategy] storage` accepts except
`grpc://` (a relative journal path is relative to the working directory here). Ctrl-C stops it.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    from chop.errors import ChopError, ConfigError
    from chop.search.storage import describe, kind_of, open_storage, redact, storage_spec

    p = argparse.ArgumentParser(prog="python -m chop.search.serve", description=__doc__.split("\n\n")[0])
    p.add_argument("storage", help="journal path, sqlite:///, postgresql://, mysql:// or redis:// URL")
    p.add_argument("--host", default="localhost", help="address to listen on (0.0.0.0: every interface)")
    p.add_argument("--port", type=int, default=13000)
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    try:
        if kind_of(args.storage) == "grpc":
            raise ConfigError("A storage proxy serves a storage, not another proxy; give a journal path or a database URL.")
        _need_grpc()
        spec = storage_spec(args.storage, Path.cwd())
        import optuna

        storage = optuna.storages.get_storage(open_storage(spec))  # RDB: with Optuna's trial cache
    except ChopError as exc:
        sys.stderr.write(f"error: {exc}\n")
        return exc.exit_code
    logging.getLogger("chop").info("Serving %s at grpc://%s:%d (Ctrl-C stops)", describe(spec), args.host, args.port)
    try:
        import warnings

        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        optuna.storages.run_grpc_proxy_server(storage, host=args.host, port=args.port)
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # the port is taken, the address is wrong
        sys.stderr.write(f"error: cannot serve {redact(spec)} at {args.host}:{args.port} ({exc}).\n")
        return 2
    return 0


def _need_grpc() -> None:
    import importlib.util

    from chop.errors import ConfigError

    if importlib.util.find_spec("grpc") is None:
        raise ConfigError("The storage proxy needs grpcio; pip install 'machop[grpc]'.")


if __name__ == "__main__":
    sys.exit(main())
