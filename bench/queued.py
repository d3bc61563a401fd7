"""The queue figure (`scripts/bench --queue`): 10 operators, callers always waiting.

A company of 10 employees, one SIP account each (all on one bench phone process, answering
at once), in one queue (`rrmemory`, no wrap-up) serving its own number. A closed loop keeps
10 callers talking and 5 more waiting: each caller talks 1 s after the answer and hangs up,
and the next caller dials at once. Measured at the phone, on one clock: the time from an
operator's phone being hung up (the BYE it reads) to the same phone reading its next INVITE,
which is the time from an operator becoming free to that operator's phone ringing with the
next waiting caller. A double offer is an INVITE to an operator whose phone still has a call.
"""
from __future__ import annotations

import asyncio
import itertools
import time

import yaml

from .harness import Daemon, Sandbox
from .load import pct, summary
from .sipua import Caller, Phone, _user

NUMBER = "+15550702"
OPERATORS, WAITING, TALK_S = 10, 5, 1.0


def make_company(daemon: Daemon) -> list[tuple[str, str]]:
    """Ten operators in queue "Bench queue" serving NUMBER: [(login, password)]."""
    accounts = []
    for i in range(1, OPERATORS + 1):
        name = f"Queue Agent {i}"
        daemon.cli("employees", "add", "--name", name, "--extension", str(710 + i),
                   "--email", f"agent{i}@bench.example.com")
        made = daemon.cli("sip", "add", "--employee", name)
        accounts.append((made["object"]["login"], made["password"]))
    daemon.cli("numbers", "add", "--number", NUMBER, "--employee", "Queue Agent 1")
    path = daemon.workdir / "queue.yaml"
    path.write_text(yaml.safe_dump({
        "name": "Bench queue", "strategy": "rrmemory", "wrapup_seconds": 0,
        "ring_seconds": 15, "max_wait": 600,
        "operators": [{"employee": f"Queue Agent {i}"} for i in range(1, OPERATORS + 1)]}))
    daemon.cli("queues", "add", str(path))
    daemon.cli("queues", "route", NUMBER, "Bench queue")
    return accounts


class Operators:
    """What the operators' phones saw: open calls per login, free-to-ring gaps, doubles."""

    def __init__(self):
        self.open: dict[str, set[str]] = {}
        self.freed: dict[str, float] = {}  # login -> when its phone read the last BYE
        self.gaps_ms: list[float] = []
        self.doubles = 0
        self.offers = 0

    def on_invite(self, msg, t: float) -> None:
        login = _user(msg.uri)
        calls = self.open.setdefault(login, set())
        self.offers += 1
        if calls:
            self.doubles += 1
        calls.add(msg.call_id)
        freed = self.freed.pop(login, None)
        if freed is not None:
            self.gaps_ms.append((t - freed) * 1000)

    def on_bye(self, msg, t: float) -> None:
        login = _user(msg.uri)
        calls = self.open.get(login, set())
        calls.discard(msg.call_id)
        if not calls:
            self.freed[login] = t


async def run(box: Sandbox, daemon: Daemon, accounts: list, calls: int, say) -> dict:
    st = box.state
    seen = Operators()
    phone = await Phone("127.0.0.1", ("127.0.0.1", st["staff_port"]), seen.on_invite,
                        seen.on_bye).start()
    carrier = await Caller(st["carrier_host"], st["carrier_port"],
                           ("127.0.0.1", st["trunk_port"])).start()
    try:
        for login, password in accounts:
            await phone.register(login, password)
        for login, _ in accounts:
            await asyncio.to_thread(daemon.wait_online, login)
        numbers = itertools.count(1)
        left = itertools.count(calls, -1)
        done = []

        async def caller_loop() -> None:
            while next(left) > 0:
                done.append(await carrier.call(NUMBER, f"+1778{next(numbers):08d}", TALK_S,
                                               timeout_s=120))

        say(f"queue: {calls} calls, {OPERATORS} operators, {OPERATORS + WAITING} callers at "
            f"a time, {TALK_S:g} s talk each")
        began = time.perf_counter()
        await asyncio.gather(*(caller_loop() for _ in range(OPERATORS + WAITING)))
        seconds = time.perf_counter() - began
        end = time.monotonic() + 5  # the last BYEs reach the phone
        while any(seen.open.values()) and time.monotonic() < end:
            await asyncio.sleep(0.05)
        ok = sum(c.ok for c in done)
        errors: dict[str, int] = {}
        for c in done:
            if not c.ok:
                errors[c.error] = errors.get(c.error, 0) + 1
        gaps = summary(seen.gaps_ms)
        out = {"operators": OPERATORS, "calls": len(done), "answered": ok, "errors": errors,
               "offers": seen.offers, "double_offers": seen.doubles,
               "free_to_ring_ms": {**gaps, "p90_ms": pct(seen.gaps_ms, 90)},
               "served_cps": round(ok / seconds, 2), "seconds": round(seconds, 1),
               "left_in_ari": await asyncio.to_thread(box.leftovers)}
        say(f"queue: {ok}/{len(done)} answered, {seen.doubles} double offers, free-to-ring "
            f"median {gaps['median_ms']} ms, p99 {gaps['p99_ms']} ms")
        return out
    finally:
        phone.close()
        carrier.close()
