"""machop: train, lift to a graph IR, analyse, quantize, prune and search efficient networks."""

__version__ = "0.1.0"

from chop.logs import install_default_handler as _install_default_handler

_install_default_handler()


def __getattr__(name: str):
    """Lazy re-exports, so that `import chop` stays fast: `from chop import MaseGraph`."""
    if name == "MaseGraph":
        from chop.ir import MaseGraph

        return MaseGraph
    raise AttributeError(f"module 'chop' has no attribute {name!r}")
