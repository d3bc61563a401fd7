"""The P2 picture (results/p2.png): offered call rate -> share of calls fully successful and
setup p99, per path, for our generator and, when measured, for SIPp (dashed). Drawn with
matplotlib's object API (no pyplot: no display, no global state)."""
from __future__ import annotations

from pathlib import Path

from matplotlib.figure import Figure

from .load import SETUP_P99_LIMIT_MS

COLOURS = {"plain": "#1f77b4", "callctl": "#d62728", "plain without the daemon": "#7f7f7f"}


def _series(steps: list[dict]) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for s in sorted(steps, key=lambda s: s["cps"]):
        out.setdefault(s["path"], []).append(s)
    return out


def draw(results: dict, path: Path) -> bool:
    """Writes the picture if there is a P2 to draw; says whether it did."""
    runs = [(label, style, results[key]["steps"] if key == "p2" else results[key]["p2"]["steps"])
            for key, label, style in (("p2", "own UA", "-"), ("sipp", "SIPp", "--"))
            if key in results and (key == "p2" or "p2" in results[key])]
    if not runs:
        return False
    fig = Figure(figsize=(10, 4.2), layout="constrained")
    ok_ax, p99_ax = fig.subplots(1, 2)
    for label, style, steps in runs:
        for name, series in _series(steps).items():
            rates = [s["cps"] for s in series]
            kw = {"color": COLOURS.get(name, "#2ca02c"), "linestyle": style, "marker": "o",
                  "markersize": 3, "label": f"{name} ({label})"}
            ok_ax.plot(rates, [100 * s["success"] for s in series], **kw)
            p99_ax.plot(rates, [s["setup_p99_ms"] or float("nan") for s in series], **kw)
    ok_ax.axhline(99.9, color="black", linewidth=0.6, linestyle=":")
    p99_ax.axhline(SETUP_P99_LIMIT_MS, color="black", linewidth=0.6, linestyle=":")
    ok_ax.set(xscale="log", xlabel="offered calls per second", ylabel="calls fully successful, %",
              title="P2: success at each offered rate (line: 99.9 %)")
    p99_ax.set(xscale="log", yscale="log", xlabel="offered calls per second",
               ylabel="setup time p99, ms (INVITE → 200)",
               title="P2: setup p99 (line: the 1 s limit)")
    lowest = min(100 * s["success"] for _, _, steps in runs for s in steps)
    ok_ax.set_ylim(min(lowest, 99.0) - 0.5, 100.5)  # the 99.9 % line stays readable
    rates = sorted({s["cps"] for _, _, steps in runs for s in steps})
    for ax in (ok_ax, p99_ax):
        ax.set_xticks(rates, [f"{r:g}" for r in rates], fontsize=7, rotation=60)
        ax.minorticks_off()
        ax.grid(True, linewidth=0.3)
    p99_ax.legend(fontsize=7, loc="upper left")
    fig.savefig(path, dpi=110)
    return True
