"""PNG plots of a search: objective history with best-so-far, and the Pareto front of two metrics.

Pure functions of the trial records (see `chop.search.outputs.trial_records`), drawn with
matplotlib's Agg backend so that they work without a display.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def best_so_far(values: Sequence[float], maximize: bool = True) -> list[float]:
    """The running best of `values` (max or min)."""
    out: list[float] = []
    for v in values:
        out.append(v if not out else (max(out[-1], v) if maximize else min(out[-1], v)))
    return out


def pareto_mask(points: Sequence[Sequence[float]], directions: Sequence[str]) -> list[bool]:
    """True for points no other point dominates (at least as good everywhere, better somewhere)."""
    signs = [1.0 if d == "maximize" else -1.0 for d in directions]
    scored = [[s * v for s, v in zip(signs, p)] for p in points]
    mask = []
    for i, p in enumerate(scored):
        dominated = any(all(q_k >= p_k for q_k, p_k in zip(q, p)) and any(q_k > p_k for q_k, p_k in zip(q, p))
                        for j, q in enumerate(scored) if j != i)
        mask.append(not dominated)
    return mask


def plot_curves(curves: Mapping[str, tuple[Sequence[int], Sequence[float]]], path: str | Path,
                ylabel: str, title: str, points: Mapping[str, tuple[Sequence[int], Sequence[float]]] | None = None,
                xlabel: str = "trial number") -> Path:
    """Step lines (e.g. best so far per sampler) and optional scatter points, into one PNG."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 4.2))
    for i, (label, (x, y)) in enumerate(curves.items()):
        color = f"C{i}"
        ax.step(x, y, where="post", label=label, color=color, linewidth=2)
        if points and label in points:
            ax.scatter(*points[label], s=12, alpha=0.4, color=color)
    return _finish(plt, fig, ax, xlabel, ylabel, title, path)


def plot_pareto(metrics: Sequence[Mapping[str, float]], x: str, y: str, directions: Mapping[str, str],
                path: str | Path, title: str = "Pareto front") -> Path:
    """Every trial's (x, y) metrics, with the non-dominated ones joined as the front."""
    plt = _pyplot()
    xs, ys = [m[x] for m in metrics], [m[y] for m in metrics]
    mask = pareto_mask(list(zip(xs, ys)), [directions[x], directions[y]])
    front = sorted((a, b) for a, b, keep in zip(xs, ys, mask) if keep)
    fig, ax = plt.subplots(figsize=(6.5, 4.5))
    ax.scatter(xs, ys, s=14, alpha=0.45, label="trials")
    if front:
        ax.plot(*zip(*front), "o-", color="C3", label="Pareto front")
    return _finish(plt, fig, ax, f"{x} ({'max' if directions[x] == 'maximize' else 'min'})",
                   f"{y} ({'max' if directions[y] == 'maximize' else 'min'})", title, path)


def _finish(plt, fig, ax, xlabel: str, ylabel: str, title: str, path: str | Path) -> Path:
    """Labels, grid and legend, then the PNG written and the figure closed."""
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    from chop import atomic

    path = Path(path)
    try:
        with atomic.replacing(path) as tmp:
            fig.savefig(tmp, dpi=120, format=path.suffix.lstrip(".") or "png")
    finally:
        plt.close(fig)
    return path
