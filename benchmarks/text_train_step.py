"""A text model's training step and start-up: machop's engine against the Hugging Face Trainer.

Same model (bert-tiny from the registry, one seed), same tokenized tweets (max length 64), same
batch (32), same recipe (AdamW fused, linear decay after 10% warm-up, gradient norm clipped at 1),
one torch thread each, interleaved repeats:
  step     seconds per training step: `chop.engine.epoch.train_epochs` (what `ch train` and search
           trials run) vs `transformers.Trainer.train` (its own `train_runtime`); target ratio
           machop/Trainer <= 1.0.
  start-up wall seconds from launching a fresh process to its exit, for one training step and one
           validation pass: `ch train bert-tiny tweets --max-steps 1` vs a script that builds a
           Trainer on the same cached tensors and does the same.

Needs the `[bench]` extra (transformers + accelerate for the Trainer) and `[nlp]` (the offline
tweets and tokenizer). Run: make bench-text   (its own venv, .venv-text-bench; or: python benchmarks/text_train_step.py --steps 60)
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch

SEQ_LEN, BATCH, LR = 64, 32, 5e-4
RECIPE = {"optimizer": "adamw", "learning_rate": LR, "batch_size": BATCH, "lr_scheduler": "linear",
          "warmup_ratio": 0.1, "gradient_clip": 1.0}


def load(steps: int):
    from chop.dataset import get_dataset

    data = get_dataset("tweets", max_token_len=SEQ_LEN)
    return data, data.train.rows(slice(0, steps * BATCH))


def fresh_model(info):
    from chop.models import get_model

    torch.manual_seed(0)
    return get_model("bert-tiny", info)


def machop_step(data, train) -> float:
    from chop.engine.epoch import train_epochs

    model = fresh_model(data.info)
    start = time.perf_counter()
    train_epochs(model, train, RECIPE, epochs=1, seed=0)
    return (time.perf_counter() - start) / (len(train) // BATCH)


class _Rows(torch.utils.data.Dataset):
    """The split's rows as the dicts a Trainer's default collator stacks."""

    def __init__(self, split):
        self.split = split

    def __len__(self):
        return len(self.split)

    def __getitem__(self, i):
        return {**{k: v[i] for k, v in self.split.x.items()}, "labels": self.split.y[i]}


def trainer_args(out: str, steps: int, **extra):
    from transformers import TrainingArguments

    return TrainingArguments(
        output_dir=out, per_device_train_batch_size=BATCH, per_device_eval_batch_size=256, max_steps=steps,
        learning_rate=LR, lr_scheduler_type="linear", warmup_ratio=0.1, max_grad_norm=1.0,
        optim="adamw_torch_fused", weight_decay=0.0, save_strategy="no", report_to=[], use_cpu=True,
        dataloader_num_workers=0, disable_tqdm=True, logging_strategy="no", seed=0, **extra)


def trainer_step(data, train) -> float:
    from transformers import Trainer

    model = fresh_model(data.info)
    steps = len(train) // BATCH
    with tempfile.TemporaryDirectory() as out:
        trainer = Trainer(model=model, args=trainer_args(out, steps), train_dataset=_Rows(train))
        runtime = trainer.train().metrics["train_runtime"]
    return runtime / steps


TRAINER_SCRIPT = """
import sys, torch
torch.set_num_threads(1)
sys.path.insert(0, {bench!r})
from text_train_step import _Rows, fresh_model, trainer_args
from transformers import Trainer
from chop.dataset import get_dataset
data = get_dataset("tweets", max_token_len={seq})
trainer = Trainer(model=fresh_model(data.info), args=trainer_args({out!r}, 1, eval_strategy="steps", eval_steps=1),
                  train_dataset=_Rows(data.train), eval_dataset=_Rows(data.val))
trainer.train()
"""


def startup(tmp: Path) -> dict[str, float]:
    """Wall seconds of one fresh `ch train` process and one fresh Trainer script (1 step + val)."""
    ch = [sys.executable, "-m", "chop.cli", "train", "bert-tiny", "tweets", "--max-steps", "1", "--max-epochs", "1",
          "--max-token-len", str(SEQ_LEN), "--batch-size", str(BATCH), "--report-to", "none",
          "--project-dir", str(tmp), "--project", "startup", "--log-level", "warning"]
    script = TRAINER_SCRIPT.format(bench=str(Path(__file__).parent), seq=SEQ_LEN, out=str(tmp / "hf"))
    env_cmds = {"ch train": ch, "Trainer": [sys.executable, "-c", script]}
    seconds = {}
    for name, cmd in env_cmds.items():
        start = time.perf_counter()
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       env={**os.environ, "OMP_NUM_THREADS": "1"})
        seconds[name] = time.perf_counter() - start
    return seconds


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, default=60, help="training steps per timed run")
    p.add_argument("--repeat", type=int, default=3)
    a = p.parse_args()
    torch.set_num_threads(1)
    data, train = load(a.steps)
    machop_step(data, train.rows(slice(0, 4 * BATCH)))  # warm both paths up once
    trainer_step(data, train.rows(slice(0, 4 * BATCH)))
    steps: dict[str, list[float]] = {"machop": [], "Trainer": []}
    starts: dict[str, list[float]] = {"ch train": [], "Trainer": []}
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(a.repeat):
            steps["machop"].append(machop_step(data, train))
            steps["Trainer"].append(trainer_step(data, train))
            for name, s in startup(Path(tmp)).items():
                starts[name].append(s)
    m, t = statistics.median(steps["machop"]), statistics.median(steps["Trainer"])
    print(f"bert-tiny on tweets, length {SEQ_LEN}, batch {BATCH}, 1 thread, {a.steps} steps x {a.repeat}")
    print(f"{'':<22}{'machop':>10}{'Trainer':>10}{'ratio':>8}")
    print(f"{'step (ms)':<22}{m * 1e3:>10.1f}{t * 1e3:>10.1f}{m / t:>8.2f}   (target <= 1.0)")
    cs, ts = statistics.median(starts["ch train"]), statistics.median(starts["Trainer"])
    print(f"{'start-up, 1 step (s)':<22}{cs:>10.2f}{ts:>10.2f}{cs / ts:>8.2f}")


if __name__ == "__main__":
    main()
