"""Quantization transform (filled by the quantize work); `summary` compares graphs node by node."""
