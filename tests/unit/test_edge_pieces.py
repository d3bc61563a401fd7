import random

from callctl.log import format_event
from callctl.pbx.backoff import Backoff
from callctl.pbx.events import parse


def test_given_repeated_failures_when_backing_off_then_delay_doubles_up_to_the_cap():
    backoff = Backoff(base=0.2, cap=5, rng=random.Random(1))
    delays = [backoff.next_delay() for _ in range(10)]
    assert all(0.1 <= d <= 0.2 for d in delays[:1])
    assert all(2.5 <= d <= 5 for d in delays[6:])
    assert delays[3] > delays[0]
    backoff.reset()
    assert backoff.next_delay() <= 0.2


def test_given_stasis_start_when_parsed_then_channel_and_args_are_typed():
    ev = parse({"type": "StasisStart", "args": ["inbound", "+15550100"],
                "channel": {"id": "1.1", "state": "Ring"}})
    assert (ev.type, ev.channel_id, ev.args, ev.state) == \
        ("StasisStart", "1.1", ("inbound", "+15550100"), "Ring")


def test_given_playback_event_when_parsed_then_routed_to_its_channel():
    ev = parse({"type": "PlaybackFinished",
                "playback": {"id": "pb1", "target_uri": "channel:1.7"}})
    assert (ev.channel_id, ev.playback_id) == ("1.7", "pb1")


def test_given_fields_when_logged_then_one_logfmt_line_with_quoting():
    line = format_event("call.ended", {"call": "1.2", "detail": "nobody answered",
                                       "skip": None})
    assert line == 'event=call.ended call=1.2 detail="nobody answered"'


async def test_given_a_blocked_loop_when_measuring_lag_then_p99_shows_the_block():
    import asyncio
    import time

    from callctl.looplag import LoopLag
    lag = LoopLag()
    task = asyncio.create_task(lag.run())
    await asyncio.sleep(0.25)
    assert lag.p99_ms() < 50  # an idle loop is punctual
    await asyncio.sleep(0.01)
    time.sleep(0.3)  # a blocking call on the loop: exactly what must never happen
    await asyncio.sleep(0.15)
    task.cancel()
    assert lag.p99_ms() >= 150
