"""The quantization space: number format, widths and fractional widths per op type or per layer.

    [search.search_space.quantize]
    by = "name"            # "type": one choice per op type; "name": one per layer (mixed precision)
    ops = ["linear"]       # the op types searched (by = "name": every layer of these types)
    [search.search_space.quantize.default.config]
    name = ["integer"]
    data_in_width = [4, 8]
    data_in_frac_width = [2, 4]
    weight_width = [2, 4, 8]
    weight_frac_width = [1, 2, 4]
    bias_width = 8
    bias_frac_width = 4
    [search.search_space.quantize.seq_blocks_2.config]   # optional: other choices for one layer

A trial's configs become one `quantize` pass (`by` as given). A point is rejected before it runs
when the number format refuses its values: the same check the quantize pass runs on its
arguments (`check_format_config`), so a config is valid in a search exactly when it is valid in
`[passes.quantize]`. `frac_le_width` (default true) further narrows the searched values to
fractional widths no larger than their widths: a choice about where to look, not a validity rule.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chop.config import is_na
from chop.errors import ConfigError, did_you_mean
from chop.ir.taxonomy import known_ops
from chop.nn.quantized.specs import check_config_keys
from chop.nn.quantizers import FORMATS
from chop.passes.graph.transforms.quantize.check import check_format_config
from chop.passes.select import NodeSelector
from chop.search.space import PassSpace, SearchSpace, SpaceContext, register_space, resolve

CONTROL = ("by", "ops", "default", "frac_le_width")


def _table_config(where: str, entry: Any) -> Mapping[str, Any]:
    if not isinstance(entry, Mapping) or set(entry) != {"config"} or not isinstance(entry["config"], Mapping):
        raise ConfigError(f"[search.search_space.quantize] '{where}' must be a table with one table "
                          f"'config', e.g. [search.search_space.quantize.{where}.config].")
    return entry["config"]


def _check_keys_and_formats(where: str, config: Mapping[str, Any]) -> None:
    """Every format named exists and every key is one it knows (fixed when the TOML is read)."""
    names = config.get("name")
    for name in names if isinstance(names, list) else [names]:
        if is_na(name):
            continue
        if name not in FORMATS:
            raise ConfigError(f"[search.search_space.quantize] {where}: unknown number format '{name}'."
                              f"{did_you_mean(str(name), FORMATS.names())}")
        check_config_keys({k: 0 for k in config} | {"name": name})


@register_space
class QuantizeSpace(PassSpace):
    kind, pass_name, order = "quantize", "quantize", 20

    def __init__(self, table: Mapping[str, Any], ctx: SpaceContext):
        SearchSpace.__init__(self, table, ctx)  # its own table reading, not PassSpace's
        by = table.get("by", "type")
        if by not in ("type", "name"):
            raise ConfigError(f"[search.search_space.quantize] by must be 'type' or 'name', got {by!r}.")
        if by == "name" and ctx.searches_architecture:
            raise ConfigError("[search.search_space.quantize] by = 'name' needs fixed layer names; with an "
                              "architecture search, quantize by = 'type'.")
        ops = table.get("ops", ["linear"])
        if isinstance(ops, str):
            ops = [ops]
        self.by, self.frac_le_width = by, bool(table.get("frac_le_width", True))
        entries = {k: _table_config(k, v) for k, v in table.items() if k not in CONTROL}
        if "default" in table:
            default = _table_config("default", table["default"])
        elif not entries:
            raise ConfigError("[search.search_space.quantize] needs choices: add "
                              "[search.search_space.quantize.default.config].")
        else:
            default = None
        targets = self._targets(by, ops, entries, ctx)
        self.configs: dict[str, dict] = {}
        for target in targets:
            config = entries.get(target, default)
            if config is None:
                continue
            _check_keys_and_formats(target, config)
            self.configs[target] = {key: self.value(target, key, raw) for key, raw in config.items()}
        if not self.configs:
            raise ConfigError(f"[search.search_space.quantize] selects no layer (by = {by!r}, ops = {ops}).")

    @staticmethod
    def _targets(by: str, ops: list[str], entries: Mapping[str, Any], ctx: SpaceContext) -> list[str]:
        if by == "type":
            for key in [*ops, *entries]:
                if key not in known_ops():
                    raise ConfigError(f"[search.search_space.quantize] '{key}' is not an op type."
                                      f"{did_you_mean(key, known_ops())}")
            return list(dict.fromkeys([*ops, *entries]))
        names = [name for name, _ in ctx.nodes]
        for key in entries:
            if key not in names:
                raise ConfigError(f"[search.search_space.quantize] the model has no layer '{key}'."
                                  f"{did_you_mean(key, names)}")
        return [name for name, _ in NodeSelector("name_or_type", (*ops, *entries)).select(ctx.nodes)]

    def reject(self, point: Mapping[str, Any]) -> str | None:
        for target, config in self.configs.items():
            config = resolve(config, point)
            if config.get("name") is None:
                continue
            for key, frac in config.items():
                width = config.get(key.removesuffix("frac_width") + "width") if key.endswith("_frac_width") else None
                if self.frac_le_width and isinstance(frac, int) and isinstance(width, int) and frac > width:
                    return (f"{target}.{key}={frac} exceeds {key.removesuffix('frac_width')}width={width} "
                            f"(frac_le_width = true keeps the search to frac_width <= width)")
            try:
                check_format_config(config)
            except ConfigError as exc:
                return f"{target}: {exc}"
        return None

    def pass_args(self, point: Mapping[str, Any]) -> dict | None:
        args: dict[str, Any] = {"by": self.by, "default": {"config": {"name": None}}}
        for target, config in self.configs.items():
            args[target] = {"config": resolve(config, point)}
        return args
