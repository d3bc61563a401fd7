"""What the call log's safety net costs Asterisk per call: the `h` extension of
callctl-inbound writes one AstDB entry when a caller hangs up (dialplan/callctl.conf), so
that calls ending while the daemon is away keep their end time.

    .venv/bin/python -m bench.hangup_hook [--calls 500] [--rounds 4]

Asterisk's CPU time (/proc) is read around batches of Local channels originated over AMI
into three contexts that differ only in their `h` extension: none, a NoOp, and callctl's
AstDB write; the batches are interleaved in every order, so drift on a shared machine
spreads evenly. The contexts are added over AMI and removed after. Uses the bench's
sandbox unless CALLCTL_SANDBOX_DIR / CALLCTL_SANDBOX_PORT_OFFSET say otherwise.
"""
from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
from pathlib import Path
from statistics import median

from panoramisk import Manager

os.environ.setdefault("CALLCTL_SANDBOX_DIR", str(Path(__file__).resolve().parent.parent /
                                                 ".sandbox-bench"))
os.environ.setdefault("CALLCTL_SANDBOX_PORT_OFFSET", "100")

from .harness import ProcStat, Sandbox  # noqa: E402

HOOKS = {"no h": None, "h: NoOp": "NoOp()",
         "h: callctl's AstDB write": "Set(DB(callctl_bench_ended/${UNIQUEID})=${EPOCH})"}


async def originate(manager: Manager, context: str, calls: int, parallel: int = 20) -> None:
    gate = asyncio.Semaphore(parallel)

    async def one() -> None:
        async with gate:
            await manager.send_action({"Action": "Originate", "Channel": f"Local/s@{context}",
                                       "Application": "Wait", "Data": "0", "Async": "false"})
    await asyncio.gather(*(one() for _ in range(calls)))


async def measure(sandbox: Sandbox, calls: int, rounds: int) -> dict[str, list[float]]:
    st = sandbox.state
    manager = Manager(host="127.0.0.1", port=st["ami_port"], username=st["ami_user"],
                      secret=st["ami_secret"], ping_delay=0)
    await manager.connect()
    contexts = {name: f"bench-hook-{i}" for i, name in enumerate(HOOKS)}
    for name, context in contexts.items():
        for exten, app in (("s", "Hangup()"), ("h", HOOKS[name])):
            if app is not None:
                app_name, data = app.split("(", 1)
                await manager.send_action({"Action": "DialplanExtensionAdd",
                                           "Context": context, "Extension": exten,
                                           "Priority": "1", "Application": app_name,
                                           "ApplicationData": data[:-1]})
    cpu, per_call = ProcStat(sandbox.pid), {name: [] for name in HOOKS}
    try:
        await originate(manager, contexts["no h"], calls)  # warm up
        for order in itertools.islice(itertools.cycle(itertools.permutations(HOOKS)),
                                      rounds * 6):
            for name in order:
                before = cpu.cpu_s()
                await originate(manager, contexts[name], calls)
                await asyncio.sleep(0.3)  # the last hang-ups finish on Asterisk's threads
                per_call[name].append((cpu.cpu_s() - before) / calls * 1e6)
    finally:
        for context in contexts.values():
            await manager.send_action({"Action": "DialplanExtensionRemove",
                                       "Context": context, "Extension": "s"})
            await manager.send_action({"Action": "DialplanExtensionRemove",
                                       "Context": context, "Extension": "h"})
        await manager.send_action({"Action": "DBDelTree", "Family": "callctl_bench_ended"})
        manager.close()
    return per_call


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=500, help="Local channels per batch")
    parser.add_argument("--rounds", type=int, default=4, help="times every order is run")
    args = parser.parse_args()
    with Sandbox() as sandbox:
        per_call = asyncio.run(measure(sandbox, args.calls, args.rounds))
    base = median(per_call["no h"])
    print(json.dumps({name: {"asterisk_cpu_us_per_call_median": round(median(v)),
                             "added_us": round(median(v) - base),
                             "calls": len(v) * args.calls}
                      for name, v in per_call.items()}, indent=2))


if __name__ == "__main__":
    main()
