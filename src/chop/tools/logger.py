"""`from chop.tools.logger import set_logging_verbosity, get_logger` (MASE's names)."""

from chop.logs import get_logger, set_logging_verbosity

__all__ = ["get_logger", "set_logging_verbosity"]
