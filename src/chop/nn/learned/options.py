"""The quantization-config keys of learned fixed point, and turning an operand's spec into a learner.

    [passes.quantize.default.config]
    name = "integer"
    data_in_width = 8
    data_in_frac_width = "learned"   # trained, starting where "auto" calibration puts it
    weight_width = 8
    weight_frac_width = "learned"
    bias_width = 8
    bias_frac_width = 8              # a plain operand beside learned ones
    learn_widths = true              # learn the widths too, starting from the given ones
    bitops_penalty = 0.002           # loss += bitops_penalty * BitOPs / MACs
    learned_lr = 0.05                # the widths' learning rate (about bits per step with Adam;
                                     # default 0.05 with learn_widths, else 0.01)

The quantize pass resolves "learned" like "auto" (a calibrated integer start) and records which
operands learn under the key `learned` (e.g. ["data_in", "weight"]), so that a recipe replays them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chop.errors import ConfigError
from chop.nn.learned.fixed import LearnedFixedPoint
from chop.nn.quantizers.integer import IntegerFormat

LEARNED = "learned"
#: Config keys of learned quantization (beside the format's own fields).
LEARN_KEYS = ("learned", "learn_widths", "bitops_penalty", "learned_lr")
LEARN_DEFAULTS = {"learn_widths": False, "bitops_penalty": 0.0, "learned_lr": None}


def learned_frac_operands(config: Mapping[str, Any]) -> list[str]:
    """Operands whose fractional width is "learned" in `config` (before resolution)."""
    return [key[: -len("_frac_width")] for key, value in config.items()
            if isinstance(key, str) and key.endswith("_frac_width") and value == LEARNED]


def check_learn_options(config: Mapping[str, Any], where: str = "") -> None:
    """A ConfigError naming the key when the learned-quantization keys of `config` are invalid."""
    used = learned_frac_operands(config) or config.get("learned")
    present = [key for key in LEARN_KEYS if key in config]
    if not used:
        if present:
            raise ConfigError(f"{where}{present[0]} is set but no operand learns: set e.g. "
                              "weight_frac_width = \"learned\".")
        return
    if config.get("name") not in ("integer", "fixed"):
        raise ConfigError(f"{where}a \"learned\" frac width needs name = \"integer\" (fixed point), "
                          f"not {config.get('name')!r}.")
    if not isinstance(config.get("learn_widths", False), bool):
        raise ConfigError(f"{where}learn_widths={config['learn_widths']!r} must be true or false.")
    for key, positive in (("bitops_penalty", False), ("learned_lr", True)):
        value = config.get(key, LEARN_DEFAULTS[key])
        if value is None and key == "learned_lr":
            continue
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value \
                or value < 0 or (positive and value == 0):
            need = "a positive number" if positive else "a number >= 0"
            raise ConfigError(f"{where}{key}={value!r} must be {need}.")
    recorded = config.get("learned")
    if recorded is not None and not (isinstance(recorded, list)
                                     and all(isinstance(op, str) for op in recorded)):
        raise ConfigError(f"{where}learned={recorded!r} must be a list of operand names.")


def operand_learns(config: Mapping[str, Any], operand: str) -> bool:
    """Whether `operand` (a metadata name: data_in_0, weight, bias, data_out_0) learns."""
    learned = config.get("learned") or []
    if operand in learned:
        return True
    if operand.startswith("data_in_"):
        return "data_in" in learned
    return operand == "data_out_0" and "data_out" in learned


def learner(spec: Any, config: Mapping[str, Any], operand: str) -> Any:
    """`spec`, or a `LearnedFixedPoint` starting at it when `operand` learns in `config`."""
    if spec is None or not operand_learns(config, operand):
        return spec
    if not isinstance(spec, IntegerFormat):
        raise ConfigError(f"{operand} learns its widths but its format is {spec}; learned "
                          "quantization needs name = \"integer\".")
    options = {key: config.get(key, default) for key, default in LEARN_DEFAULTS.items()}
    rate = options["learned_lr"]
    return LearnedFixedPoint(spec, learn_width=bool(options["learn_widths"]),
                             bitops_penalty=float(options["bitops_penalty"]),
                             learned_lr=None if rate is None else float(rate))
