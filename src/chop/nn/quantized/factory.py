"""The one generic mechanism: a quantized module is its float module plus operand specs.

`quantized_class(nn.Linear, "integer")` builds (once, then cached) the class `LinearInteger`,
which subclasses both `QuantizedModule` and `nn.Linear`. So a quantized module:
  - is an instance of its float class (isinstance(m, nn.Linear) holds);
  - prints like it (`LinearInteger(in_features=16, out_features=5, bias=True)`);
  - has the same parameters, buffers and state_dict keys, so float checkpoints load into it and
    its checkpoints load into the float module;
  - quantizes its inputs, its parameters (once per forward) and, if configured, its output,
    then computes with the float op (see `ops.py`); gradients pass straight through (QAT).

`from_float(module, config)` returns a NEW quantized module: the float module is deep-copied
(parameters and buffers cloned, device and dtype kept), never changed. Generated classes are
importable by name: `chop.nn.quantized.LinearInteger` (see `class_by_name`).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from typing import Any, ClassVar

import torch
from torch import nn

from chop.config import is_na
from chop.errors import ConfigError, UnknownNameError, did_you_mean
from chop.nn.learned import record_cost
from chop.nn.masked import MaskedModule, masked_class, plain_float_class
from chop.nn.quantizers import FORMATS, NumberFormat, get_format
from chop.nn.quantized.ops import QUANTIZABLE, QuantizableOp, op_for_class
from chop.nn.quantized.specs import operand_specs
from chop.registry import Registry

PACKAGE = "chop.nn.quantized"

#: Class-name suffix of each built-in format; other formats get their name in CamelCase.
FORMAT_SUFFIXES = {
    "integer": "Integer", "minifloat_ieee": "MinifloatIEEE",
    "minifloat_denorm": "MinifloatDenorm", "log": "Log", "block_fp": "BlockFP",
    "binary": "Binary", "ternary": "Ternary", "mxint": "MXInt", "mxfp": "MXFP",
}  # fmt: skip

#: Generated classes by name, e.g. "LinearInteger".
QUANTIZED: Registry[type] = Registry("quantized module class")
_CLASSES: dict[tuple[type, str], type] = {}


def no_quantization(x: Any) -> Any:
    """The quantizer of an operand that is not quantized."""
    return x


def format_suffix(format_name: str) -> str:
    canonical = get_format(format_name).name
    return FORMAT_SUFFIXES.get(canonical) or "".join(
        part[:1].upper() + part[1:] for part in canonical.split("_"))


class QuantizedModule:
    """Mixin placed before the float class in every generated quantized class."""

    float_class: ClassVar[type[nn.Module]]
    format_name: ClassVar[str]
    op: ClassVar[QuantizableOp]

    q_config: dict[str, Any]
    specs: dict[str, NumberFormat]

    def attach_specs(self, specs: Mapping[str, NumberFormat], config: Mapping[str, Any]) -> None:
        """Set the operand specs (and the config they came from) used by `forward`."""
        self.q_config = dict(config)
        self.specs = dict(specs)
        learned = {operand: spec for operand, spec in self.specs.items() if isinstance(spec, nn.Module)}
        if learned:  # learned widths are parameters: registered, saved, trained
            self.learned = nn.ModuleDict(learned)
        elif "learned" in self._modules:
            del self._modules["learned"]
        self._learns = bool(learned)
        self._input_specs = tuple(self.specs.get(name) for name in self.op.inputs)
        self._parameter_specs = tuple((name, self.specs.get(name)) for name in self.op.parameters)
        self._output_spec = self.specs.get("data_out_0")

    # -- the quantizers users call --------------------------------------------------------------
    def quantizer(self, operand: str) -> Callable[[torch.Tensor], torch.Tensor]:
        """The spec of `operand` (callable: spec(x) quantizes), or the identity."""
        return self.specs.get(operand) or no_quantization

    @property
    def x_quantizer(self) -> Callable[[torch.Tensor], torch.Tensor]:
        return self.quantizer(self.op.inputs[0])

    @property
    def w_quantizer(self) -> Callable[[torch.Tensor], torch.Tensor]:
        return self.quantizer("weight")

    @property
    def b_quantizer(self) -> Callable[[torch.Tensor], torch.Tensor]:
        return self.quantizer("bias")

    @property
    def y_quantizer(self) -> Callable[[torch.Tensor], torch.Tensor]:
        return self.quantizer("data_out_0")

    # -- computation ----------------------------------------------------------------------------
    def forward(self, *inputs: Any, **kwargs: Any) -> Any:
        specs = self._input_specs
        if len(inputs) != len(specs):
            raise TypeError(f"{type(self).__name__} takes {len(specs)} input(s), "
                            f"got {len(inputs)}.")
        quantized = [quantize_input(spec, x, inputs) for spec, x in zip(specs, inputs)]
        compute = self.op.compute
        if compute is None:
            out = self.float_class.forward(self, *quantized, **kwargs)
            if self._learns:
                record_cost(self, specs, None, inputs, out)
        else:
            parameters = []
            for name, spec in self._parameter_specs:
                value = getattr(self, name)
                mask = self._buffers.get(name + "_mask")  # pruning's keep-mask (chop.nn.masked)
                if mask is not None and value is not None:
                    value = value * mask
                parameters.append(value if spec is None or value is None else spec(value))
            out = compute(self, *quantized, *parameters, **kwargs)
            if self._learns:
                weight = getattr(self, "weight", None)
                record_cost(self, (specs[0], self.specs.get("weight")), weight, inputs, out)
        return out if self._output_spec is None else self._output_spec(out)

    def extra_repr(self) -> str:
        if not self.op.show_specs:
            return self.float_class.extra_repr(self)
        return ", ".join(f"{operand}={spec}" for operand, spec in self.specs.items())

    # -- saving ---------------------------------------------------------------------------------
    def quant_state(self) -> dict[str, Any]:
        """JSON-able description: float class path, format, config and spec dicts."""
        return {
            "float_class": self.op.path,
            "format": self.format_name,
            "config": dict(self.q_config),
            "specs": {operand: spec.to_dict() for operand, spec in self.specs.items()},
        }


def quantize_input(spec: NumberFormat | None, x: Any, inputs: tuple) -> Any:
    """spec(x) for floating-point tensors; a Python number is a constant operand and is
    quantized as a tensor of the other inputs' dtype; integer tensors pass unchanged.

    Anything else (e.g. a torch.fx Proxy while tracing through the module) is an error rather
    than a silently unquantized operand: tracers must keep quantized modules as leaves.
    """
    if spec is None:
        return x
    if isinstance(x, torch.Tensor):
        return spec(x) if x.is_floating_point() else x
    if isinstance(x, (int, float)) and not isinstance(x, bool):
        like = next((t for t in inputs if isinstance(t, torch.Tensor)), None)
        if like is None or not like.is_floating_point():
            return x
        return spec(torch.tensor(float(x), dtype=like.dtype, device=like.device))
    raise TypeError(
        f"A quantized module got a {type(x).__name__} input; it quantizes tensors and numbers. "
        "(When tracing, declare QuantizedModule a leaf module.)"
    )


def quantized_class(float_class: type[nn.Module], format_name: str) -> type:
    """The quantized class of (float class, format), e.g. LinearInteger; built once."""
    op = op_for_class(float_class)
    canonical = get_format(format_name).name
    key = (float_class, canonical)
    if key not in _CLASSES:
        name = float_class.__name__ + format_suffix(canonical)
        cls = type(name, (QuantizedModule, float_class), {
            "__module__": PACKAGE,
            "__qualname__": name,
            "__doc__": f"{float_class.__name__} with {canonical} operands (chop.nn.quantized).",
            "float_class": float_class,
            "format_name": canonical,
            "op": op,
        })
        QUANTIZED.register(name, cls)
        _CLASSES[key] = cls
    return _CLASSES[key]


def class_by_name(name: str) -> type:
    """A generated class from its name, e.g. "Conv2dMinifloatIEEE" (built if needed)."""
    if name in QUANTIZED:
        return QUANTIZED.get(name)
    for format_name in sorted(FORMATS.names(), key=lambda n: -len(format_suffix(n))):
        suffix = format_suffix(format_name)
        prefix = name[: -len(suffix)]
        if name.endswith(suffix) and prefix in QUANTIZABLE:
            return quantized_class(QUANTIZABLE.get(prefix).float_class, format_name)
    known = [op + format_suffix(f) for op in QUANTIZABLE.names() for f in FORMAT_SUFFIXES]
    raise UnknownNameError(f"Unknown quantized module class '{name}'.{did_you_mean(name, known)}")


def from_float(module: nn.Module, config: Mapping[str, Any]) -> nn.Module:
    """A new quantized copy of `module` with operand specs read from the flat `config`.

    The copy has cloned parameters and buffers on the same device and dtype; `module` is not
    changed. A quantized module is re-quantized from its float class.
    """
    if not isinstance(module, nn.Module):
        raise ConfigError(f"from_float needs an nn.Module, got {type(module).__name__}.")
    if not isinstance(config, Mapping):
        raise ConfigError(f"A quantization config must be a dict, got {type(config).__name__}.")
    float_class = plain_float_class(module)  # also under pruning masks or an earlier format
    if is_na(config.get("name")):
        raise ConfigError(
            f"The quantization config of {float_class.__name__} has no format 'name'; give "
            "one (e.g. \"integer\") or leave the module unquantized."
        )
    cls = quantized_class(float_class, config["name"])
    specs = operand_specs(cls.op, module, config)
    return with_specs(module, cls, specs, config)


def with_specs(module: nn.Module, cls: type, specs: Mapping[str, NumberFormat],
               config: Mapping[str, Any]) -> nn.Module:
    """A deep copy of `module` turned into `cls` with `specs` attached."""
    quantized = copy.deepcopy(module)
    if isinstance(module, MaskedModule):  # a pruned layer stays pruned
        cls = masked_class(cls)
    quantized.__class__ = cls
    quantized.attach_specs(specs, config)
    return quantized
