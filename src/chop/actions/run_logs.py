"""Reading a run's logged scalars back: CSV logs, or TensorBoard event files.

Curves come back as `{tag: [(step, value), ...]}` sorted by step. TensorBoard files are TFRecord
streams of `Event` protos (8-byte length, 4-byte CRC, payload, 4-byte CRC), parsed with the
`Event` proto that tensorboardX (a core dependency) ships, so no TensorBoard install is needed.
"""

from __future__ import annotations

import csv
import math
import struct
from pathlib import Path

from chop.errors import DataError


def read_csv_curves(path: Path) -> dict[str, list[tuple[int, float]]]:
    """Scalars of a Lightning CSV log (`metrics.csv`: one column per tag plus `step`)."""
    curves: dict[str, list[tuple[int, float]]] = {}
    with path.open(newline="") as fh:
        for row in csv.DictReader(fh):
            step = row.get("step")
            if step in (None, ""):
                continue
            for tag, text in row.items():
                if tag == "step" or text in (None, ""):
                    continue
                curves.setdefault(tag, []).append((int(float(step)), float(text)))
    return {tag: sorted(points) for tag, points in curves.items()}


def _records(path: Path):
    data = path.read_bytes()
    pos = 0
    while pos + 12 <= len(data):
        (length,) = struct.unpack_from("<Q", data, pos)
        start = pos + 12
        end = start + length
        if end + 4 > len(data):  # a record cut short by a run still writing: stop there
            return
        yield data[start:end]
        pos = end + 4


def read_event_curves(path: Path) -> dict[str, list[tuple[int, float]]]:
    """Scalars of one TensorBoard event file."""
    from tensorboardX.proto.event_pb2 import Event

    curves: dict[str, list[tuple[int, float]]] = {}
    for payload in _records(path):
        event = Event()
        try:
            event.ParseFromString(payload)
        except Exception:
            raise DataError(f"'{path}' is not a readable TensorBoard event file.") from None
        if not event.HasField("summary"):
            continue
        for value in event.summary.value:
            kind = value.WhichOneof("value")
            if kind == "simple_value":
                number = value.simple_value
            elif kind == "tensor" and value.tensor.float_val:
                number = value.tensor.float_val[0]
            else:
                continue
            if math.isfinite(number) or math.isnan(number):
                curves.setdefault(value.tag, []).append((int(event.step), float(number)))
    return curves


def read_logged_curves(run_dir: Path) -> dict[str, list[tuple[int, float]]]:
    """A run's curves from its CSV log if it has one, else from its TensorBoard event files."""
    csv_file = run_dir / "csv" / "metrics.csv"
    if csv_file.is_file():
        return read_csv_curves(csv_file)
    curves: dict[str, list[tuple[int, float]]] = {}
    for events in sorted((run_dir / "tensorboard").glob("events.out.tfevents.*")):
        for tag, points in read_event_curves(events).items():
            curves.setdefault(tag, []).extend(points)
    return {tag: sorted(points) for tag, points in curves.items()}
