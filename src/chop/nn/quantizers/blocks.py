"""Which elements share a scale in the block formats (block_fp, mxint, mxfp, block_minifloat,
block_log): the block layout.

Two fields of those formats say it:
  block_dims  the dims that are flattened, in order, into the *blocked axis*; the other dims
              index the rows. None (the default) means the last dim. A dot product's
              reduction is what a block should run along, so the quantize pass fills it in per
              operand: a `[Cout, Cin, kH, kW]` conv weight blocks along (-3, -2, -1), i.e.
              Cin*kH*kW; an `(N, C, H, W)` conv input along its channels (-3,); the second
              operand of a matmul/bmm along its rows (-2,); a Linear along its last dim.
              A vector (a 1-D tensor) has one dim and blocks along it whatever block_dims
              names: matmul's 1-D operands reduce along it on either side.
  block_size  an int n: n consecutive elements of the blocked axis; or a 2-D shape [r, c]
              (MASE's, e.g. [1, 16]): r rows by c elements of the blocked axis ([1, c] is
              stored as c).

The tensor is viewed as a matrix (rows, K), K the size of the blocked axis; rows and K are
zero-padded to whole blocks (padding never changes a block's largest magnitude) and the blocks
come out as (..., n_blocks, elements_per_block). `from_blocks` undoes it exactly.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import torch

from chop.errors import ConfigError

MAX_BLOCK_SIZE = 1 << 16


class BlockShape(NamedTuple):
    rows: int
    cols: int


def check_block_fields(spec: Any) -> None:
    """Validate `spec.block_size` and `spec.block_dims`, storing lists as tuples (hashable)."""
    size = spec.block_size
    if isinstance(size, list):
        size = tuple(size)
    if isinstance(size, tuple):
        if not 1 <= len(size) <= 2 or not all(_is_int(n) and n >= 1 for n in size):
            raise ConfigError(f"{spec.name}: block_size={list(size)} must be a positive integer or a "
                              "[rows, columns] pair of positive integers (e.g. [1, 16]).")
        size = size[-1] if len(size) == 1 or size[0] == 1 else size  # [1, c] is c
    elif not _is_int(size) or size < 1:
        raise ConfigError(f"{spec.name}: block_size={size!r} must be a positive integer or a "
                          "[rows, columns] pair (e.g. [1, 16]).")
    if math.prod(size if isinstance(size, tuple) else (size,)) > MAX_BLOCK_SIZE:
        raise ConfigError(f"{spec.name}: block_size={size} has more than {MAX_BLOCK_SIZE} elements.")
    object.__setattr__(spec, "block_size", size)

    dims = spec.block_dims
    if dims is None:
        return
    if isinstance(dims, int) and not isinstance(dims, bool):
        dims = (dims,)
    if not isinstance(dims, (list, tuple)) or not dims or not all(_is_int(d) for d in dims):
        raise ConfigError(f"{spec.name}: block_dims={dims!r} must be a list of dims (e.g. [-1] or "
                          "[1, 2, 3]), or left out for the last dim.")
    object.__setattr__(spec, "block_dims", tuple(dims))


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def block_shape(block_size: int | tuple[int, int]) -> BlockShape:
    if isinstance(block_size, tuple):
        return BlockShape(*block_size)
    return BlockShape(1, block_size)


def elements_per_block(block_size: int | tuple[int, int]) -> int:
    rows, cols = block_shape(block_size)
    return rows * cols


def _split_dims(shape: tuple[int, ...], dims: tuple[int, ...] | None) -> tuple[list[int], list[int]]:
    """(row dims, blocked dims) as non-negative indices of a tensor of `shape`."""
    ndim = max(len(shape), 1)
    if dims is None or ndim == 1:
        blocked = [ndim - 1]
    else:
        if any(not -ndim <= d < ndim for d in dims):
            raise ConfigError(f"block_dims={list(dims)} do not exist in a tensor of shape "
                              f"{list(shape)}.")
        blocked = [d % ndim for d in dims]
        if len(set(blocked)) != len(blocked):
            raise ConfigError(f"block_dims={list(dims)} name a dim twice.")
    rows = [d for d in range(ndim) if d not in blocked]
    return rows, blocked


def block_count(shape: tuple[int, ...] | list[int], block_size: int | tuple[int, int],
                dims: tuple[int, ...] | None) -> int:
    """How many blocks (shared scales) a tensor of `shape` has."""
    shape = tuple(shape) or (1,)
    row_dims, blocked = _split_dims(shape, dims)
    rows = math.prod(shape[d] for d in row_dims)
    cols = math.prod(shape[d] for d in blocked)
    r, c = block_shape(block_size)
    return math.ceil(rows / r) * math.ceil(cols / c)


class _Layout(NamedTuple):
    shape: torch.Size
    permutation: list[int] | None
    permuted_shape: torch.Size
    rows: int
    cols: int
    block: BlockShape


def to_blocks(x: torch.Tensor, block_size: int | tuple[int, int],
              dims: tuple[int, ...] | None) -> tuple[torch.Tensor, _Layout]:
    """x as (..., n_blocks, elements_per_block) blocks (zero-padded), and how to undo it."""
    shape = x.shape
    if x.dim() == 0:
        x = x.reshape(1)
    row_dims, blocked = _split_dims(tuple(x.shape), dims)
    permutation = row_dims + blocked
    if permutation != list(range(x.dim())):
        x = x.permute(permutation)
    else:
        permutation = None
    permuted_shape = x.shape
    cols = math.prod(x.shape[len(row_dims):])
    rows = x.numel() // cols if cols else 0
    block = block_shape(block_size)
    matrix = x.reshape(rows, cols)
    pad_rows, pad_cols = (-rows) % block.rows, (-cols) % block.cols
    if pad_rows or pad_cols:
        matrix = torch.nn.functional.pad(matrix, (0, pad_cols, 0, pad_rows))
    if block.rows == 1:
        blocks = matrix.reshape(matrix.shape[0], -1, block.cols)
    else:
        blocks = (matrix.reshape(-1, block.rows, matrix.shape[1] // block.cols, block.cols)
                  .transpose(1, 2).reshape(-1, matrix.shape[1] // block.cols,
                                           block.rows * block.cols))
    return blocks, _Layout(shape, permutation, permuted_shape, rows, cols, block)


def from_blocks(blocks: torch.Tensor, layout: _Layout) -> torch.Tensor:
    """Undo `to_blocks` (the blocks may hold new values of the same layout)."""
    block = layout.block
    if block.rows == 1:
        matrix = blocks.reshape(blocks.shape[0], -1)
    else:
        n_col_blocks = blocks.shape[1]
        matrix = (blocks.reshape(-1, n_col_blocks, block.rows, block.cols).transpose(1, 2)
                  .reshape(-1, n_col_blocks * block.cols))
    matrix = matrix[: layout.rows, : layout.cols]
    x = matrix.reshape(layout.permuted_shape)
    if layout.permutation is not None:
        inverse = [0] * len(layout.permutation)
        for position, dim in enumerate(layout.permutation):
            inverse[dim] = position
        x = x.permute(inverse)
    return x.reshape(layout.shape)
