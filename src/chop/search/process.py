"""Worker processes of `ch search --workers N`: started, and what each runs.

A worker is a fresh interpreter, `python -m chop.search.process INDEX SECONDS_LEFT`, reading the
run config as JSON on stdin: unlike multiprocessing's spawn, it never re-imports the caller's
script, so `run_search` works from unguarded scripts and notebooks too. Each worker uses one
torch thread and runs trials until the shared study is done.
"""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import time

from chop.config import RunConfig
from chop.search.interrupts import catching_interrupts


def start_worker(cfg: RunConfig, index: int, seconds_left: float | None) -> subprocess.Popen:
    """A worker process for `cfg`; `index` offsets its sampler's seed."""
    from chop.search.session import config_dict

    proc = subprocess.Popen([sys.executable, "-m", "chop.search.process", str(index), str(seconds_left or "")],
                            stdin=subprocess.PIPE)
    proc.stdin.write(json.dumps(config_dict(cfg)).encode())
    proc.stdin.close()
    return proc


def worker_main(cfg_dict: dict, index: int, seconds_left: float | None) -> None:
    """Entry of a worker: one torch thread, quiet logs, trials until the study is done."""
    import torch

    from chop.search.session import open_session
    from chop.search.worker import WorkerOptions, run_worker

    torch.set_num_threads(1)
    logging.getLogger("chop").setLevel(logging.WARNING)
    cfg = RunConfig(**cfg_dict)
    with catching_interrupts():
        session = open_session(cfg, index)
        deadline = time.monotonic() + seconds_left if seconds_left is not None else None
        run_worker(session.study, session.runner,
                   WorkerOptions(seed=cfg.seed, n_trials=session.settings.n_trials, deadline=deadline,
                                 heartbeat=session.settings.heartbeat, index=index))


def _main() -> int:
    """Exit codes as `ch`'s: 0 done, 2 a user-facing error (one line), 130 interrupted."""
    from chop.errors import ChopError

    try:
        worker_main(json.loads(sys.stdin.read()), int(sys.argv[1]), float(sys.argv[2]) if sys.argv[2] else None)
    except KeyboardInterrupt:
        return 130
    except ChopError as exc:
        sys.stderr.write(f"error: worker {sys.argv[1]}: {exc}\n")
        return exc.exit_code
    return 0


if __name__ == "__main__":
    sys.exit(_main())
