"""`ch ACTION [MODEL] [DATASET] [flags]`: argument parsing only.

Flags typed on the command line override the TOML file, which overrides the defaults; a flag
that was not typed leaves the lower layers alone even when its default differs (argparse's
SUPPRESS default, so only typed flags reach the config). User mistakes end as one line on
stderr and exit code 2; `--debug` shows the traceback as well.

Parsing imports neither torch nor the actions: `ch --help`, `ch ACTION --help` and argument
errors answer at once; an action's module is imported only to run it.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import traceback
from typing import Any

from chop.config import RunConfig, anchor_paths, load_toml, merge
from chop.errors import ChopError, ConfigError, did_you_mean

# flag -> (config key, type, help). Order is the order of `ch ACTION --help`.
FLAGS: list[tuple[str, str, Any, str]] = [
    ("--config", "config", str, "TOML file with the same keys as these flags"),
    ("--task", "task", str, "task type (cls)"),
    ("--load", "load_name", str, "checkpoint to load weights from"),
    ("--load-type", "load_type", str, "pl: a ch train .ckpt; pt: a plain state dict; mg: a ch transform transformed_ckpt dir; hf: a Hugging Face checkpoint dir or hub name (text models)"),
    ("--batch-size", "batch_size", int, "samples per step"),
    ("--learning-rate", "learning_rate", float, "optimizer learning rate"),
    ("--weight-decay", "weight_decay", float, "optimizer weight decay"),
    ("--optimizer", "optimizer", str, "adam, adamw or sgd"),
    ("--lr-scheduler", "lr_scheduler", str, "auto (linear after warm-up for text models, else constant), constant, linear or cosine"),
    ("--warmup-ratio", "warmup_ratio", float, "fraction of all steps spent warming the learning rate up (default: 0.1 for text models)"),
    ("--gradient-clip", "gradient_clip", float, "clip the gradient norm to this (0: off; default: 1.0 for text models)"),
    ("--max-epochs", "max_epochs", int, "epochs to train"),
    ("--max-steps", "max_steps", int, "stop after this many steps (-1: no limit)"),
    ("--max-time", "max_time", str, "stop after this long: seconds or DD:HH:MM:SS"),
    ("--early-stop", "early_stop", int, "stop after N epochs without a better val accuracy (0: off)"),
    ("--seed", "seed", int, "random seed"),
    ("--accelerator", "accelerator", str, "auto, cpu, gpu or mps"),
    ("--num-devices", "num_devices", int, "devices (processes) per node"),
    ("--num-nodes", "num_nodes", int, "nodes"),
    ("--strategy", "strategy", str, "Fabric strategy: auto, ddp, ..."),
    ("--precision", "precision", str, "32-true, bf16-mixed, 16-mixed, ..."),
    ("--num-workers", "num_workers", int, "accepted for MASE command lines (alias --cpu); data stays in memory, no workers are used"),
    ("--workers", "workers", int, "ch search: processes running trials (each one torch thread)"),
    ("--project", "project", str, "project name: outputs go to PROJECT_DIR/PROJECT"),
    ("--project-dir", "project_dir", str, "where projects live (default ./mase_output)"),
    ("--log-level", "log_level", str, "debug, info, warning or error"),
    ("--report-to", "report_to", str, "tensorboard, csv, wandb or none (comma-separated)"),
    ("--log-every-n-steps", "log_every_n_steps", int, "steps between logged training losses"),
    ("--data-dir", "data_dir", str, "folder holding the dataset's raw files (text-file: the .csv/.json/.parquet file)"),
    ("--max-token-len", "max_token_len", int, "text datasets: tokens per text, padded or truncated (default: a loaded checkpoint's, else 128)"),
    ("--model-file", "model_files", str, "a Python file registering models (repeatable)"),
]
ALIASES = {"--cpu": "--num-workers", "--devices": "--num-devices", "--lr": "--learning-rate"}

# The actions, in `ch --help` order: what each does, the flags its help shows, and examples.
# (Every action accepts every flag, as the TOML accepts every key; help shows the ones it reads.)
_DEVICE = ["accelerator", "num_devices", "num_nodes", "strategy", "precision", "num_workers"]
_WHERE = ["project", "project_dir", "data_dir", "model_files", "seed", "log_level"]
_DATA = ["max_token_len"]
ACTIONS: dict[str, dict[str, Any]] = {
    "train": {
        "summary": "train MODEL on DATASET; best/last checkpoints in PROJECT/software/training_ckpts",
        "flags": ["config", "load_name", "load_type", "batch_size", "learning_rate", "weight_decay", "optimizer",
                  "lr_scheduler", "warmup_ratio", "gradient_clip", "max_epochs", "max_steps", "max_time", "early_stop", "report_to", "log_every_n_steps",
                  *_DEVICE, *_WHERE, *_DATA, "task"],
        "examples": ["ch train jsc-tiny jsc --max-epochs 10 --batch-size 256 --learning-rate 1e-3 --project NAME",
                     "ch train my_models.py:jsc-big jsc           # your own model, from its file",
                     "ch train --config run.toml --batch-size 64   # flags typed win over the TOML",
                     "ch train jsc-tiny jsc --project NAME --resume"],
    },
    "test": {
        "summary": "evaluate a checkpoint (or a transformed graph) on the test split",
        "flags": ["load_name", "load_type", "config", "batch_size", *_DEVICE, *_WHERE, *_DATA, "task"],
        "examples": ["ch test --load mase_output/NAME/software/training_ckpts/best.ckpt",
                     "ch test jsc-tiny jsc --load best.ckpt --load-type pl",
                     "ch test --load mase_output/NAME/software/transform/transformed_ckpt --load-type mg"],
    },
    "transform": {
        "summary": "trace MODEL into a MaseGraph and run the TOML's [passes.*] (analyse, quantize, prune)",
        "flags": ["config", "load_name", "load_type", "batch_size", *_DEVICE, *_WHERE, *_DATA, "task"],
        "examples": ["ch transform --config configs/examples/jsc_toy_by_type.toml --task cls --cpu=0",
                     "ch transform --config configs/examples/jsc_s_prune.toml --load CKPT --load-type pl"],
    },
    "search": {
        "summary": "search quantization/pruning/training/architecture choices ([search.*] in the TOML)",
        "flags": ["config", "workers", "load_name", "load_type", "batch_size", "learning_rate", "max_epochs",
                  *_DEVICE, *_WHERE, *_DATA, "task"],
        "examples": ["ch search --config configs/examples/jsc_s_ptq_search.toml",
                     "ch search --config configs/examples/jsc_mlp_pipeline_search.toml --workers 2",
                     "ch search --config configs/examples/jsc_s_ptq_search.toml --report   # outputs from the study now"],
    },
    "info": {
        "summary": "list the registered models and datasets with their sizes",
        "flags": ["model_files", "config", "log_level"],
        "examples": ["ch info", "ch info --model-file my_models.py"],
    },
    "emit": {
        "summary": "write Verilog + manifest.json of a fixed-point graph to PROJECT/hardware/rtl ([hardware] in the TOML)",
        "flags": ["config", "load_name", "load_type", *_WHERE, "task"],
        "examples": ["ch emit --config configs/examples/jsc_tiny_fixed_point.toml "
                     "--load mase_output/jsc-tiny-hw/software/transform/transformed_ckpt --load-type mg"],
    },
    "simulate": {
        "summary": "run the emitted design in Verilator/iverilog; every output checked against the integer program",
        "flags": ["config", "load_name", "load_type", *_WHERE, "task"],
        "examples": ["ch simulate --config configs/examples/jsc_tiny_fixed_point.toml "
                     "--load mase_output/jsc-tiny-hw/software/transform/transformed_ckpt --load-type mg"],
    },
    "synth": {
        "summary": "synthesize the emitted design with yosys: LUTs, FFs, DSPs, logic depth per layer",
        "flags": ["config", "load_name", "load_type", *_WHERE, "task"],
        "examples": ["ch synth --config configs/examples/jsc_tiny_fixed_point.toml "
                     "--load mase_output/jsc-tiny-hw/software/transform/transformed_ckpt --load-type mg"],
    },
    "compare": {
        "summary": "plot several training runs side by side (lab 1's curves), one curve per run",
        "flags": [],
        "examples": ["ch compare mase_output/lab1 --out figures/     # every run of project lab1",
                     "ch compare mase_output/bs64 mase_output/bs128 mase_output/bs256"],
    },
}
_FLAG_OF = {key: flag for flag, key, _, _ in FLAGS}


class _Parser(argparse.ArgumentParser):
    """argparse that raises ConfigError (one line) instead of printing usage and exiting."""

    def error(self, message: str):  # noqa: D401 - argparse API
        if "unrecognized arguments" in message:
            unknown = message.split(":", 1)[1].split()
            flag = next((u.split("=")[0] for u in unknown if u.startswith("-")), unknown[0])
            known = [f for f, *_ in FLAGS] + list(ALIASES) + ["--debug", "--resume", "--report", "--help", "--out"]
            raise ConfigError(f"Unknown flag '{flag}'.{did_you_mean(flag, known)} See '{self.prog} --help'.")
        raise ConfigError(f"{message}. See '{self.prog} --help'.")


def _examples(action: str) -> str:
    return "examples:\n" + "\n".join(f"  {e}" for e in ACTIONS[action]["examples"])


def top_parser() -> argparse.ArgumentParser:
    """`ch --help`: the actions, one line each, with examples."""
    lines = [f"  {name:<10} {spec['summary']}" for name, spec in ACTIONS.items()]
    epilog = ("actions:\n" + "\n".join(lines) + "\n\n'ch ACTION --help' shows an action's flags and examples.\n\n"
              "examples:\n" + "\n".join(f"  {ACTIONS[a]['examples'][0]}" for a in ACTIONS))
    p = _Parser(prog="ch", description="machop: train, test, transform (analyse, quantize, prune) "
                "and search efficient neural networks.", epilog=epilog,
                formatter_class=argparse.RawDescriptionHelpFormatter, allow_abbrev=False)
    p.add_argument("action", choices=list(ACTIONS), metavar="ACTION", help=", ".join(ACTIONS))
    return p


def build_parser(action: str = "train") -> argparse.ArgumentParser:
    """The parser of `ch ACTION`: its positionals, and every flag (help shows the action's own)."""
    spec = ACTIONS[action]
    p = _Parser(prog=f"ch {action}", description=spec["summary"], epilog=_examples(action),
                formatter_class=argparse.RawDescriptionHelpFormatter,
                argument_default=argparse.SUPPRESS, allow_abbrev=False)
    if action == "compare":
        p.add_argument("runs", nargs="*", metavar="RUN", help="run folders (software/runs/run_N) or project folders")
        p.add_argument("--out", dest="out", default="mase_output/compare", help="folder for the PNGs and CSV "
                       "(default mase_output/compare)")
        p.add_argument("--debug", dest="debug", action="store_true", help="show tracebacks")
        return p
    p.add_argument("model", nargs="?", metavar="MODEL", help="model name, or FILE.py:NAME")
    p.add_argument("dataset", nargs="?", metavar="DATASET", help="dataset name")
    shown = set(spec["flags"])
    for flag, key, typ, help_text in FLAGS:
        names = [flag] + [a for a, target in ALIASES.items() if target == flag]
        kwargs: dict[str, Any] = {"dest": key, "type": typ,
                                  "help": help_text if key in shown else argparse.SUPPRESS}
        if key == "model_files":
            kwargs["action"] = "append"
        p.add_argument(*names, **kwargs)
    p.add_argument("--resume", dest="resume", action="store_true",
                   help="continue from the project's last.ckpt" if action == "train" else argparse.SUPPRESS)
    p.add_argument("--report", dest="report", action="store_true",
                   help="write the outputs from the study as it is, running no trials" if action == "search"
                   else argparse.SUPPRESS)
    p.add_argument("--debug", dest="debug", action="store_true", help="show tracebacks")
    return p


def split_action(argv: list[str]) -> tuple[str, list[str]]:
    """The action (the first word that is not a flag) and the remaining arguments."""
    for i, arg in enumerate(argv):
        if not arg.startswith("-"):
            if arg not in ACTIONS:
                raise ConfigError(f"invalid choice: '{arg}' for ACTION.{did_you_mean(arg, ACTIONS)} See 'ch --help'.")
            return arg, argv[:i] + argv[i + 1:]
    top_parser().parse_args(argv)  # --help prints and exits; anything else is an error
    raise ConfigError("ch needs an ACTION: " + ", ".join(ACTIONS) + ". See 'ch --help'.")


def parse_config(argv: list[str]) -> tuple[str, RunConfig]:
    """The action and its merged RunConfig for command-line `argv`."""
    action, rest = split_action(argv)
    ns = vars(build_parser(action).parse_intermixed_args(rest))
    toml: dict[str, Any] = {}
    if "config" in ns:
        path = ns.pop("config")
        toml = anchor_paths(load_toml(path), path)
    flags = {k: v for k, v in ns.items() if v is not None}
    return action, merge(toml, flags)


class _StdoutHandler(logging.StreamHandler):
    """Writes to whatever `sys.stdout` is at the time of each record (tests swap it)."""

    @property
    def stream(self):
        return sys.stdout

    @stream.setter
    def stream(self, _value):
        pass


def _setup_logging(level: str) -> None:
    """Log lines of the `chop` loggers on stdout (stderr carries only the error line): rich
    in a terminal, plain `LEVEL message` lines in a file or a pipe, so tables stay unwrapped and
    no line is padded. Other libraries stay at warnings."""
    from rich.console import Console
    from rich.logging import RichHandler

    logger = logging.getLogger("chop")
    logger.setLevel(level.upper())
    if not any(getattr(h, "_chop", False) for h in logger.handlers):
        if Console().is_terminal:
            handler: logging.Handler = RichHandler(show_time=False, show_path=False, markup=False)
        else:
            handler = _StdoutHandler()
            handler.setFormatter(logging.Formatter("%(levelname)-8s %(message)s"))
        handler._chop = True  # type: ignore[attr-defined]
        logger.addHandler(handler)
    for noisy in ("lightning_fabric", "lightning"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def _compare(argv: list[str]) -> dict:
    _, rest = split_action(argv)
    ns = build_parser("compare").parse_intermixed_args(rest)
    _setup_logging("info")
    from chop.actions.compare import compare

    return compare(ns.runs, ns.out)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    debug = "--debug" in argv
    try:
        if split_action(argv)[0] == "compare":
            from chop.cli_render import render_result

            render_result("compare", _compare(argv))
            return 0
        action, cfg = parse_config(argv)
        _setup_logging(cfg.log_level)
        from chop.cli_render import render_config, render_result
        from chop.actions import ACTIONS as RUNNERS

        if action != "info" and os.environ.get("LOCAL_RANK", "0") == "0":
            render_config(cfg)
        result = RUNNERS[action](cfg)
        render_result(action, result)
        return 0
    except ChopError as exc:
        if debug:
            traceback.print_exc()
        sys.stderr.write(f"{'interrupted' if exc.exit_code == 130 else 'error'}: {exc}\n")
        return exc.exit_code
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        return 130
    except Exception as exc:  # a full disk met outside chop.atomic (logs, a library's own files)
        from chop.atomic import disk_full_cause

        full = disk_full_cause(exc)
        if full is None:
            raise
        if debug:
            traceback.print_exc()
        if isinstance(full, ChopError):
            sys.stderr.write(f"error: {full}\n")
        else:
            sys.stderr.write(f"error: No space left on the device ({full.filename or full.strerror}); "
                             f"free some space and rerun (files written before are intact).\n")
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
