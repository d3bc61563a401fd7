"""Queue strategies: which free operators to offer the next waiting caller. Pure functions.

The meanings are app_queue's, so people who know Asterisk's queues read them as they expect:

- ringall:     every free operator at once; the first to answer takes the call.
- rrmemory:    round robin with memory: the next free operator after the one offered last
               (in the configured order, wrapping round).
- leastrecent: the free operator whose last call from this queue ended longest ago (never
               had one: first).
- fewestcalls: the free operator who answered the fewest calls from this queue today.
- random:      any free operator, at random.
- linear:      the first free operator in the configured order, every time.

Ties (leastrecent, fewestcalls) go to the configured order, so the result is reproducible.
"""
from __future__ import annotations

import random as _random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from .flow import Target

STRATEGIES = ("ringall", "rrmemory", "leastrecent", "fewestcalls", "random", "linear")


@dataclass(frozen=True)
class Operator:
    """One person (or unowned SIP account) of a queue, with what rings when offered."""
    party: str  # as the busy board knows them: an employee's name, or "sip:LOGIN"
    targets: tuple[Target, ...]
    order: int  # position in the queue's configuration (linear, ties)


@dataclass(frozen=True)
class Stats:
    """What strategies remember about an operator in one queue."""
    last_ended: float | None = None  # when their last call from this queue ended
    answered_today: int = 0


NO_STATS = Stats()


def pick(strategy: str, free: Sequence[Operator], everyone: Sequence[Operator], *,
         last_offered: str | None = None, stats: Mapping[str, Stats] | None = None,
         rng: _random.Random | None = None) -> list[Operator]:
    """The operators to offer the next caller to, from `free` (those who can take a call
    now). `everyone` is the queue's whole configured list, in order (round robin resumes
    after `last_offered` in it, even if that operator is not free now)."""
    if not free:
        return []
    free = sorted(free, key=lambda o: o.order)
    stats = stats or {}
    if strategy == "ringall":
        return list(free)
    if strategy == "linear":
        return [free[0]]
    if strategy == "rrmemory":
        return [_after(last_offered, free, everyone)]
    if strategy == "leastrecent":
        never = float("-inf")
        return [min(free, key=lambda o: (stats.get(o.party, NO_STATS).last_ended or never,
                                         o.order))]
    if strategy == "fewestcalls":
        return [min(free, key=lambda o: (stats.get(o.party, NO_STATS).answered_today,
                                         o.order))]
    if strategy == "random":
        return [(rng or _random).choice(free)]
    raise ValueError(f"unknown strategy {strategy!r} (one of {', '.join(STRATEGIES)})")


def _after(last: str | None, free: Sequence[Operator], everyone: Sequence[Operator]) -> Operator:
    """The first free operator after `last` in the configured order, wrapping round."""
    order = [o.party for o in sorted(everyone, key=lambda o: o.order)]
    if last not in order:
        return free[0]
    start = order.index(last) + 1
    free_by_party = {o.party: o for o in free}
    for party in order[start:] + order[:start]:
        if party in free_by_party:
            return free_by_party[party]
    return free[0]
