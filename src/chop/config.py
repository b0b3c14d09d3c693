"""The typed run configuration: defaults < TOML file < flags typed on the command line.

One dataclass, `RunConfig`, holds every setting of `ch train/test/transform/search/info`. A TOML
file uses the same key names as the dataclass fields; `[passes.*]`, `[search.*]` and `[hardware]` sections are
kept as plain dicts for the actions that read them. A key that is not a field is an error naming
the closest valid key, and every value is checked for type and range here, once, so that the
actions can trust what they get.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from chop.errors import ConfigError, did_you_mean
from chop.registry import Registry

try:  # Python 3.11+
    import tomllib
except ModuleNotFoundError:  # pragma: no cover - Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]


# TOML has no null: the string "NA" stands for None in run configs, pass arguments, number format
# configs and search spaces, at any depth. These functions are the one place that reads and writes it.
NA = "NA"


def is_na(value: Any) -> bool:
    """True for None and for "NA"."""
    return value is None or (isinstance(value, str) and value == NA)


def na_to_none(value: Any) -> Any:
    """A copy of nested dicts/lists with every "NA" replaced by None (other objects shared)."""
    if isinstance(value, str) and value == NA:
        return None
    if isinstance(value, Mapping):
        return {k: na_to_none(v) for k, v in value.items()}
    if isinstance(value, list):
        return [na_to_none(v) for v in value]
    return value


def none_to_na(value: Any) -> Any:
    """A copy ready for TOML: every None written as "NA", mapping keys as strings."""
    if value is None:
        return NA
    if isinstance(value, Mapping):
        return {str(k): none_to_na(v) for k, v in value.items()}
    if isinstance(value, list):
        return [none_to_na(v) for v in value]
    return value


# Optimizers by name, as `--optimizer`, TOML `optimizer` and the search's train space spell them:
# the one list that config checking and training both read. torch is imported only when an
# optimizer is built, so that reading a config stays fast.
OPTIMIZERS: Registry = Registry("optimizer")


def _fusable(params) -> bool | None:
    """Use PyTorch's fused Adam(W) kernel where every parameter allows it (floating point, on a
    CPU or CUDA device): one kernel per step instead of several per tensor (AdamW on bert-tiny:
    the default implementation's step takes 1.27x the fused one's). `params` may be groups."""
    tensors = [p for item in params for p in (item["params"] if isinstance(item, dict) else [item])]
    if tensors and all(p.is_floating_point() and p.device.type in ("cpu", "cuda") for p in tensors):
        return True
    return None


@OPTIMIZERS.register("adam")
def adam(params, lr: float, weight_decay: float):
    import torch

    return torch.optim.Adam(params, lr=lr, weight_decay=weight_decay, fused=_fusable(params))


@OPTIMIZERS.register("adamw")
def adamw(params, lr: float, weight_decay: float):
    import torch

    return torch.optim.AdamW(params, lr=lr, weight_decay=weight_decay, fused=_fusable(params))


@OPTIMIZERS.register("sgd")
def sgd(params, lr: float, weight_decay: float):
    import torch

    return torch.optim.SGD(params, lr=lr, weight_decay=weight_decay, momentum=0.9)


ACTIONS = ("train", "test", "transform", "search", "info", "emit", "simulate", "synth")
ACCELERATORS = ("auto", "cpu", "gpu", "cuda", "mps")
LOAD_TYPES = ("pt", "pl", "mg", "hf")
REPORTERS = ("tensorboard", "csv", "wandb", "none")
LOG_LEVELS = ("debug", "info", "warning", "error")
TASKS = ("cls", "classification")
LR_SCHEDULERS = ("auto", "constant", "linear", "cosine")  # chop.engine.schedule.SCHEDULES
PRECISIONS = ("32-true", "32", "64-true", "64", "bf16-mixed", "16-mixed", "bf16-true", "16-true")


@dataclass
class RunConfig:
    """Every setting of a `ch` run. Field names are the TOML keys; flags use dashes."""

    model: str | None = None
    dataset: str | None = None
    task: str = "cls"
    load_name: str | None = None
    load_type: str = "pl"
    resume: bool = False
    report: bool = False  # ch search --report: outputs from the study, no trials
    batch_size: int = 128
    learning_rate: float = 1e-3
    weight_decay: float = 0.0
    optimizer: str = "adam"
    lr_scheduler: str = "auto"  # auto: linear after warm-up for text models, constant otherwise
    warmup_ratio: float | None = None  # None: 0.1 for text models, 0 otherwise
    gradient_clip: float | None = None  # max gradient norm; None: 1.0 for text models, 0 (off) otherwise
    max_epochs: int = 20
    max_steps: int = -1
    max_time: str | None = None
    early_stop: int = 0
    seed: int = 0
    accelerator: str = "auto"
    num_devices: int = 1
    num_nodes: int = 1
    strategy: str = "auto"
    precision: str = "32-true"
    num_workers: int = 0
    workers: int = 1  # ch search: processes running trials on this machine
    project: str | None = None
    project_dir: str = "mase_output"
    log_level: str = "info"
    report_to: str = "tensorboard"
    log_every_n_steps: int = 50
    debug: bool = False
    data_dir: str | None = None
    # text datasets: tokens per text (padded / truncated), as MASE's --max-token-len; None: the
    # length a loaded checkpoint was trained on, else the dataset's default (128)
    max_token_len: int | None = None
    dataset_options: dict[str, Any] = field(default_factory=dict)  # the loader's options ([dataset_options])
    model_files: list[str] = field(default_factory=list)
    hf_input_names: list[str] | None = None  # a Hugging Face model's graph inputs (default: the dataset's)
    passes: dict[str, Any] = field(default_factory=dict)
    search: dict[str, Any] = field(default_factory=dict)
    hardware: dict[str, Any] = field(default_factory=dict)  # ch emit/simulate/synth choices

    # ---- derived paths -------------------------------------------------------------------
    @property
    def project_name(self) -> str:
        if self.project:
            return self.project
        return f"{self.model or 'model'}_{self.task}_{self.dataset or 'data'}"

    @property
    def project_path(self) -> Path:
        return Path(self.project_dir) / self.project_name

    @property
    def software_dir(self) -> Path:
        return self.project_path / "software"

    @property
    def ckpt_dir(self) -> Path:
        return self.software_dir / "training_ckpts"

    @property
    def max_time_seconds(self) -> float | None:
        return parse_duration(self.max_time) if self.max_time else None

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


FIELD_NAMES = tuple(f.name for f in fields(RunConfig))
SECTION_KEYS = ("passes", "search", "hardware", "dataset_options")


def parse_duration(text: str | int | float) -> float:
    """Seconds from `"DD:HH:MM:SS"`, `"HH:MM:SS"`, `"MM:SS"` or a plain number of seconds."""
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        seconds = float(text)
    else:
        s = str(text).strip()
        if re.fullmatch(r"\d+(\.\d+)?", s):
            seconds = float(s)
        elif re.fullmatch(r"\d+(:\d+){1,3}", s):
            seconds = 0.0
            for part, unit in zip(reversed(s.split(":")), (1, 60, 3600, 86400)):
                seconds += int(part) * unit
        else:
            raise ConfigError(
                f"max_time={text!r} is not a duration; write seconds or DD:HH:MM:SS, e.g. 00:01:30:00."
            )
    if seconds <= 0:
        raise ConfigError(f"max_time={text!r} must be positive.")
    return seconds


def load_toml(path: str | Path) -> dict[str, Any]:
    """Read a TOML file; a syntax error names the file and line."""
    path = Path(path)
    if path.is_dir():
        raise ConfigError(f"Config file '{path}' is a directory; give the path of a TOML file.")
    if not path.is_file():
        raise ConfigError(f"Config file '{path}' does not exist.")
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except UnicodeDecodeError as exc:
        raise ConfigError(f"Config file '{path}' is not UTF-8 text (byte {exc.start}); save it as UTF-8 TOML.") from None
    except OSError as exc:
        raise ConfigError(f"Config file '{path}' cannot be read ({exc.strerror or exc}).") from None
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        if "end of document" in message:  # say which line, as for every other TOML error
            last = len(path.read_text(errors="replace").rstrip("\n").splitlines())
            message = message.replace("at end of document", f"at end of document, line {last}")
        raise ConfigError(f"Config file '{path}' is not valid TOML: {message}.") from None


def _anchor(storage: str, base: Path) -> str:
    if "://" not in storage:
        path = Path(storage).expanduser()
        return storage if path.is_absolute() else str((base / path).resolve())
    head, sep, rest = storage.partition(":///")
    if sep and head.split("+")[0].lower() == "sqlite" and rest and not rest.startswith(("/", ":memory:")):
        return f"{head}:///{(base / rest).resolve()}"
    return storage


def anchor_paths(toml: dict[str, Any], config_file: str | Path) -> dict[str, Any]:
    """`toml` with a relative search storage path (`[search.strategy] storage`, a journal file or
    `sqlite:///x.db`) made relative to the config file rather than to the working directory, so
    that commands started in different folders with one config share one study."""
    strategy = (toml.get("search") or {}).get("strategy") if isinstance(toml.get("search"), dict) else None
    storage = strategy.get("storage") if isinstance(strategy, dict) else None
    if not isinstance(storage, str) or is_na(storage):
        return toml
    anchored = _anchor(storage, Path(config_file).expanduser().resolve().parent)
    if anchored == storage:
        return toml
    search = dict(toml["search"])
    search["strategy"] = {**strategy, "storage": anchored}
    return {**toml, "search": search}


def _bool(key: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise ConfigError(f"Config key '{key}' must be true or false, got {value!r}.")
    return value


def _int(key: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(f"Config key '{key}' must be an integer, got {value!r}.")
    return value


def _float(key: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ConfigError(f"Config key '{key}' must be a number, got {value!r}.")
    return float(value)


def _str(key: str, value: Any) -> str:
    if key == "max_time" and isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, str):
        raise ConfigError(f"Config key '{key}' must be a string, got {value!r}.")
    return value


def _str_list(key: str, value: Any) -> list[str]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"Config key '{key}' must be a list of strings, got {value!r}.")
    return list(value)


def _table(key: str, value: Any) -> dict:
    if not isinstance(value, dict):
        raise ConfigError(f"Config section '{key}' must be a table, got {value!r}.")
    return value


#: The checker of each field annotation (its text without " | None"; "list..."/"dict..." by prefix).
_CHECKERS = {"bool": _bool, "int": _int, "float": _float, "str": _str, "list": _str_list, "dict": _table}


def _check_type(key: str, value: Any, annotation: str) -> Any:
    """Check `value` against a field annotation string; ints are accepted for floats."""
    if value is None:
        if "None" in annotation:
            return None
        raise ConfigError(f"Config key '{key}' cannot be empty.")
    base = annotation.replace(" | None", "").strip()
    return _CHECKERS[base.split("[")[0]](key, value)


def _choice(key: str, value: str, choices: tuple[str, ...]) -> str:
    v = value.lower()
    if v not in choices:
        raise ConfigError(f"{key}={value!r} is not valid.{did_you_mean(v, choices)}")
    return v


def validate(cfg: RunConfig) -> RunConfig:
    """Check ranges and choices; returns a normalised copy."""
    cfg = dataclasses.replace(cfg)
    cfg.accelerator = _choice("accelerator", cfg.accelerator, ACCELERATORS)
    cfg.load_type = _choice("load_type", cfg.load_type, LOAD_TYPES)
    cfg.optimizer = _choice("optimizer", cfg.optimizer, tuple(OPTIMIZERS.names()))
    cfg.lr_scheduler = _choice("lr_scheduler", cfg.lr_scheduler, LR_SCHEDULERS)
    if cfg.warmup_ratio is not None and not 0 <= cfg.warmup_ratio < 1:
        raise ConfigError(f"warmup_ratio must be in [0, 1) (a fraction of all steps), got {cfg.warmup_ratio}.")
    if cfg.gradient_clip is not None and not 0 <= cfg.gradient_clip < math.inf:
        raise ConfigError(f"gradient_clip must be a non-negative norm (0: off), got {cfg.gradient_clip}.")
    cfg.log_level = _choice("log_level", cfg.log_level, LOG_LEVELS)
    cfg.task = _choice("task", cfg.task, TASKS)
    cfg.precision = _choice("precision", cfg.precision, PRECISIONS)
    for reporter in cfg.report_to.split(","):
        _choice("report_to", reporter.strip(), REPORTERS)
    positive = ("batch_size", "num_devices", "num_nodes", "log_every_n_steps", "workers")
    for key in positive:
        if getattr(cfg, key) < 1:
            raise ConfigError(f"{key} must be at least 1, got {getattr(cfg, key)}.")
    non_negative = ("weight_decay", "max_epochs", "early_stop", "num_workers", "seed")
    for key in non_negative:
        if getattr(cfg, key) < 0:
            raise ConfigError(f"{key} must not be negative, got {getattr(cfg, key)}.")
    if not 0 < cfg.learning_rate < math.inf:
        raise ConfigError(f"learning_rate must be positive and finite, got {cfg.learning_rate}.")
    if not cfg.weight_decay < math.inf:  # inf trains on NaN losses and exits 0
        raise ConfigError(f"weight_decay must be finite, got {cfg.weight_decay}.")
    _check_limits_and_paths(cfg)
    _check_data_options(cfg)
    if cfg.max_steps < -1 or cfg.max_steps == 0:
        raise ConfigError(f"max_steps must be positive (or -1 for no limit), got {cfg.max_steps}.")
    if cfg.max_time is not None:
        parse_duration(cfg.max_time)
    return cfg


INT64_MAX = 2**63 - 1
MAX_TOKEN_LEN = 8192  # longer than any BERT-family model's positions
# A data file `--data-dir` may name directly (a user's text or tabular table); other files are refused.
DATA_FILE_SUFFIXES = (".csv", ".tsv", ".json", ".jsonl", ".parquet", ".csv.gz", ".arff", ".arff.gz")


def _check_data_options(cfg: RunConfig) -> None:
    """`max_token_len` in range, and given once (not also inside `[dataset_options]`)."""
    if cfg.max_token_len is not None and not 2 <= cfg.max_token_len <= MAX_TOKEN_LEN:
        raise ConfigError(f"max_token_len must be from 2 to {MAX_TOKEN_LEN}, got {cfg.max_token_len}.")
    if "max_token_len" in cfg.dataset_options:
        raise ConfigError("[dataset_options] max_token_len: write it as the top-level key max_token_len "
                          "(or --max-token-len).")


def _check_limits_and_paths(cfg: RunConfig) -> None:
    """What a generated bad value must not get past: huge ints, odd names, files for folders."""
    for f in fields(RunConfig):  # beyond int64 no value can reach torch or the OS
        value = getattr(cfg, f.name)
        if type(value) is int and abs(value) > INT64_MAX:
            raise ConfigError(f"{f.name}={value} is too large.")
    if not re.fullmatch(r"[A-Za-z0-9_.\-]{1,64}", cfg.strategy):
        raise ConfigError(f"strategy={cfg.strategy!r} is not a strategy name (auto, ddp, ddp_spawn, fsdp, ...).")
    _check_path_text("project_dir", cfg.project_dir)
    if cfg.project is not None:
        _check_path_text("project", cfg.project)
    _check_project_dir(cfg.project_dir)
    if cfg.data_dir is not None and Path(cfg.data_dir).expanduser().is_file() and \
            not cfg.data_dir.lower().endswith(DATA_FILE_SUFFIXES):
        raise ConfigError(f"data_dir '{cfg.data_dir}' is a file; give the folder that holds the dataset's files "
                          f"(or a data file: {', '.join(DATA_FILE_SUFFIXES)}).")
    for name, args in cfg.passes.items():
        if not isinstance(args, dict):
            raise ConfigError(f"[passes.{name}] must be a table of the pass's arguments, got {args!r}; "
                              f"write [passes.{name}] with key = value lines (an empty table for none).")


def _check_path_text(key: str, value: str) -> None:
    """A name that becomes a path: not empty or blank, no NUL byte, no part longer than 255."""
    if not value.strip() or "\x00" in value or any(len(part) > 255 for part in Path(value).parts):
        raise ConfigError(f"{key}={value[:40]!r}{'...' if len(value) > 40 else ''} is not a usable name: give a "
                          f"non-empty name without NUL bytes, each part at most 255 characters.")


def _check_project_dir(project_dir: str) -> None:
    """`--project-dir` must be, or be creatable as, a directory: not an existing file."""
    path = Path(project_dir).expanduser()
    for p in (path, *path.parents):
        if p.exists():
            if not p.is_dir():
                raise ConfigError(f"project_dir '{project_dir}': '{p}' is a file, not a directory; "
                                  f"give a directory for --project-dir.")
            return


def merge(
    toml: dict[str, Any] | None = None, flags: dict[str, Any] | None = None
) -> RunConfig:
    """Build a RunConfig: defaults < `toml` < `flags` (only the flags the user typed)."""
    annotations = {f.name: str(f.type) for f in fields(RunConfig)}
    values: dict[str, Any] = {}
    for source in (toml or {}, flags or {}):
        for key, value in source.items():
            if key not in annotations:
                raise ConfigError(f"Unknown config key '{key}'.{did_you_mean(key, FIELD_NAMES)}")
            if key not in SECTION_KEYS:
                value = na_to_none(value)
            values[key] = _check_type(key, value, annotations[key])
    return validate(RunConfig(**values))


def write_run_config(cfg: RunConfig, path: str | Path) -> Path:
    """Save the effective config as TOML (None written as "NA"), so a run can be repeated."""
    import tomli_w

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {k: none_to_na(v) for k, v in cfg.to_dict().items() if not (k in SECTION_KEYS and not v)}
    from chop import atomic

    atomic.write_text(path, tomli_w.dumps(data))
    return path
