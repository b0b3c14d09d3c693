"""Bit packing: integers of width w stored as a dense uint8 byte stream, w bits each.

Layout (little-endian bit order): element i (in row-major order of the tensor) occupies stream
bits [i*w, (i+1)*w), least significant bit first; stream bit k is bit (k mod 8) of byte k // 8
(bit 0 = the least significant bit of the byte). The last byte is padded with zero bits.
Signed integers are stored as their w-bit two's complement and sign-extended when unpacked;
unsigned ones as plain w-bit numbers. So n elements take ceil(n*w / 8) bytes.

Example: the 3-bit signed values [1, -1] are the codes 0b001 and 0b111; the stream bits are
1,0,0, 1,1,1 and the single byte is 0b00111001 = 57.

The bit shuffling is numpy's `packbits`/`unpackbits` with `bitorder="little"`.
"""

from __future__ import annotations

import numpy as np
import torch

MAX_WIDTH = 32


def integer_range(width: int, signed: bool) -> tuple[int, int]:
    """The smallest and largest integer that `width` bits hold."""
    return (-(2 ** (width - 1)), 2 ** (width - 1) - 1) if signed else (0, 2**width - 1)


def packed_size(numel: int, width: int) -> int:
    """Bytes taken by `numel` packed integers of `width` bits."""
    return (numel * width + 7) // 8


def _check_width(width: int) -> None:
    if isinstance(width, bool) or not isinstance(width, int) or not 1 <= width <= MAX_WIDTH:
        raise ValueError(f"A packed width is an integer in 1..{MAX_WIDTH}, got {width!r}.")


def pack_bits(values: torch.Tensor, width: int, signed: bool = True) -> torch.Tensor:
    """The uint8 byte stream (1-d) of the integer tensor `values`, `width` bits each.

    Every value must lie in the range of `width` bits (a ValueError says which does not).
    """
    _check_width(width)
    if values.is_floating_point() or values.is_complex():
        raise ValueError(f"pack_bits packs integer tensors, got {values.dtype}.")
    flat = values.detach().reshape(-1).to(torch.int64).cpu().numpy()
    lo, hi = integer_range(width, signed)
    if flat.size and (flat.min() < lo or flat.max() > hi):
        raise ValueError(f"Values in [{flat.min()}, {flat.max()}] do not fit {width} "
                         f"{'signed' if signed else 'unsigned'} bits ([{lo}, {hi}]).")
    codes = flat.astype(np.uint64) & np.uint64((1 << width) - 1)  # two's complement low bits
    bit_index = np.arange(width, dtype=np.uint64)
    bits = ((codes[:, None] >> bit_index) & np.uint64(1)).astype(np.uint8)
    return torch.from_numpy(np.packbits(bits.reshape(-1), bitorder="little"))


def unpack_bits(packed: torch.Tensor, shape: tuple[int, ...] | list[int], width: int,
                signed: bool = True) -> torch.Tensor:
    """The int64 tensor of `shape` that `pack_bits` stored in `packed`."""
    _check_width(width)
    shape = tuple(int(d) for d in shape)
    numel = int(np.prod(shape, dtype=np.int64))
    if packed.dtype != torch.uint8 or packed.dim() != 1:
        raise ValueError(f"unpack_bits needs a 1-d uint8 tensor, got {packed.dtype} "
                         f"{tuple(packed.shape)}.")
    if packed.numel() != packed_size(numel, width):
        raise ValueError(f"{packed.numel()} bytes cannot hold {numel} values of {width} bits "
                         f"(that takes {packed_size(numel, width)} bytes).")
    bits = np.unpackbits(packed.cpu().numpy(), count=numel * width, bitorder="little")
    weights = np.left_shift(np.int64(1), np.arange(width, dtype=np.int64))
    codes = bits.reshape(numel, width).astype(np.int64) @ weights
    if signed:
        codes = np.where(codes >= 1 << (width - 1), codes - (1 << width), codes)
    return torch.from_numpy(codes.astype(np.int64)).reshape(shape)
