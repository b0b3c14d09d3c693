"""Exact integer arithmetic on Python ints for the hardware emitter: widths, ranges, digits.

Every value in the emitted design is an integer whose range [low, high] is known exactly (by
interval arithmetic from the input format and the integer weights). Its wire is the fewest
two's-complement bits holding that range (`signed_width`), so no bit is wasted and none is
missing: a narrower wire would wrap on some reachable value.
"""

from __future__ import annotations


def signed_width(low: int, high: int) -> int:
    """The fewest two's-complement bits holding every integer in [low, high] (at least 1)."""
    width = 1
    while not (-(1 << (width - 1)) <= low and high <= (1 << (width - 1)) - 1):
        width += 1
    return width


def unsigned_width(high: int) -> int:
    """The fewest plain bits holding every integer in [0, high] (at least 1)."""
    return max(1, int(high).bit_length())


def shift_round(value: int, shift: int, rounding: str) -> int:
    """`value * 2**shift` rounded to an integer: exact for shift >= 0, else a rounding right
    shift (round half to even, or floor), the same arithmetic as `chop.export.arith`."""
    if shift >= 0:
        return value << shift
    s = -shift
    floor = value >> s
    if rounding == "floor":
        return floor
    remainder = value - (floor << s)
    half = 1 << (s - 1)
    return floor + (1 if remainder > half or (remainder == half and floor & 1) else 0)


def term_range(coef: int, low: int, high: int) -> tuple[int, int]:
    """The range of coef * x for x in [low, high]."""
    a, b = coef * low, coef * high
    return min(a, b), max(a, b)


def linear_range(coefs: dict[int, int], ranges: list[tuple[int, int]],
                 constant: int = 0) -> tuple[int, int]:
    """The exact range of constant + sum(coef_i * x_i) over independent x_i in ranges[i]."""
    low = high = constant
    for index, coef in coefs.items():
        a, b = term_range(coef, *ranges[index])
        low, high = low + a, high + b
    return low, high


def csd_digits(value: int) -> list[tuple[int, int]]:
    """The canonical signed-digit form of `value`: [(sign, shift)] with value = sum(sign << shift),
    no two adjacent non-zero digits, so the fewest additions of shifted copies."""
    digits = []
    shift = 0
    while value:
        if value & 1:
            digit = 2 - (value & 3)  # +1 if value % 4 == 1, -1 if value % 4 == 3
            digits.append((digit, shift))
            value -= digit
        value >>= 1
        shift += 1
    return digits
