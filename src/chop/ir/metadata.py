"""`MaseMetadata`: what a graph node knows about itself, in three sections.

`node.meta["mase"]` holds one. Its `parameters` are `{"common": {}, "software": {}, "hardware": {}}`
and `meta["common"]` reads a section. `common` holds `mase_type`, `mase_op`, `args` and `results`
(each operand with `shape`, `torch_dtype`, `type`, `precision`); `software` holds what analyses
found (statistics); `hardware` what an accelerator generator needs (parallelism, parameters).
"""

from __future__ import annotations

SECTIONS = ("common", "software", "hardware")


class MaseMetadata:
    """The per-node metadata; a plain dict of three sections, indexable by section name."""

    __slots__ = ("parameters",)

    def __init__(self, parameters: dict | None = None):
        self.parameters = {section: {} for section in SECTIONS}
        if parameters:
            for section, value in parameters.items():
                if section not in SECTIONS:
                    raise KeyError(f"unknown metadata section {section!r}; sections are {SECTIONS}")
                self.parameters[section] = dict(value)

    def __getitem__(self, section: str) -> dict:
        return self.parameters[section]

    def __setitem__(self, section: str, value: dict) -> None:
        if section not in SECTIONS:
            raise KeyError(f"unknown metadata section {section!r}; sections are {SECTIONS}")
        self.parameters[section] = value

    def __contains__(self, section: object) -> bool:
        return section in self.parameters

    def __eq__(self, other: object) -> bool:
        return isinstance(other, MaseMetadata) and self.parameters == other.parameters

    def __repr__(self) -> str:
        common = self.parameters["common"]
        return f"MaseMetadata({common.get('mase_type')}/{common.get('mase_op')})"
