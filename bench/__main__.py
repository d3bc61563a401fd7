"""scripts/bench [--quick] [--soak]: what the daemon adds to plain Asterisk (see README.md).

Without --soak: P4 (pure), then P1, P2, P3 on one daemon. With --soak: only the leak soak,
on a fresh daemon. Each run replaces its own sections of results/latest.json and keeps
the others, then rewrites results/latest.md from the whole file.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

# Never the test suite's sandbox: a dir and ports of our own unless told otherwise.
os.environ.setdefault("CALLCTL_SANDBOX_DIR", str(Path(__file__).resolve().parent.parent /
                                                 ".sandbox-bench"))
os.environ.setdefault("CALLCTL_SANDBOX_PORT_OFFSET", "300")
os.environ.setdefault("CALLCTL_SANDBOX_RTP", "25000-34999")

from . import load, p4, plot, prompts, queued, report, screen_pop, sipp, spy, trace  # noqa: E402
from .harness import REPO, Daemon, ProcStat, Sandbox  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"

PROFILES = {
    "full": {"p1_calls": 300, "p2_rates": [10, 20, 40, 80, 160, 320, 640], "p2_seconds": 15,
             "p2_hold": 3, "p2_refine": 2, "p3_steps": [250, 500, 1000, 1500, 2000],
             "p3_ramp_cps": 50, "p3_hold": 10, "soak_calls": 3000, "queue_calls": 2000},
    "quick": {"p1_calls": 200, "p2_rates": [10, 20, 40, 80, 160, 320], "p2_seconds": 5,
              "p2_hold": 1, "p2_refine": 1, "p3_steps": [100, 300], "p3_ramp_cps": 50,
              "p3_hold": 5, "soak_calls": 1000, "queue_calls": 300},
}
T0 = time.monotonic()
STARTED = datetime.now(timezone.utc).isoformat(timespec="seconds")
# The code measured is the code at start (a commit made during a long run is not it); a
# "+" marks changes not committed (the results themselves aside).
COMMIT = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"],
                        capture_output=True, text=True).stdout.strip() + (
    "+" if subprocess.run(["git", "-C", str(REPO), "diff", "--quiet", "HEAD", "--", ".",
                           ":(exclude)bench/results"]).returncode else "")
LOAD_AT_START = os.getloadavg()  # the machine is shared: how busy it was when we began


def say(text: str) -> None:
    print(f"[{time.monotonic() - T0:6.1f}s] {text}", file=sys.stderr, flush=True)


async def measure(box: Sandbox, daemon: Daemon, account: tuple, prof: dict) -> dict:
    lab = await load.Lab(box, *account).ready(daemon)
    try:
        pid = daemon.proc.pid
        stats = {"asterisk": ProcStat(box.pid), "daemon": ProcStat(pid),
                 "daemon_loop": ProcStat(pid, tid=pid), "generator": ProcStat(os.getpid())}
        probe = load.LagProbe(daemon.port)
        await asyncio.sleep(3)
        idle = probe.stop()
        say(f"idle /health round-trip p99 {idle['p99_ms']} ms")
        out = {}
        for key, concurrency in (("p1", 1), ("p1_c20", 20)):
            out[key] = await load.p1(lab, prof["p1_calls"], concurrency)
            say(f"P1 c{concurrency}: plain {out[key]['plain']['median_ms']} / "
                f"{out[key]['plain']['p99_ms']} ms, callctl {out[key]['callctl']['median_ms']} / "
                f"{out[key]['callctl']['p99_ms']} ms (median / p99)")
        out["p2"] = await load.p2(lab, prof["p2_rates"], prof["p2_seconds"], prof["p2_hold"],
                                  prof["p2_refine"], stats, say)
        steps, limit = [], f"every step held, up to the target of {prof['p3_steps'][-1]} calls"
        for n in prof["p3_steps"]:
            ramp = min(prof["p3_ramp_cps"], max(5, out["p2"]["callctl_cps"] / 2))
            step = await load.hold_step(lab, n, ramp, prof["p3_hold"], 100, stats["daemon"],
                                        ProcStat(box.pid), daemon.port, daemon.health)
            steps.append(step)
            say(f"P3 {n} calls: up {step['up']}, ok {step['ok']}, daemon RSS "
                f"{step.get('rss_mb')} MB, loop lag p99 ramp / held "
                f"{step['ramp_loop_lag_p99_ms']} / {step.get('hold_loop_lag_p99_ms')} ms, "
                f"CPU ramp / held {step['ramp_cpu_pct']} / {step.get('hold_cpu_pct')} %; "
                f"Asterisk CPU {step.get('asterisk_cpu_pct')} %, fds {step.get('asterisk_fds')}")
            if not step["passed"]:
                limit = (f"failed at {n} calls: {step['up']} held, "
                         f"{step['errors'] or 'not all answered'}; Asterisk had "
                         f"{step.get('asterisk_fds')} files open, its limit "
                         f"{step.get('asterisk_fd_limit')}")
                break
        out["p3"] = report.p3_summary(steps, limit, idle)
        # The floor without callctl: the daemon's ARI subscription loads Asterisk even for
        # calls it never handles, so plain is measured again on an Asterisk without it.
        daemon.stop()
        await asyncio.to_thread(box.restart_bare, lab.login, lab.password)
        await lab.phone.register(lab.login, lab.password)
        stats["asterisk"] = ProcStat(box.pid)
        say(f"plain Asterisk alone: restarted (pid {box.pid}), Stasis apps: "
            f"{box.ari('/applications')}")
        for key, concurrency in (("p1", 1), ("p1_c20", 20)):
            bare = await load.p1(lab, prof["p1_calls"], concurrency, paths=("plain",))
            out[key]["plain_without_daemon"] = {**bare["plain"], "asterisk_overload_warnings":
                                                bare["asterisk_overload_warnings"]}
            say(f"P1 c{concurrency} plain without the daemon: {bare['plain']['median_ms']} / "
                f"{bare['plain']['p99_ms']} ms")
        del stats["daemon"], stats["daemon_loop"]
        bare = await load.p2(lab, prof["p2_rates"], prof["p2_seconds"], prof["p2_hold"],
                             prof["p2_refine"], stats, say, paths=("plain",))
        p2 = out["p2"]
        p2["ratio"] = round(p2["callctl_cps"] / p2["plain_cps"], 3) if p2["plain_cps"] else None
        p2["plain_cps_without_daemon"] = bare["plain_cps"]
        p2["ratio_to_plain_without_daemon"] = (round(p2["callctl_cps"] / bare["plain_cps"], 3)
                                              if bare["plain_cps"] else None)
        p2["limit"]["plain without the daemon"] = bare["limit"]["plain"]
        p2["steps"] += [dict(s, path="plain without the daemon") for s in bare["steps"]]
        return out
    finally:
        lab.close()


async def measure_soak(box: Sandbox, daemon: Daemon, account: tuple, calls: int,
                       growth_limit_pct: float) -> dict:
    lab = await load.Lab(box, *account).ready(daemon)
    try:
        return await load.soak(lab, calls, 10, 0.3, ProcStat(daemon.proc.pid),
                               daemon.health, say, growth_limit_pct)
    finally:
        lab.close()


def meta(profile: str, box: Sandbox) -> dict:
    version = (box.home / "root" / ".callctl-ready").read_text().split("\n")[1]
    return {"profile": profile, "at": STARTED, "commit": COMMIT, "asterisk": version,
            "python": platform.python_version(), "cpus": os.cpu_count(),
            "load_avg_at_start": LOAD_AT_START}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="scripts/bench", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer, shorter steps (< 5 min)")
    parser.add_argument("--soak", action="store_true", help="only the leak soak")
    parser.add_argument("--long", action="store_true",
                        help="with --soak: 30,000 calls (about 25 min; not in CI)")
    parser.add_argument("--queue", action="store_true",
                        help="only the queue figure: 10 operators, callers always waiting")
    parser.add_argument("--trace", action="store_true",
                        help="only: where a call's time goes in the daemon (bench/trace.py)")
    parser.add_argument("--screen-pop", action="store_true", help="only: carrier INVITE to "
                        "the card in the workspace page (bench/screen_pop.py)")
    parser.add_argument("--sipp", action="store_true", help="only: P1 and P2 driven by SIPp "
                        "(bench/sipp.py), beside our generator's P1")
    parser.add_argument("--prompts", action="store_true", help="only: an uploaded prompt "
                        "until Asterisk plays it; mp3 conversion (bench/prompts.py)")
    parser.add_argument("--profile", action="store_true",
                        help="only: where the daemon's CPU goes, by py-spy (bench/spy.py)")
    args = parser.parse_args(argv)
    profile = "quick" if args.quick else "full"
    prof = PROFILES[profile]
    if args.long and not args.soak:
        parser.error("--long goes with --soak")
    label = ("trace" if args.trace else "profile" if args.profile
             else "screen pop" if args.screen_pop
             else f"{profile} sipp" if args.sipp
             else "prompts" if args.prompts
             else "long soak" if args.long else f"{profile} soak" if args.soak else
             f"{profile} queue" if args.queue else profile)
    latest = RESULTS / "latest.json"
    results = json.loads(latest.read_text()) if latest.exists() else {}
    section = {}
    if not (args.soak or args.trace or args.profile or args.queue or args.screen_pop
            or args.sipp or args.prompts):
        say("P4: plan_call timing")
        section["p4"] = p4.run()
    with Sandbox() as box:
        if args.trace:
            say("trace: 100 plain, then 100 callctl calls, one at a time")
            section["trace"] = trace.run(box)
            print(json.dumps(section["trace"], indent=2))
            return _save(results, section, meta(label, box), latest)
        if args.profile:
            say("profile: callctl calls at 40 cps for 20 s under py-spy")
            section["profile"] = spy.run(box)
            print(json.dumps(section["profile"], indent=2))
            return _save(results, section, meta(label, box), latest)
        daemon = Daemon(box, box.home / "daemon")
        if args.queue:
            accounts = queued.make_company(daemon)
            daemon.start()
            try:
                section["queue"] = asyncio.run(queued.run(box, daemon, accounts,
                                                          prof["queue_calls"], say))
            finally:
                daemon.stop()
            return _save(results, section, meta(label, box), latest)
        account = daemon.make_company()
        daemon.start()
        say(f"sandbox Asterisk pid {box.pid}, daemon pid {daemon.proc.pid}")
        try:
            if args.soak:
                calls, limit = (30000, 2.0) if args.long else (prof["soak_calls"], 5.0)
                section["soak_long" if args.long else "soak"] = asyncio.run(
                    measure_soak(box, daemon, account, calls, limit))
            elif args.screen_pop:
                section["screen_pop"] = asyncio.run(screen_pop.run(box, daemon, account, 20, say))
            elif args.prompts:
                section["prompts"] = asyncio.run(prompts.run(box, daemon, account, 10, say))
            elif args.sipp:
                section["sipp"] = asyncio.run(sipp.run(box, daemon, account, prof, say))
            else:
                section.update(asyncio.run(measure(box, daemon, account, prof)))
        finally:
            daemon.stop()
        return _save(results, section, meta(label, box), latest)


def _save(results: dict, section: dict, run_meta: dict, latest: Path) -> int:
    run_meta["seconds"] = round(time.monotonic() - T0, 1)
    for key in section:
        results[key] = section[key]
        results.setdefault("runs", {})[key] = run_meta  # which run measured this section
    RESULTS.mkdir(exist_ok=True)
    latest.write_text(json.dumps(results, indent=2) + "\n")
    plot.draw(results, RESULTS / "p2.png")
    (RESULTS / "latest.md").write_text(report.markdown(results))
    say(f"done in {run_meta['seconds']} s: {latest} and latest.md")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
