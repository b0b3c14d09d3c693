"""An RTL folder on disk: `<name>.v` per module and `manifest.json`; written without losing an
earlier one (it is moved to `previous/<time>/` first)."""

from __future__ import annotations

import json
import logging
import shutil
import time
from pathlib import Path

from chop.errors import CheckpointError
from chop.hardware.emit import MANIFEST_FORMAT, MANIFEST_VERSION, Design

logger = logging.getLogger(__name__)
MANIFEST = "manifest.json"


def write_design(design: Design, rtl_dir: str | Path) -> Path:
    """Write the design's files and manifest into `rtl_dir`; returns the manifest's path."""
    rtl_dir = Path(rtl_dir)
    if rtl_dir.exists() and any(rtl_dir.iterdir()):
        stamp = time.strftime("%Y%m%d-%H%M%S")
        dest = rtl_dir.parent / "previous" / stamp
        n = 1
        while dest.exists():
            dest, n = rtl_dir.parent / "previous" / f"{stamp}.{n}", n + 1
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(rtl_dir), dest)
        logger.warning("An earlier design in %s was moved to %s.", rtl_dir, dest)
    rtl_dir.mkdir(parents=True, exist_ok=True)
    for name, text in design.files.items():
        (rtl_dir / f"{name}.v").write_text(text)
    path = rtl_dir / MANIFEST
    path.write_text(json.dumps(design.manifest, indent=2) + "\n")
    return path


def design_sources(rtl_dir: str | Path, manifest: dict) -> list[Path]:
    """The design's Verilog files, in the manifest's order (what simulators and yosys read)."""
    return [Path(rtl_dir) / name for name in manifest["files"]]


def read_manifest(rtl_dir: str | Path) -> dict:
    """The manifest of an RTL folder written by `write_design` (one-line errors otherwise)."""
    path = Path(rtl_dir) / MANIFEST
    if not path.is_file():
        raise CheckpointError(f"'{path}' does not exist; write the design with 'ch emit' first.")
    try:
        manifest = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as error:
        raise CheckpointError(f"'{path}' is not a readable manifest: {error}") from None
    if not isinstance(manifest, dict) or manifest.get("format") != MANIFEST_FORMAT:
        raise CheckpointError(f"'{path}' is not a {MANIFEST_FORMAT} manifest.")
    if manifest.get("version") != MANIFEST_VERSION:
        raise CheckpointError(f"'{path}' has manifest version {manifest.get('version')!r}; this "
                              f"machop reads version {MANIFEST_VERSION}. Emit the design again.")
    for name in manifest.get("files", []):
        if "/" in name or "\\" in name or not (Path(rtl_dir) / name).is_file():
            raise CheckpointError(f"'{path}' lists '{name}', which is not a file beside it; "
                                  "emit the design again.")
    return manifest
