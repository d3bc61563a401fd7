"""The load patterns: P1 ring-start, P2 call rate, P3 concurrency and the soak.

Both paths are driven by the same code and ring the same phone; only the trunk differs:
  plain    the carrier at 127.0.0.4 -> context bench-plain -> Dial(PJSIP/<login>)
  callctl  the carrier at 127.0.0.2 -> callctl-inbound -> Stasis -> the daemon's scheme
"""
from __future__ import annotations

import asyncio
import itertools
import json
import signal
import subprocess
import sys
import time
from pathlib import Path

from .harness import NUMBER, ProcStat, Sandbox
from .sipua import Call, Caller, Phone

PATHS = ("plain", "callctl")


def pct(values: list[float], q: float) -> float | None:
    """The q-th percentile (nearest rank, so p99 of 200 samples is the 2nd largest)."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(q / 100 * len(ordered) + 0.5)))
    return round(ordered[rank - 1], 2)


def summary(values: list[float]) -> dict:
    return {"n": len(values), "median_ms": pct(values, 50), "p99_ms": pct(values, 99),
            "min_ms": round(min(values), 2) if values else None}


class Lab:
    """The phone and both carriers on one event loop; unique caller numbers tie the
    phone's INVITE to the caller's call."""

    def __init__(self, box: Sandbox, login: str, password: str):
        self.box, self.login, self.password = box, login, password
        self.rang: dict[str, float] = {}  # caller number -> when the phone read its INVITE
        self._numbers = itertools.count(1)

    async def start(self) -> "Lab":
        st = self.box.state
        trunk = ("127.0.0.1", st["trunk_port"])
        self.phone = await Phone("127.0.0.1", ("127.0.0.1", st["staff_port"]),
                                 self._on_invite).start()
        await self.phone.register(self.login, self.password)
        # Port carrier_port (offset): the test suite's carrier uses 5060 on the same address.
        self.uas = {"callctl": await Caller(st["carrier_host"], st["carrier_port"], trunk).start(),
                    "plain": await Caller("127.0.0.4", st["carrier_port"], trunk).start()}
        return self

    async def ready(self, daemon) -> "Lab":
        """Started, and the daemon has seen the phone register (routing skips it before)."""
        await self.start()
        await asyncio.to_thread(daemon.wait_online, self.login)
        return self

    def close(self) -> None:
        self.phone.close()
        for ua in self.uas.values():
            ua.close()

    def _on_invite(self, msg, t: float) -> None:
        self.rang[msg.from_user] = t

    async def call(self, path: str, hold_s: float = 0.0, on_answer=None) -> Call:
        caller = f"+1777{next(self._numbers):08d}"
        number = self.login if path == "plain" else NUMBER
        c = await self.uas[path].call(number, caller, hold_s, on_answer=on_answer)
        c.t_phone = self.rang.pop(caller, 0.0)
        if c.ok and not c.t_phone:  # answered by a prompt, not by the phone: not a success
            c.ok, c.error = False, "answered, but the phone never rang"
        return c


async def _settle(lab: Lab) -> dict:
    """Between phases: every channel and bridge gone. What is still there after a bounded
    wait is reported, then hung up, so that one overloaded step cannot spoil the next."""
    channels, bridges = await asyncio.to_thread(lab.box.leftovers)
    if channels or bridges:
        await asyncio.to_thread(lab.box.clear)
    lab.rang.clear()
    await asyncio.sleep(0.5)
    return {"channels": channels, "bridges": bridges}


def _errors(calls: list[Call]) -> dict:
    counts: dict[str, int] = {}
    for c in calls:
        if not c.ok:
            counts[c.error or "?"] = counts.get(c.error or "?", 0) + 1
    return counts


# -- P1 ------------------------------------------------------------------------------------

async def p1(lab: Lab, calls_per_path: int, concurrency: int, paths=PATHS) -> dict:
    """Ring-start latency; plain and callctl calls alternate in every worker, so the noise
    of this shared machine lands on both alike. Calls are answered and hung up at once."""
    done: dict[str, list[Call]] = {p: [] for p in paths}
    per_worker = max(1, calls_per_path // concurrency)

    async def worker(i: int) -> None:
        order = paths if i % 2 == 0 else paths[::-1]
        for _ in range(per_worker):
            for path in order:
                done[path].append(await lab.call(path))
                if concurrency == 1:
                    await asyncio.sleep(0.02)  # let the last call's teardown finish first

    started, mark = time.monotonic(), lab.box.log_mark()
    await asyncio.gather(*(worker(i) for i in range(concurrency)))
    out = {"concurrency": concurrency, "seconds": round(time.monotonic() - started, 1),
           "asterisk_overload_warnings": lab.box.overloads_since(mark)}
    for path in paths:
        ok = [c for c in done[path] if c.ok and c.ring_ms is not None]
        out[path] = summary([c.ring_ms for c in ok])
        out[path]["setup_median_ms"] = pct([c.setup_ms for c in ok], 50)
        out[path]["failed"] = len(done[path]) - len(ok)
        out[path]["invite_retransmissions"] = sum(c.resent for c in done[path])
        out[path]["errors"] = _errors(done[path])
    if "callctl" in paths and "plain" in paths:
        out["added_median_ms"] = _sub(out["callctl"]["median_ms"], out["plain"]["median_ms"])
        out["added_p99_ms"] = _sub(out["callctl"]["p99_ms"], out["plain"]["p99_ms"])
    out["left_behind"] = await _settle(lab)
    return out


def _sub(a, b):
    return None if a is None or b is None else round(a - b, 2)


# -- P2 ------------------------------------------------------------------------------------

SETUP_P99_LIMIT_MS = 1000  # a rate is "steady" only if answers still come within a second


async def rate_step(lab: Lab, path: str, cps: float, seconds: float, hold_s: float,
                    stats: dict[str, ProcStat]) -> dict:
    """Open loop: call i starts at i/cps whatever happened to the others. A step stops
    early once it has failed for sure: more failures than 0.1 % allows, or a backlog (more
    calls in flight than the rate and the hold time explain, plus a second's worth)."""
    loop = asyncio.get_running_loop()
    for s in stats.values():
        s.mark()
    mark = lab.box.log_mark()
    n, failed, in_flight = int(cps * seconds), 0, 0
    backlog = cps * (hold_s + 1) + 20

    def done(task: asyncio.Task) -> None:
        nonlocal failed, in_flight
        in_flight -= 1
        failed += task.cancelled() or task.exception() is not None or not task.result().ok

    t0, tasks, aborted = loop.time(), [], None
    for i in range(n):
        await asyncio.sleep(max(0.0, t0 + i / cps - loop.time()))
        if failed > n * 0.001 or in_flight > backlog:
            aborted = f"after {i} calls: {failed} failed, {in_flight} in flight"
            break
        in_flight += 1
        tasks.append(asyncio.create_task(lab.call(path, hold_s)))
        tasks[-1].add_done_callback(done)
    lateness = loop.time() - (t0 + (len(tasks) - 1) / cps)  # the generator keeping up?
    calls = await asyncio.gather(*tasks)
    cpu = {name: round(s.cpu_pct()) for name, s in stats.items()}
    ok = [c for c in calls if c.ok]
    setup = [c.setup_ms for c in ok]
    success = len(ok) / n  # calls never placed (an aborted step) count as failed
    return {"path": path, "cps": cps, "planned": n, "calls": len(calls), "ok": len(ok),
            "aborted": aborted,
            "success": round(success, 4), "setup_median_ms": pct(setup, 50),
            "setup_p99_ms": pct(setup, 99), "cpu_pct": cpu,
            "generator_late_s": round(lateness, 3), "errors": _errors(calls),
            "invite_retransmissions": sum(c.resent for c in calls),
            "asterisk_overload_warnings": lab.box.overloads_since(mark),
            "passed": success >= 0.999 and (pct(setup, 99) or 1e9) <= SETUP_P99_LIMIT_MS,
            "left_behind": await _settle(lab)}


async def p2(lab: Lab, rates: list[int], seconds: float, hold_s: float, refine: int,
             stats: dict[str, ProcStat], say, paths=PATHS, run_step=rate_step) -> dict:
    """Stepped search per path: climb the rates until a step fails, then bisect `refine`
    times between the last pass and the first failure. The paths alternate at each rate.
    `run_step` places one step's calls (our generator's here; SIPp's in bench/sipp.py)."""
    steps: list[dict] = []
    best = {p: 0.0 for p in paths}
    failed_at: dict[str, float] = {}

    async def step(path, cps):
        result = await run_step(lab, path, cps, seconds, hold_s, stats)
        say(f"P2 {path:7} {cps:5.0f} cps: {result['ok']}/{result['planned']} ok, setup p99 "
            f"{result['setup_p99_ms']} ms, cpu {result['cpu_pct']}, INVITEs resent "
            f"{result['invite_retransmissions']}, overload warnings "
            f"{result['asterisk_overload_warnings']}"
            f"{'' if result['passed'] else '  FAILED ' + json.dumps(result['errors'])}"
            f"{' aborted ' + result['aborted'] if result['aborted'] else ''}")
        steps.append(result)
        if result["passed"]:
            best[path] = max(best[path], cps)
        else:
            failed_at[path] = min(failed_at.get(path, 1e9), cps)

    for cps in rates:
        for path in paths:
            if path not in failed_at:
                await step(path, cps)
        if len(failed_at) == len(paths):
            break
    for _ in range(refine):
        for path in paths:
            if path in failed_at and failed_at[path] - best[path] > 2:
                await step(path, round((best[path] + failed_at[path]) / 2))
    limited = {p: (f"failed at {failed_at[p]:.0f} cps" if p in failed_at
                   else f"passed every step up to {rates[-1]} cps (the search's ceiling)")
               for p in paths}
    return {**{f"{p}_cps": best[p] for p in paths}, "step_seconds": seconds,
            "hold_s": hold_s, "limit": limited, "steps": steps}


# -- P3 ------------------------------------------------------------------------------------

class LagProbe:
    """bench/lagprobe.py in its own process: /health round-trips while it runs."""

    def __init__(self, port: int, interval: float = 0.02):
        self.proc = subprocess.Popen(
            [sys.executable, str(Path(__file__).with_name("lagprobe.py")), str(port),
             str(interval)], stdout=subprocess.PIPE, text=True)

    def stop(self) -> dict:
        self.proc.send_signal(signal.SIGTERM)
        out, _ = self.proc.communicate(timeout=10)
        data = json.loads(out)
        rtts = data["rtt_ms"]
        return {"p50_ms": pct(rtts, 50), "p99_ms": pct(rtts, 99),
                "max_ms": round(max(rtts), 2) if rtts else None, "samples": len(rtts),
                "errors": data["errors"]}


async def hold_step(lab: Lab, n: int, ramp_cps: float, hold_s: float, release_cps: float,
                    daemon: ProcStat, asterisk: ProcStat, health_port: int, health) -> dict:
    """Bring n callctl calls up at ramp_cps, hold them all for hold_s while measuring the
    daemon, then hang them up at release_cps. The daemon's own loop-lag figure (/health,
    p99 over its last minute) is read after the ramp and after the hold."""
    loop = asyncio.get_running_loop()
    release = asyncio.Event()
    up = 0
    all_up = asyncio.Event()
    order = itertools.count()

    async def held(c: Call) -> None:
        nonlocal up
        up += 1
        if up == n:
            all_up.set()
        await release.wait()
        await asyncio.sleep(next(order) / release_cps)  # a gentle hang-up wave

    probe = LagProbe(health_port)
    daemon.mark()
    t0, tasks = loop.time(), []
    for i in range(n):
        await asyncio.sleep(max(0.0, t0 + i / ramp_cps - loop.time()))
        tasks.append(asyncio.create_task(lab.call("callctl", on_answer=held)))
    # Every call answered, or some failed: then the step fails; bounded either way.
    gathering = asyncio.gather(*tasks)
    waiter = asyncio.ensure_future(all_up.wait())
    await asyncio.wait([waiter, gathering], timeout=30, return_when=asyncio.FIRST_COMPLETED)
    ramp_cpu = daemon.cpu_pct()
    ramp_lag = probe.stop()
    out = {"calls": n, "up": up, "ramp_cps": ramp_cps, "ramp_cpu_pct": round(ramp_cpu, 1),
           "ramp_health_rtt": ramp_lag,
           "ramp_loop_lag_p99_ms": (await asyncio.to_thread(health)).get("loop_lag_p99_ms")}
    if up:  # measured even when some calls failed: the report says how many were held
        probe = LagProbe(health_port)
        daemon.mark()
        asterisk.mark()
        await asyncio.sleep(hold_s)
        channels = len(await asyncio.to_thread(lab.box.ari, "/channels"))
        bridges = len(await asyncio.to_thread(lab.box.call_bridges))
        out.update(hold_s=hold_s, rss_mb=round(daemon.rss_mb(), 1),
                   hold_cpu_pct=round(daemon.cpu_pct(), 1), hold_health_rtt=probe.stop(),
                   hold_loop_lag_p99_ms=(await asyncio.to_thread(health)).get("loop_lag_p99_ms"),
                   asterisk_channels=channels, asterisk_bridges=bridges,
                   daemon_threads=daemon.threads(), daemon_fds=daemon.fds(),
                   asterisk_cpu_pct=round(asterisk.cpu_pct(), 1),
                   asterisk_rss_mb=round(asterisk.rss_mb(), 1), asterisk_fds=asterisk.fds(),
                   asterisk_fd_limit=asterisk.fd_limit(), asterisk_threads=asterisk.threads())
    release.set()
    waiter.cancel()
    calls = await gathering
    out["ok"] = sum(c.ok for c in calls)
    out["errors"] = _errors(calls)
    out["passed"] = all_up.is_set() and out["ok"] == n and out.get("asterisk_bridges") == n
    out["left_behind"] = await _settle(lab)
    return out


# -- soak ----------------------------------------------------------------------------------

async def soak(lab: Lab, calls: int, concurrency: int, hold_s: float, daemon: ProcStat,
               health, say, growth_limit_pct: float = 5.0) -> dict:
    """Calls in a row through callctl (`concurrency` at a time), RSS sampled as they go."""
    warmup = max(200, calls // 10)  # caches and pools filled before RSS is read
    say(f"soak: {warmup} warm-up calls, then {calls}")
    await _run_closed(lab, warmup, concurrency, hold_s)
    await _settle(lab)
    rss_start = daemon.rss_mb()
    samples = [(0, round(rss_start, 1))]
    failed, errors, t0 = 0, {}, time.monotonic()
    chunk = max(1, calls // 10)
    for start in range(0, calls, chunk):
        batch = await _run_closed(lab, min(chunk, calls - start), concurrency, hold_s)
        failed += sum(not c.ok for c in batch)
        for k, v in _errors(batch).items():
            errors[k] = errors.get(k, 0) + v
        samples.append((start + len(batch), round(daemon.rss_mb(), 1)))
        say(f"soak: {samples[-1][0]} calls, daemon RSS {samples[-1][1]} MB, {failed} failed")
    seconds = time.monotonic() - t0
    left = await _settle(lab)
    rss_end = daemon.rss_mb()
    h = await asyncio.to_thread(health)
    return {"calls": calls, "failed": failed, "errors": errors, "concurrency": concurrency,
            "hold_s": hold_s, "seconds": round(seconds, 1),
            "rss_start_mb": round(rss_start, 1), "rss_end_mb": round(rss_end, 1),
            "rss_growth_pct": round(100 * (rss_end - rss_start) / rss_start, 2),
            "rss_samples": samples, "ari_channels_after": left["channels"],
            "ari_bridges_after": left["bridges"], "daemon_calls_after": h.get("calls"),
            "passed": (failed == 0 and left == {"channels": 0, "bridges": 0}
                       and 100 * (rss_end - rss_start) / rss_start <= growth_limit_pct),
            "rss_growth_limit_pct": growth_limit_pct}


async def _run_closed(lab: Lab, n: int, concurrency: int, hold_s: float) -> list[Call]:
    todo = iter(range(n))
    out: list[Call] = []

    async def worker():
        for _ in todo:
            out.append(await lab.call("callctl", hold_s))

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return out
