"""Reference grids and rounding in numpy, written from the format definitions (every code of a
format decoded into its value), independent of the torch implementation under test."""

from __future__ import annotations

import math

import numpy as np


def integer_grid(width: int, frac_width: int, signed: bool = True) -> np.ndarray:
    lo, hi = (-(2 ** (width - 1)), 2 ** (width - 1) - 1) if signed else (0, 2**width - 1)
    return np.arange(lo, hi + 1, dtype=np.float64) * 2.0**-frac_width


def _signed(magnitudes) -> np.ndarray:
    mags = np.unique(np.asarray(list(magnitudes), dtype=np.float64))
    return np.unique(np.concatenate([-mags, mags]))


def minifloat_ieee_grid(width: int, exponent_width: int, bias: int,
                        drop_top_codes: int = 0, drop_top_exponent: bool = False) -> np.ndarray:
    """All values of sign/exponent/mantissa codes, IEEE style (implicit one, code 0 subnormal).

    `drop_top_codes` removes that many of the largest magnitude codes (E4M3's NaN code);
    `drop_top_exponent` removes the whole top exponent (E5M2's inf/NaN codes).
    """
    m = width - 1 - exponent_width
    codes = []
    for c in range(2**exponent_width):
        if drop_top_exponent and c == 2**exponent_width - 1:
            continue
        for k in range(2**m):
            if c == 0:
                codes.append(k / 2**m * 2.0 ** (1 - bias))
            else:
                codes.append((1 + k / 2**m) * 2.0 ** (c - bias))
    if drop_top_codes:
        codes = codes[:-drop_top_codes]
    return _signed(codes)


def minifloat_denorm_grid(width: int, exponent_width: int, bias: int) -> np.ndarray:
    """value = k / 2**m * 2**(c - bias) for every exponent code c and mantissa code k."""
    m = width - 1 - exponent_width
    return _signed(k / 2**m * 2.0 ** (c - bias)
                   for c in range(2**exponent_width) for k in range(2**m))


def log_grid(width: int, bias: int) -> np.ndarray:
    return _signed([0.0] + [2.0 ** (c - bias) for c in range(1, 2 ** (width - 1))])


def round_to_grid(x, grid: np.ndarray) -> np.ndarray:
    """Nearest grid value; a tie goes to the neighbour that is an even multiple of the spacing
    between the two neighbours (ties to even); outside the grid: the nearest end (saturation)."""
    x = np.asarray(x, dtype=np.float64)
    idx = np.searchsorted(grid, x)
    below = grid[np.clip(idx - 1, 0, len(grid) - 1)]
    above = grid[np.clip(idx, 0, len(grid) - 1)]
    d_below, d_above = x - below, above - x
    spacing = np.where(above > below, above - below, 1.0)
    below_is_even = np.mod(np.round(below / spacing), 2) == 0
    pick_below = (d_below < d_above) | ((d_below == d_above) & below_is_even)
    return np.where(pick_below, below, above)


def floor_to_grid(x, grid: np.ndarray) -> np.ndarray:
    """Largest grid value <= x, or the smallest grid value."""
    x = np.asarray(x, dtype=np.float64)
    idx = np.searchsorted(grid, x, side="right") - 1
    return grid[np.clip(idx, 0, len(grid) - 1)]


def round_log(x, width: int, bias: int) -> np.ndarray:
    """0 or ±2**round(log2|x|), saturating; 0 where the rounded power is below the lowest."""
    x = np.asarray(x, dtype=np.float64)
    lo, hi = 1 - bias, 2 ** (width - 1) - 1 - bias
    with np.errstate(divide="ignore"):
        k = np.round(np.log2(np.abs(x)))
    out = np.sign(x) * 2.0 ** np.clip(k, lo, hi)
    return np.where((x != 0) & (k >= lo), out, 0.0)


def block_scaled(x: np.ndarray, block_size: int, offset: int, smin: int, smax: int,
                 element_grid: np.ndarray) -> np.ndarray:
    """Blocks along the last axis (a Python loop over blocks), scale 2**X with
    X = clamp(floor(log2 max|block|) - offset, smin, smax), elements rounded on element_grid."""
    x = np.asarray(x, dtype=np.float64)
    flat = x.reshape(-1, x.shape[-1]) if x.ndim else x.reshape(1, 1)
    out = np.zeros_like(flat)
    for row in range(flat.shape[0]):
        for start in range(0, flat.shape[1], block_size):
            block = flat[row, start:start + block_size]
            amax = np.abs(block).max()
            shared = math.frexp(amax)[1] - 1 if amax > 0 else smin
            scale = min(max(shared - offset, smin), smax)
            out[row, start:start + block_size] = round_to_grid(block / 2.0**scale,
                                                               element_grid) * 2.0**scale
    return out.reshape(x.shape)


def symmetric_fixed_elements(width: int) -> np.ndarray:
    """k / 2**(width-2), |k| <= 2**(width-1) - 1."""
    limit = 2 ** (width - 1) - 1
    return np.arange(-limit, limit + 1, dtype=np.float64) / 2.0 ** (width - 2)


def block_ids(shape: tuple[int, ...], block_size, dims) -> np.ndarray:
    """Per element of a tensor of `shape`, the id of its block: the blocked axis is `dims`
    (default: the last) flattened in order, rows are the other dims; a block is r rows by c
    elements of the blocked axis (block_size an int c, or [r, c]). Index arithmetic only."""
    shape = tuple(shape) or (1,)
    ndim = len(shape)
    blocked = [ndim - 1] if dims is None else [d % ndim for d in dims]
    rows = [d for d in range(ndim) if d not in blocked]
    r, c = (1, block_size) if isinstance(block_size, int) else tuple(block_size)
    n_cols = math.prod(shape[d] for d in blocked)
    index = np.indices(shape)
    row = (np.ravel_multi_index([index[d] for d in rows], [shape[d] for d in rows])
           if rows else np.zeros(shape, dtype=np.int64))
    col = np.ravel_multi_index([index[d] for d in blocked], [shape[d] for d in blocked])
    return (row // r) * (n_cols // c + 1) + col // c


def block_scaled_nd(x: np.ndarray, block_size, dims, offset: int, smin: int, smax: int,
                    round_elements, block_exponent=None) -> np.ndarray:
    """Block-scaled quantization from the definition, block by block (see `block_ids`):
    X = clamp(block_exponent(max|block|) - offset, smin, smax) (floor(log2) by default; an
    all-zero or all-NaN block gets smin), elements round_elements(x / 2**X) * 2**X; NaN stays NaN
    and plays no part in a block's maximum."""
    x = np.asarray(x, dtype=np.float64)
    ids = block_ids(x.shape, block_size, dims).ravel()
    flat = x.ravel()
    out = np.empty_like(flat)
    order = np.argsort(ids, kind="stable")
    starts = np.flatnonzero(np.r_[True, np.diff(ids[order]) != 0])
    for where in np.split(order, starts[1:]):
        values = flat[where]
        finite = np.abs(values[~np.isnan(values)])
        amax = finite.max() if finite.size else 0.0
        if amax > 0:
            shared = (math.frexp(amax)[1] - 1) if block_exponent is None else block_exponent(amax)
        else:
            shared = smin + offset
        scale = min(max(shared - offset, smin, -127), smax, 127)
        quantized = round_elements(values / 2.0**scale) * 2.0**scale
        out[where] = np.where(np.isnan(values), np.nan, quantized)
    return out.reshape(x.shape)
