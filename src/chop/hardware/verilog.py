"""A small writer of plain Verilog-2001 modules whose every wire has a known integer range.

`Signal` is one integer value of the design: either a constant, or a `wire signed` (or `reg
signed`) of exactly `signed_width(low, high)` bits. `ModuleWriter` declares signals, writes
expressions whose operands all have the width of their context (so `verilator -Wall` has no
width warnings), and records which bits of each signal something reads: the bits nothing reads
(the low bits a floor shift drops, a column of zero weights) are gathered in one `unused_ok`
wire, Verilator's convention for bits left unread on purpose, so lint stays clean.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from chop.hardware.ranges import signed_width, varying_bits

#: The logic a writer tallies besides its adders (see `ModuleWriter.tally`).
LOGIC_KINDS = ("adder_logic_bits", "adder_carry_cost", "cone_bits", "constant_adder_bits",
               "increment_bits", "multiplier_bits", "compare_bits", "mux_bits", "round_bits",
               "ff_bits", "levels")


@dataclass
class Signal:
    """An integer value: `name` is its wire (None for a constant), `low`/`high` its range."""

    name: str | None
    low: int
    high: int
    width: int = 0
    used: set[int] = field(default_factory=set)
    levels: int = 0  # additions on its deepest path since the module's input or a register
    zeros: int = 0  # low bits known to be 0 (a shifted copy, a sum of shifted copies)

    def __post_init__(self):
        if not self.width:
            self.width = signed_width(self.low, self.high)

    @property
    def constant(self) -> bool:
        return self.name is None

    @property
    def value(self) -> int:
        return self.low


def constant(value: int) -> Signal:
    return Signal(None, value, value)


def literal(value: int, width: int) -> str:
    """A signed sized literal holding `value` in `width` two's-complement bits."""
    return f"{width}'sh{value & ((1 << width) - 1):x}"


class ModuleWriter:
    """The ports, declarations and assignments of one module."""

    def __init__(self, name: str):
        self.name = name
        self.ports: list[str] = []
        self.body: list[str] = []
        self.signals: list[Signal] = []
        self._names: set[str] = set()
        self.adders = 0  # two-operand additions/subtractions written, and their total width:
        self.adder_bits = 0  # the raw figures of a resource estimate
        self.multipliers = 0
        #: Bits of each kind of logic written that synthesis cannot remove (adders without
        #: their constant and pass-through bits, multipliers, comparators, muxes, rounding,
        #: flip-flops) and the most adder levels on one path: what `chop.hardware.estimate`
        #: prices.
        self.tally: dict[str, int] = dict.fromkeys(LOGIC_KINDS, 0)

    def count_adder(self, width: int, logic_bits: int, kind: str = "adder_logic_bits") -> None:
        """An adder `width` bits wide whose `logic_bits` bits need logic (the others are
        constants or copies of one operand); `kind`: of two signals, of a signal and a
        constant, or an increment."""
        self.adders += 1
        self.adder_bits += width
        self.tally[kind] += logic_bits
        if kind == "adder_logic_bits":  # wide adders cost more LUTs per bit: n log2 n fits
            self.tally["adder_carry_cost"] += round(logic_bits * math.log2(max(logic_bits, 2)), 3)

    def count(self, kind: str, bits: int) -> None:
        self.tally[kind] += bits

    def count_levels(self, levels: int) -> None:
        """An adder chain `levels` additions deep from the module's inputs or a register."""
        self.tally["levels"] = max(self.tally["levels"], levels)

    # -- names and declarations ---------------------------------------------------------------
    def fresh(self, base: str) -> str:
        name, n = base, 1
        while name in self._names:
            name, n = f"{base}_{n}", n + 1
        self._names.add(name)
        return name

    def port(self, direction: str, name: str, width: int, bus: bool = False) -> str:
        """Declare a port; a `bus` is always a vector, even of one bit, since its elements are
        selected by index (`x[0]` of a scalar is an error in iverilog)."""
        self._names.add(name)
        bits = f"[{width - 1}:0] " if width > 1 or bus else ""
        self.ports.append(f"{direction} wire {bits}{name}")
        return name

    def track(self, signal: Signal) -> Signal:
        self.signals.append(signal)
        return signal

    def wire(self, base: str, low: int, high: int, expression: str,
             width: int | None = None, levels: int = 0, zeros: int = 0) -> Signal:
        """A new signed wire of range [low, high] assigned `expression` (of its width), with
        `levels` additions on its deepest path and `zeros` low bits known to be 0."""
        signal = Signal(self.fresh(base), low, high, width or 0, levels=levels, zeros=zeros)
        self.body.append(f"wire signed [{signal.width - 1}:0] {signal.name};")
        self.body.append(f"assign {signal.name} = {expression};")
        return self.track(signal)

    def register(self, base: str, source: Signal) -> Signal:
        """`source` delayed by one clock (constants need no register)."""
        if source.constant:
            return source
        signal = Signal(self.fresh(base), source.low, source.high, source.width,
                        zeros=source.zeros)
        self.count("ff_bits", varying_bits(source.low, source.high, source.zeros))
        self.count_levels(source.levels)
        self.body.append(f"reg signed [{signal.width - 1}:0] {signal.name};")
        self.body.append(f"always @(posedge clk) {signal.name} <= {self.bits(source)};")
        return self.track(signal)

    # -- expressions (each marks the bits it reads) -------------------------------------------
    def bits(self, signal: Signal, msb: int | None = None, lsb: int = 0) -> str:
        """`signal[msb:lsb]` (the whole signal by default)."""
        msb = signal.width - 1 if msb is None else msb
        signal.used.update(range(lsb, msb + 1))
        if lsb == 0 and msb == signal.width - 1:
            return signal.name
        return f"{signal.name}[{msb}]" if msb == lsb else f"{signal.name}[{msb}:{lsb}]"

    def resized(self, signal: Signal, width: int) -> str:
        """An expression of `width` bits with the value of `signal`: sign-extended, or the low
        bits when the value's range fits in `width` (or in a context that wraps modulo
        2**width, such as an adder whose exact result fits)."""
        if signal.constant:
            return literal(signal.value, width)
        if width <= signal.width:
            return self.bits(signal, width - 1)
        extra = width - signal.width
        sign = self.bits(signal, signal.width - 1, signal.width - 1)
        fill = sign if extra == 1 else f"{{{extra}{{{sign}}}}}"
        return f"{{{fill}, {self.bits(signal)}}}"

    def unsigned(self, signal: Signal, width: int) -> str:
        """`width` plain bits of a value known to be >= 0 (its sign bit is not read)."""
        if signal.constant:
            return f"{width}'h{signal.value:x}"
        magnitude = signal.width - 1
        if magnitude == 0:
            return f"{width}'h0"
        if magnitude >= width:
            return self.bits(signal, width - 1)
        pad = width - magnitude
        return f"{{{pad}'h0, {self.bits(signal, magnitude - 1)}}}"

    # -- the module's text ---------------------------------------------------------------------
    def unread_bits(self) -> list[str]:
        parts = []
        for signal in self.signals:
            if signal.constant:
                continue
            for bit in range(signal.width):
                if bit not in signal.used:
                    parts.append(f"{signal.name}[{bit}]" if signal.width > 1 else signal.name)
        return parts

    def text(self, header: str = "") -> str:
        lines = [header] if header else []
        lines.append(f"module {self.name} (")
        lines.append(",\n".join(f"  {p}" for p in self.ports))
        lines.append(");")
        lines += [f"  {line}" for line in self.body]
        unread = self.unread_bits()
        if unread:
            lines.append("  // Bits nothing reads (dropped by a shift, or multiplied by zero).")
            lines.append("  wire unused_ok;")
            lines.append(f"  assign unused_ok = &{{1'b0, {', '.join(unread)}}};")
        lines.append("endmodule")
        return "\n".join(lines) + "\n"
