"""Where the daemon's CPU goes: `scripts/bench --profile`.

The daemon runs as ops run it; py-spy (a sampling profiler, a separate process that reads
the daemon's memory, so the daemon runs unmodified and nearly at full speed) samples every
thread while callctl calls arrive at a steady rate. The result is the top functions by own
time ("self": the function itself was on the CPU) and by time spent inside them and what
they called ("total"), for the event-loop thread and for the others, in ms per call.
"""
from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from . import load
from .harness import Daemon, Sandbox
from .trace import thread_cpu

RATE_HZ = 250  # samples per second per thread
# py-spy counts a thread blocked in these as running here: their samples are waiting, not
# work, and are left out (the /proc CPU figures beside the table are the exact totals).
WAITING = ("EpollSelector.select (", "_worker (concurrent/futures/thread.py",
           "CallRecorder._run (", "Condition.wait (", "Event.wait (",
           "Runner.run (asyncio/runners.py")  # uvloop: its C loop, mostly waiting in epoll
SPY = Path(sys.executable).parent / "py-spy"


async def _drive(lab: load.Lab, cps: float, seconds: float, hold_s: float) -> list:
    loop = asyncio.get_running_loop()
    t0, tasks = loop.time(), []
    for i in range(int(cps * seconds)):
        await asyncio.sleep(max(0.0, t0 + i / cps - loop.time()))
        tasks.append(asyncio.create_task(lab.call("callctl", hold_s)))
    return await asyncio.gather(*tasks)


def _frame(frame: str) -> str:
    """'request (callctl/pbx/ari.py:70)' -> 'request (callctl/pbx/ari.py)': one row per
    function, whichever of its lines was running."""
    name, _, where = frame.partition(" (")
    return f"{name} ({where.rsplit(':', 1)[0].rstrip(')')})" if where else name


def top(raw: str, main_tid: int, calls: int, n: int = 15) -> dict:
    """py-spy's raw (collapsed) stacks -> the top functions per thread kind, ms per call."""
    per_sample_ms = 1000 / RATE_HZ
    kinds: dict[str, tuple[Counter, Counter]] = {}
    samples: Counter = Counter()
    for line in raw.splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack:
            continue
        frames = stack.split(";")
        # With --threads the first frame is "thread (0x…)" or "process … thread (…)".
        tid_frame = frames.pop(0)
        kind = "event loop" if f"({hex(main_tid)})" in tid_frame.lower() or \
            f"{main_tid}" in tid_frame else "other threads"
        if frames and frames[-1].startswith(WAITING):
            continue
        own, total = kinds.setdefault(kind, (Counter(), Counter()))
        c = int(count)
        samples[kind] += c
        if frames:
            own[_frame(frames[-1])] += c
        for f in {_frame(f) for f in frames}:
            total[f] += c

    def rows(counter: Counter) -> list:
        return [[f, round(c * per_sample_ms / calls, 3)] for f, c in counter.most_common(n)]

    return {kind: {"ms_per_call": round(samples[kind] * per_sample_ms / calls, 2),
                   "self": rows(own), "total": rows(total)}
            for kind, (own, total) in kinds.items()}


def run(box: Sandbox, cps: float = 40, seconds: float = 20, hold_s: float = 1.0) -> dict:
    daemon = Daemon(box, box.home / "profile")
    account = daemon.make_company()
    daemon.start()
    out_file = box.home / "profile" / "pyspy.txt"
    try:
        return asyncio.run(_profile(box, daemon, account, out_file, cps, seconds, hold_s))
    finally:
        daemon.stop()


async def _profile(box, daemon, account, out_file: Path, cps, seconds, hold_s) -> dict:
    lab = await load.Lab(box, *account).ready(daemon)
    pid = daemon.proc.pid
    try:
        await _drive(lab, 10, 1, 0)  # warm up: first-call imports and connections
        await asyncio.sleep(1.5)
        spy = subprocess.Popen([str(SPY), "record", "--pid", str(pid), "--rate", str(RATE_HZ),
                                "--format", "raw", "--threads", "--nonblocking",
                                "--output", str(out_file)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        await asyncio.sleep(1)  # py-spy attached
        cpu0, t0 = thread_cpu(pid), time.monotonic()
        calls = await _drive(lab, cps, seconds, hold_s)
        await asyncio.sleep(0.5)
        cpu1, t1 = thread_cpu(pid), time.monotonic()
        spy.send_signal(2)  # SIGINT: py-spy writes what it has and exits
        _, err = await asyncio.to_thread(spy.communicate, timeout=30)
    finally:
        lab.close()
    n = len(calls)
    ok = sum(c.ok for c in calls)
    if not out_file.exists():
        raise SystemExit(f"bench: py-spy wrote nothing: {err.decode(errors='replace')}")
    return {"cps": cps, "seconds": seconds, "hold_s": hold_s, "calls": n, "ok": ok,
            "cpu_ms_per_call": {k: round(1000 * (cpu1[k] - cpu0.get(k, 0)) / n, 2)
                                for k in cpu1},
            "cpu_pct": round(100 * sum(cpu1[k] - cpu0.get(k, 0) for k in cpu1) / (t1 - t0), 1),
            "top": top(out_file.read_text(), pid, n)}
