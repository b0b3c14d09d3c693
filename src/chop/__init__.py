"""machop: train, lift to a graph IR, analyse, quantize, prune and search efficient networks."""

__version__ = "0.1.0"
