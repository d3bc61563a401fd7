"""scripts/bench --sipp: P1 and P2 driven by SIPp (Debian's sip-tester), the tool the field
uses for SIP load, so that the figures can be set beside published SIPp figures and beside
our own generator's (bench/sipua.py).

SIPp plays both ends, as our generator does: bench/sipp/carrier.xml is the carrier (UAC:
INVITE, answered, held, BYE) from the plain or the callctl trunk's address, and
bench/sipp/phone.xml the staff phone (UAS: 180 then 200 at once). A SIPp UAS cannot
REGISTER with digest auth in its own scenario, so bench/sipp/register.xml registers the
phone's login first from the very address and port the UAS then listens on (Asterisk
rewrites the contact to the REGISTER's source). SIPp's UAC and UAS are two processes with
two clocks, so ring start (INVITE sent -> phone reads INVITE) cannot be timed across them:
SIPp reports setup time instead (INVITE sent -> 200 OK read by the carrier; the phone
answers at once, so it is ring start plus the answer's way back).
"""
from __future__ import annotations

import asyncio
import csv
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from .harness import NUMBER, ProcStat, Sandbox
from . import load
from .load import PATHS, SETUP_P99_LIMIT_MS, pct, summary

SCENARIOS = Path(__file__).resolve().parent / "sipp"
PHONE_MEDIA_PORT, CARRIER_MEDIA_PORT = 6100, 6200  # SIPp binds them; nothing is sent
CALL_TIMEOUT_MS = 15000  # as our generator: a call with no answer for 15 s has failed


def _free_udp_port(host: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


class SippLab:
    """The SIPp phone registered as the bench's login, and the carriers' addresses."""

    def __init__(self, box: Sandbox, login: str, password: str):
        self.box, self.login, self.password = box, login, password
        self.workdir = Path(tempfile.mkdtemp(prefix="callctl-bench-sipp-"))
        self.host, self.port = "127.0.0.1", _free_udp_port("127.0.0.1")
        self.phone: subprocess.Popen | None = None

    def start(self, daemon) -> "SippLab":
        st = self.box.state
        registrar = f"127.0.0.1:{st['staff_port']}"
        done = subprocess.run(
            ["sipp", registrar, "-sf", str(SCENARIOS / "register.xml"), "-i", self.host,
             "-p", str(self.port), "-s", self.login, "-au", self.login, "-ap", self.password,
             "-m", "1", "-nostdin", "-timeout", "10s", "-timeout_error"],
            cwd=self.workdir, capture_output=True, text=True, timeout=30)
        if done.returncode != 0:
            raise SystemExit(f"bench --sipp: SIPp could not register {self.login} at "
                             f"{registrar} (exit {done.returncode}): {done.stderr[-500:]}")
        self.phone = subprocess.Popen(
            ["sipp", "-sf", str(SCENARIOS / "phone.xml"), "-i", self.host, "-p", str(self.port),
             "-mp", str(PHONE_MEDIA_PORT), "-timer_resol", "1", "-nostdin", "-trace_err"],
            cwd=self.workdir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        daemon.wait_online(self.login)
        return self

    def close(self) -> None:
        if self.phone and self.phone.poll() is None:
            self.phone.terminate()
            self.phone.wait(10)
        shutil.rmtree(self.workdir, ignore_errors=True)

    def carrier(self, path: str, cps: float, calls: int, limit: int, hold_ms: int) -> dict:
        """One SIPp carrier run to completion: per-call setup times, outcome counts, and the
        generator's CPU (its rusage, read as it exits)."""
        st = self.box.state
        host = st["carrier_host"] if path == "callctl" else "127.0.0.4"
        number = NUMBER if path == "callctl" else self.login
        run = Path(tempfile.mkdtemp(dir=self.workdir))
        seconds = calls / cps + hold_ms / 1000 + CALL_TIMEOUT_MS / 1000 + 10
        proc = subprocess.Popen(
            ["sipp", f"127.0.0.1:{st['trunk_port']}", "-sf", str(SCENARIOS / "carrier.xml"),
             "-i", host, "-p", str(st["carrier_port"]), "-mp", str(CARRIER_MEDIA_PORT),
             "-s", number, "-r", f"{cps:g}", "-m", str(calls), "-l", str(limit),
             "-d", str(hold_ms), "-timer_resol", "1", "-recv_timeout", str(CALL_TIMEOUT_MS),
             "-timeout", f"{seconds:.0f}s", "-nostdin", "-trace_rtt", "-rtt_freq", "1",
             "-trace_stat", "-stf", "stat.csv", "-fd", "1", "-trace_err"],
            cwd=run, stdout=subprocess.DEVNULL, stderr=(run / "stderr.txt").open("wb"))
        started = time.perf_counter()
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        wall = time.perf_counter() - started
        setup = [float(row["response_time_ms"]) for f in run.glob("*_rtt.csv")
                 for row in csv.DictReader(f.open(), delimiter=";")
                 if row.get("rtd_no") in ("1", "setup")]  # the scenario's one response time
        stat = run / "stat.csv"
        rows = list(csv.DictReader(stat.open(), delimiter=";")) if stat.exists() else []
        last = rows[-1] if rows else {}
        errors = [line for f in run.glob("*_errors.log")
                  for line in f.read_text(errors="replace").splitlines() if line.strip()]
        counts = {k[:-3]: int(v) for k, v in last.items()
                  if k and k.endswith("(C)") and v and v.strip().isdigit()}
        failed = {k: v for k, v in counts.items() if k.startswith("Failed") and v
                  and k != "FailedCall"}
        return {"setup_ms": setup, "ok": counts.get("SuccessfulCall", 0),
                "failed": counts.get("FailedCall", 0), "placed": counts.get("OutgoingCall", 0),
                "retransmissions": counts.get("Retransmissions", 0), "errors": failed,
                "exit": proc.returncode, "error_sample": errors[:40],
                "stderr": (run / "stderr.txt").read_text(errors="replace")[-300:],
                "generator_cpu_pct": round(100 * (usage.ru_utime + usage.ru_stime) / wall)}

    def settle(self) -> dict:
        channels, bridges = self.box.leftovers()
        if channels or bridges:
            self.box.clear()
        return {"channels": channels, "bridges": bridges}


def p1(lab: SippLab, calls_per_path: int, concurrency: int, rounds: int = 4) -> dict:
    """Setup time, paths alternating in rounds so the machine's noise lands on both. One at
    a time: at most 40 calls a second (a call takes a few ms: each call's teardown is over
    before the next); 20 concurrent: SIPp keeps 20 calls in setup, back to back."""
    cps = 40 if concurrency == 1 else 1000
    runs: dict[str, list[dict]] = {p: [] for p in PATHS}
    for i in range(rounds):
        for path in (PATHS if i % 2 == 0 else PATHS[::-1]):
            runs[path].append(lab.carrier(path, cps, calls_per_path // rounds, concurrency, 0))
    lab_left = lab.settle()
    out = {"concurrency": concurrency, "left_behind": lab_left}
    for path, done in runs.items():
        setup = [v for r in done for v in r["setup_ms"]]
        out[path] = {**summary(setup), "failed": sum(r["failed"] for r in done),
                     "retransmissions": sum(r["retransmissions"] for r in done)}
    out["added_median_ms"] = _sub(out["callctl"]["median_ms"], out["plain"]["median_ms"])
    out["added_p99_ms"] = _sub(out["callctl"]["p99_ms"], out["plain"]["p99_ms"])
    return out


def _sub(a, b):
    return None if a is None or b is None else round(a - b, 2)


def rate_step(lab: SippLab, path: str, cps: float, seconds: float, hold_s: float,
              stats: dict[str, ProcStat]) -> dict:
    """Open loop at cps for `seconds`, as load.rate_step; SIPp's call limit (the calls the
    rate and hold explain, plus a second's worth) stands for the early stop: past it SIPp
    stops placing calls, and calls never placed count as failed."""
    for s in stats.values():
        s.mark()
    mark = lab.box.log_mark()
    n = int(cps * seconds)
    r = lab.carrier(path, cps, n, int(cps * (hold_s + 1) + 20), int(hold_s * 1000))
    cpu = {name: round(s.cpu_pct()) for name, s in stats.items()}
    cpu["generator"] = r["generator_cpu_pct"]
    success = r["ok"] / n
    p99 = pct(r["setup_ms"], 99)
    return {"path": path, "cps": cps, "planned": n, "calls": r["placed"], "ok": r["ok"],
            "aborted": None, "success": round(success, 4),
            "setup_median_ms": pct(r["setup_ms"], 50), "setup_p99_ms": p99, "cpu_pct": cpu,
            "errors": r["errors"], "invite_retransmissions": r["retransmissions"],
            "asterisk_overload_warnings": lab.box.overloads_since(mark),
            "passed": success >= 0.999 and (p99 or 1e9) <= SETUP_P99_LIMIT_MS,
            "sipp_exit": r["exit"], "left_behind": lab.settle()}


async def run(box: Sandbox, daemon, account: tuple, prof: dict, say) -> dict:
    """Our generator's P1 first (its setup times, for the comparison), then SIPp's P1 and P2
    on the same daemon; the phone's registration moves from our UA to SIPp's between."""
    ours = await load.Lab(box, *account).ready(daemon)
    try:
        own = {key: await load.p1(ours, prof["p1_calls"], c) for key, c in (("p1", 1),
                                                                              ("p1_c20", 20))}
    finally:
        ours.close()
    lab = await asyncio.to_thread(SippLab(box, *account).start, daemon)
    try:
        out = {}
        for key, c in (("p1", 1), ("p1_c20", 20)):
            out[key] = await asyncio.to_thread(p1, lab, prof["p1_calls"], c)
            out[key]["own_generator_setup_median_ms"] = {
                p: own[key][p]["setup_median_ms"] for p in PATHS}
            say(f"SIPp P1 c{c} setup median / p99: plain {out[key]['plain']['median_ms']} / "
                f"{out[key]['plain']['p99_ms']} ms, callctl {out[key]['callctl']['median_ms']} "
                f"/ {out[key]['callctl']['p99_ms']} ms; ours (median): "
                f"{out[key]['own_generator_setup_median_ms']}")
        pid = daemon.proc.pid
        stats = {"asterisk": ProcStat(box.pid), "daemon": ProcStat(pid),
                 "daemon_loop": ProcStat(pid, tid=pid), "phone": ProcStat(lab.phone.pid)}

        async def step(*args):
            return await asyncio.to_thread(rate_step, *args)

        out["p2"] = p2 = await load.p2(lab, prof["p2_rates"], prof["p2_seconds"],
                                       prof["p2_hold"], prof["p2_refine"], stats, say,
                                       run_step=step)
        p2["ratio"] = round(p2["callctl_cps"] / p2["plain_cps"], 3) if p2["plain_cps"] else None
        return out
    finally:
        lab.close()
