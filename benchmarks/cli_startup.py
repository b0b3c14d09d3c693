"""How long `ch --help` (and friends) take, side by side with `python -c "import torch"`.

Parsing imports neither torch nor the actions, so help and argument errors should cost a small
fraction of importing torch (target: `ch --help` under 0.5 s). Each command runs `--repeat`
times, interleaved, in fresh interpreters; prints the median seconds and the ratio to torch.

Run: python benchmarks/cli_startup.py [--repeat 7]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

COMMANDS = {
    'python -c "import torch"': [sys.executable, "-c", "import torch"],
    "ch --help": [sys.executable, "-m", "chop.cli", "--help"],
    "ch train --help": [sys.executable, "-m", "chop.cli", "train", "--help"],
    "ch train --batch-sise 3 (error)": [sys.executable, "-m", "chop.cli", "train", "--batch-sise", "3"],
    "ch info": [sys.executable, "-m", "chop.cli", "info"],
}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeat", type=int, default=7)
    a = p.parse_args()
    times: dict[str, list[float]] = {name: [] for name in COMMANDS}
    for _ in range(a.repeat):
        for name, cmd in COMMANDS.items():
            start = time.perf_counter()
            subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
            times[name].append(time.perf_counter() - start)
    torch_s = statistics.median(times['python -c "import torch"'])
    print(f"{'command':<34} {'median s':>9} {'/ import torch':>15}")
    for name, values in times.items():
        median = statistics.median(values)
        print(f"{name:<34} {median:>9.3f} {median / torch_s:>15.2f}")


if __name__ == "__main__":
    main()
