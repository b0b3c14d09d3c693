"""The `chop` logger's default output: report tables show in a plain script or notebook.

MASE's users read analysis tables (`report_graph_analysis_pass`, ...) straight from a notebook
cell, with no logging set-up. So `import chop` sets the `chop` logger to INFO and gives it a
fallback handler that writes to stdout only while nobody else handles the records: once the
program configures logging (`logging.basicConfig`, pytest, or the `ch` command's own handler),
the fallback stays silent and nothing is printed twice. `set_logging_verbosity("warning")`
quiets it.
"""

from __future__ import annotations

import logging
import sys

ROOT = "chop"
LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING,
          "error": logging.ERROR, "critical": logging.CRITICAL}


class FallbackHandler(logging.Handler):
    """Writes `chop` records to the current `sys.stdout` unless another handler would show them."""

    def emit(self, record: logging.LogRecord) -> None:
        if _handled_elsewhere(self):
            return
        try:
            sys.stdout.write(self.format(record) + "\n")
            sys.stdout.flush()
        except Exception:  # a closed stream must not break the program
            self.handleError(record)


def _handled_elsewhere(fallback: logging.Handler) -> bool:
    logger: logging.Logger | None = logging.getLogger(ROOT)
    while logger is not None:
        if any(h is not fallback for h in logger.handlers):
            return True
        if not logger.propagate:
            return False
        logger = logger.parent
    return False


def install_default_handler() -> None:
    """Give the `chop` logger its fallback handler and INFO level, once per process."""
    logger = logging.getLogger(ROOT)
    if any(isinstance(h, FallbackHandler) for h in logger.handlers):
        return
    handler = FallbackHandler()
    handler.setFormatter(logging.Formatter("%(message)s"))
    logger.addHandler(handler)
    if logger.level == logging.NOTSET:
        logger.setLevel(logging.INFO)


def set_logging_verbosity(level: str | int = "info") -> None:
    """Show `chop` messages from `level` up: "debug", "info" (tables), "warning", "error"."""
    if isinstance(level, str):
        if level.lower() not in LEVELS:
            from chop.errors import ConfigError, did_you_mean

            raise ConfigError(f"Logging level '{level}' is not valid.{did_you_mean(level.lower(), LEVELS)}")
        level = LEVELS[level.lower()]
    logging.getLogger(ROOT).setLevel(level)


def get_logger(name: str = ROOT) -> logging.Logger:
    """A logger under `chop` (so that the default output and the verbosity apply to it)."""
    if name != ROOT and not name.startswith(ROOT + "."):
        name = f"{ROOT}.{name}"
    return logging.getLogger(name)
