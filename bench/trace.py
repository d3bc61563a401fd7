"""Where a call's time goes inside the daemon: `scripts/bench --trace`.

Runs the real daemon with two wrappers put around it from outside (no callctl file is
changed): every ARI REST request and every ARI event is timestamped with the system-wide
monotonic clock, which the load generator's `perf_counter()` shares. So one call's ring-start
splits into: Asterisk to Stasis, the daemon until its originate leaves, the originate
round-trip, Asterisk to the phone. Also counted per call: ARI requests (and their times),
ARI events by type (for callctl calls and for plain calls the daemon never handles), and
the daemon's CPU split between its event-loop thread and its worker threads.

    python -m bench.trace daemon OUT.json -c callctl.yaml   # the instrumented daemon
"""
from __future__ import annotations

import asyncio
import atexit
import json
import re
import statistics
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

from . import load
from .harness import CLK_TCK, Daemon, Sandbox


def instrumented_daemon(out: str, argv: list[str]) -> None:
    from callctl import app, cli
    from callctl.pbx import ari

    requests, events = [], []
    plain_request = ari.Ari.request

    async def request(self, method, path, *, params=None, body=None):
        t0 = time.perf_counter()
        try:
            return await plain_request(self, method, path, params=params, body=body)
        finally:
            requests.append((t0, time.perf_counter(), method, path))

    plain_on_event = app.Daemon.on_event

    def on_event(self, ev):
        caller = (ev.channel.get("caller") or {}).get("number")
        events.append((time.perf_counter(), ev.type, ev.channel_id, caller,
                       ev.raw.get("variable")))
        return plain_on_event(self, ev)

    ari.Ari.request, app.Daemon.on_event = request, on_event
    atexit.register(lambda: Path(out).write_text(json.dumps(
        {"requests": requests, "events": events})))
    sys.argv = ["callctl", "run", *argv]
    sys.exit(cli.main())


def _shape(path: str) -> str:
    """'/channels/callctl-1795.4-ab12/answer' -> '/channels/{id}/answer'."""
    return re.sub(r"/(callctl-[^/]+|\d+\.\d+)(?=/|$)", "/{id}", path)


def thread_cpu(pid: int) -> dict[str, float]:
    """CPU seconds per thread kind: the event loop (main thread) vs the rest."""
    out: dict[str, float] = defaultdict(float)
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        kind = "event loop" if task.name == str(pid) else "other threads"
        out[kind] += (int(fields[11]) + int(fields[12])) / CLK_TCK
    return dict(out)


def _med(values) -> float | None:
    values = list(values)
    return round(statistics.median(values), 2) if values else None


async def _calls(lab: load.Lab, path: str, n: int) -> list:
    calls = []
    for _ in range(n):
        calls.append(await lab.call(path))
        await asyncio.sleep(0.05)  # one call at a time, its teardown finished
    return calls


async def drive(box: Sandbox, daemon: Daemon, account: tuple, n: int) -> dict:
    lab = await load.Lab(box, *account).ready(daemon)
    try:
        windows = {}
        for path in ("plain", "callctl"):
            await asyncio.sleep(1)
            cpu0, t0 = thread_cpu(daemon.proc.pid), time.perf_counter()
            calls = await _calls(lab, path, n)
            await asyncio.sleep(0.5)
            cpu1 = thread_cpu(daemon.proc.pid)
            windows[path] = (t0, time.perf_counter(), calls,
                             {k: round(1000 * (cpu1[k] - cpu0.get(k, 0)) / n, 2) for k in cpu1})
        return windows
    finally:
        lab.close()


def analyse(windows: dict, trace: dict) -> dict:
    out = {}
    for path, (t0, t1, calls, cpu) in windows.items():
        evs = [e for e in trace["events"] if t0 <= e[0] <= t1]
        reqs = [r for r in trace["requests"] if t0 <= r[0] <= t1]
        n = len(calls)
        by_req = defaultdict(list)
        for r in reqs:
            by_req[f"{r[2]} {_shape(r[3])}"].append((r[1] - r[0]) * 1000)
        out[path] = {
            "calls": n, "ring_start_median_ms": _med(c.ring_ms for c in calls if c.ring_ms),
            "daemon_cpu_ms_per_call": cpu,
            "ari_events_per_call": round(len(evs) / n, 1),
            "ari_events_by_type": {k: round(v / n, 2) for k, v in
                                   Counter(e[1] for e in evs).most_common()},
            "varset_variables": dict(Counter(e[4] for e in evs if e[4]).most_common(8)),
            "ari_requests_per_call": round(len(reqs) / n, 2),
            "ari_requests": {k: {"per_call": round(len(v) / n, 2), "median_ms": _med(v)}
                             for k, v in by_req.items()}}
    # One callctl call's ring-start, step by step (medians over the calls).
    _, _, calls, _ = windows["callctl"]
    stasis = {}  # the caller's StasisStart: the first one with its number (the leg's follows)
    for e in trace["events"]:
        if e[1] == "StasisStart" and e[3]:
            stasis.setdefault(e[3], e[0])
    originates = sorted((r for r in trace["requests"] if r[2] == "POST" and r[3] == "/channels"),
                        key=lambda r: r[0])
    steps = defaultdict(list)
    for c in calls:
        s = stasis.get(c.caller)
        o = next((r for r in originates if s is not None and r[0] >= s), None)
        if s is None or o is None or not c.t_phone:
            continue
        steps["1 INVITE sent -> StasisStart read by the daemon"].append((s - c.t_invite) * 1e3)
        steps["2 StasisStart -> originate POST sent"].append((o[0] - s) * 1e3)
        steps["3 originate POST sent -> phone reads INVITE"].append((c.t_phone - o[0]) * 1e3)
        steps["4 originate POST round-trip (HTTP answer)"].append((o[1] - o[0]) * 1e3)
    out["ring_start_steps_median_ms"] = {k: _med(v) for k, v in sorted(steps.items())}
    return out


def run(box: Sandbox, n: int = 100) -> dict:
    daemon = Daemon(box, box.home / "trace")
    account = daemon.make_company()
    trace_file = box.home / "trace" / "trace.json"
    trace_file.unlink(missing_ok=True)
    daemon.start([sys.executable, "-m", "bench.trace", "daemon", str(trace_file), "-c",
                  str(daemon.path)])
    try:
        windows = asyncio.run(drive(box, daemon, account, n))
    finally:
        daemon.stop()
    return analyse(windows, json.loads(trace_file.read_text()))


if __name__ == "__main__" and sys.argv[1:2] == ["daemon"]:
    instrumented_daemon(sys.argv[2], sys.argv[3:])
