"""The error for a model name that is not registered: how to point at the file that defines it.

A user's own model lives in their Python file, which machop imports only when the user names it
(`FILE.py:NAME`, `--model-file FILE.py`, `model_files` in the TOML). When the name came with a
checkpoint, the config saved beside that checkpoint's run may say which file defined it; the
error then spells out the flag to type. The file is never imported on the checkpoint's word.
"""

from __future__ import annotations

from pathlib import Path

from chop.config import load_toml
from chop.errors import ChopError, UnknownNameError, closest, did_you_mean

CONFIG = "train_config.toml"


def project_of_checkpoint(path: str | Path) -> Path | None:
    """`<project>` for a checkpoint at `<project>/software/training_ckpts/x.ckpt`, a transformed
    graph at `<project>/software/transform/transformed_ckpt` or a search's
    `<project>/software/search_ckpts/best_ckpt`; else None."""
    p = Path(path).resolve()
    if p.parent.name == "training_ckpts" and p.parent.parent.name == "software":
        return p.parent.parent.parent
    if (p.name, p.parent.name) in (("transformed_ckpt", "transform"), ("best_ckpt", "search_ckpts")) \
            and p.parent.parent.name == "software":
        return p.parent.parent.parent
    return None


def recorded_model_files(load_name: str | Path | None) -> list[str]:
    """Existing .py files named by the saved configs of the project that `load_name` belongs to."""
    project = project_of_checkpoint(load_name) if load_name else None
    if project is None:
        return []
    software = project / "software"
    configs = [software / CONFIG, *sorted((software / "runs").glob(f"run_*/{CONFIG}"), reverse=True)]
    found: list[str] = []
    for path in configs:
        if not path.is_file():
            continue
        try:
            data = load_toml(path)
        except ChopError:
            continue
        files = list(data.get("model_files") or [])
        model = data.get("model")
        if isinstance(model, str) and ":" in model and model.split(":", 1)[0].endswith(".py"):
            files.append(model.split(":", 1)[0])
        for f in files:
            if isinstance(f, str) and Path(f).expanduser().is_file() and f not in found:
                found.append(f)
    return found


def unknown_model_error(name: str, known, load_name: str | Path | None = None) -> UnknownNameError:
    """One line: the unknown name, a close registered name, or how to give the model's file."""
    message = f"Unknown model '{name}'."
    if closest(name, known) is not None:
        return UnknownNameError(message + did_you_mean(name, known))
    recorded = recorded_model_files(load_name)
    if recorded:
        flags = " ".join(f"--model-file {f}" for f in recorded)
        return UnknownNameError(
            f"{message} The run that saved '{load_name}' took it from {', '.join(recorded)}; "
            f"if you trust that file, add: {flags}")
    return UnknownNameError(
        f"{message} If it is your own model, point at the file that registers it: "
        f"FILE.py:{name} as the model, --model-file FILE.py, or model_files = [\"FILE.py\"] in the TOML "
        f"('ch info' lists the registered models).")
