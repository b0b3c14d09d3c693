"""machop: train, lift to a graph IR, analyse, quantize, prune and search efficient networks."""

__version__ = "0.1.0"

from chop import hooks as _hooks
from chop.logs import install_default_handler as _install_default_handler

_install_default_handler()


def _replay_recipe(mg, passes, where):
    """The pass layer's recipe replay, for `MaseGraph.load` (chop.ir does not import chop.passes);
    imported on first use so that `import chop` stays fast."""
    from chop.passes.replay import replay_passes

    return replay_passes(mg, passes, where)


_hooks.replay_recipe.provide(_replay_recipe)


def __getattr__(name: str):
    """Lazy re-exports, so that `import chop` stays fast: `from chop import MaseGraph`."""
    if name == "MaseGraph":
        from chop.ir import MaseGraph

        return MaseGraph
    raise AttributeError(f"module 'chop' has no attribute {name!r}")
