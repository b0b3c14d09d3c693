"""MASE's notebook helpers by their import paths (`chop.tools.get_input`, `.checkpoint_load`,
`.logger`): thin adapters over machop's own datasets, checkpoints and logging."""


def __getattr__(name: str):
    """Lazy, so that `chop.tools.logger` does not import torch."""
    if name in ("InputGenerator", "get_dummy_input"):
        from chop.tools import get_input

        return getattr(get_input, name)
    if name == "load_model":
        from chop.tools.checkpoint_load import load_model

        return load_model
    if name in ("set_logging_verbosity", "get_logger"):
        from chop.tools import logger

        return getattr(logger, name)
    raise AttributeError(f"module 'chop.tools' has no attribute {name!r}")
