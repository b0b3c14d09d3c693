"""optuna-dashboard on any study storage machop opens, the journal on PostgreSQL included:

    python -m chop.search.dashboard postgresql://user:pass@db-host/machop --port 8080

`optuna-dashboard URL` itself reads journal files, Redis and Optuna's RDB URLs
(`postgresql+psycopg://...`), but not the journal table that `postgresql://` means to machop
(`chop.search.pgjournal`); this opens the storage as `ch search` does and hands it to
optuna-dashboard's own server (the `[dashboard]` extra). Ctrl-C stops it.
"""

from __future__ import annotations

import argparse
import importlib.util
import logging
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    from chop.errors import ChopError, ConfigError
    from chop.search.storage import describe, open_storage, redact, storage_spec

    p = argparse.ArgumentParser(prog="python -m chop.search.dashboard", description=__doc__.split("\n\n")[0])
    p.add_argument("storage", help="what [search.strategy] storage says: a journal path or a URL")
    p.add_argument("--host", default="localhost", help="address to listen on (0.0.0.0: every interface)")
    p.add_argument("--port", type=int, default=8080)
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    try:
        if importlib.util.find_spec("optuna_dashboard") is None:
            raise ConfigError("The dashboard needs optuna-dashboard; pip install 'machop[dashboard]'.")
        spec = storage_spec(args.storage, Path.cwd())
        storage = open_storage(spec)
    except ChopError as exc:
        sys.stderr.write(f"error: {exc}\n")
        return exc.exit_code
    from optuna_dashboard import run_server

    logging.getLogger("chop").info("Dashboard of %s at http://%s:%d (Ctrl-C stops)", describe(spec), args.host,
                                   args.port)
    try:
        run_server(storage, host=args.host, port=args.port)
    except KeyboardInterrupt:
        return 130
    except OSError as exc:  # the port is taken, the address is wrong
        sys.stderr.write(f"error: cannot serve the dashboard of {redact(spec)} at {args.host}:{args.port} ({exc}).\n")
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
