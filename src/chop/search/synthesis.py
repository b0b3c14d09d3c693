"""yosys on the final trials of a search: `[hardware] synth_pareto = true`.

The trials are scored per trial by `chop.hardware.estimate` (milliseconds); at the end, the
Pareto set (or the best trial of a weighted sum) is rebuilt, emitted and synthesized with the
`ch synth` flow, and each trial's yosys figures are reported beside the estimate it was scored
on, in `search_ckpts/synthesis/` and `best.json`. A trial yosys cannot finish (time limit, tool
missing) gets its reason, not a crash.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from chop.errors import ChopError

log = logging.getLogger(__name__)


def synthesize_trials(runner, records: list[dict], directory: Path) -> list[dict[str, Any]]:
    """For each trial record (point, seed): estimate and yosys figures of its design."""
    from chop.export import export_integer
    from chop.hardware import emit_design
    from chop.hardware.estimate import estimate_design
    from chop.hardware.files import read_manifest, write_design
    from chop.hardware.synth import synthesize

    options = runner.settings.hardware
    shape = runner.dataset.info.input_shape
    results = []
    for record in records:
        entry: dict[str, Any] = {"number": record["number"]}
        folder = Path(directory) / f"trial_{record['number']}"
        try:
            _, mg = runner.run(record["point"], record["seed"])
            design = emit_design(export_integer(mg, on_inexact="warn"), options, shape)
            estimate = estimate_design(design.manifest, options)
            entry["estimate"] = {"luts": estimate["total"]["luts"], "ffs": estimate["total"]["ffs"],
                                 "logic_depth": estimate["critical_depth"],
                                 "latency_ns": estimate["latency_ns_estimate"]}
            write_design(design, folder / "rtl")
            report = synthesize(folder / "rtl", read_manifest(folder / "rtl"), options, folder / "synth")
            entry["yosys"] = {"luts": report["total"]["luts"], "ffs": report["total"]["ffs"],
                              "logic_depth": report["critical_depth"],
                              "latency_ns": report["latency_ns_estimate"], "version": report["yosys"],
                              "cpu_seconds": report["cpu_seconds"]}
            entry["rtl_dir"] = str(folder / "rtl")
            log.info("Trial %d: %d LUTs estimated, %d in yosys.", record["number"],
                     entry["estimate"]["luts"], entry["yosys"]["luts"])
        except ChopError as exc:
            entry["error"] = str(exc).splitlines()[0]
            log.warning("Trial %d not synthesized: %s", record["number"], entry["error"])
        results.append(entry)
    return results
