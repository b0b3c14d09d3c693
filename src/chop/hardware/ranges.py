"""Exact integer arithmetic on Python ints for the hardware emitter: widths, ranges, digits.

Every value in the emitted design is an integer whose range [low, high] is known exactly (by
interval arithmetic from the input format and the integer weights). Its wire is the fewest
two's-complement bits holding that range (`signed_width`), so no bit is wasted and none is
missing: a narrower wire would wrap on some reachable value.
"""

from __future__ import annotations


def signed_width(low: int, high: int) -> int:
    """The fewest two's-complement bits holding every integer in [low, high] (at least 1)."""
    # A non-negative v needs v.bit_length() bits besides the sign; a negative one as many as
    # ~v = -v - 1 (the same count: -2**k needs k bits besides the sign).
    low, high = int(low), int(high)
    return 1 + max(low.bit_length() if low >= 0 else (~low).bit_length(),
                   high.bit_length() if high >= 0 else (~high).bit_length())


def varying_bits(low: int, high: int, zeros: int = 0) -> int:
    """How many bits of a two's-complement value in [low, high] whose `zeros` low bits are
    always 0 can take both values: the others are constants that synthesis removes (the sign of
    a non-negative value, the common high bits of a narrow range, the known-zero low bits)."""
    width = signed_width(low, high)
    return max(0, ((low ^ high) & ((1 << width) - 1)).bit_length() - zeros)


def trailing_zeros(value: int) -> int:
    """The known-zero low bits of a constant (a large count for 0, which has them all)."""
    return (value & -value).bit_length() - 1 if value else 1 << 16


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
