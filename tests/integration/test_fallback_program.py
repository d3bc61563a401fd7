"""While the daemon is down, Asterisk walks each company number's daemon-absent program
(AstDB callctl_fallback): the branch that holds now in the project's time zone, its rings in
parallel or one by one with their timeouts, then the number's backup."""
import time
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from tests.support.sandbox import sandbox

from .conftest import ALICE_NUMBER, BOB_NUMBER, MOBILE
from .test_first_call import audible
from .test_schemes_live import always, use_scheme

pytestmark = pytest.mark.integration
T = 3  # block timeout, seconds
SLACK = 0.7  # SIP and dialplan time around a timeout


def far_from_utc_and_midnight() -> str:
    """A zone whose clock is hours away from UTC and from midnight now: a schedule read in
    the wrong zone would pick another branch, and no test call crosses midnight."""
    for name in ("Asia/Kathmandu", "America/New_York", "Asia/Tokyo", "Pacific/Honolulu"):
        local = datetime.now(ZoneInfo(name))
        if 2 <= local.hour < 22:
            return name
    raise AssertionError("no zone between 02:00 and 22:00: cannot happen")


ZONE = far_from_utc_and_midnight()
DAEMON_CONFIG = {"project": {"timezone": ZONE}}


def daemon_down(daemon, tmp_path, scheme):
    """Assign the scheme, wait until its program is in AstDB, stop the daemon."""
    loaded = use_scheme(daemon, tmp_path, scheme)
    daemon.wait_log("astdb.fallbacks_written", version=loaded["version"])
    daemon.stop()


def incoming(phone, timeout=5):
    """(the phone's next incoming call, when it came)."""
    return phone.wait_incoming(timeout), time.monotonic()


def rings_for(ringing, seconds):
    """The incoming call rings about `seconds` and is then cancelled."""
    call, since = ringing
    call.wait_disconnected(timeout=seconds + 2)
    rang = time.monotonic() - since
    assert seconds - SLACK < rang < seconds + SLACK, f"rang {rang:.2f} s, not {seconds} s"
    assert call.disconnected_by_remote


def test_given_the_daemon_down_when_called_then_a_parallel_pair_a_block_the_backup_ring(
        daemon, registered, carrier, tmp_path, ari):
    daemon_down(daemon, tmp_path, {"name": "Pair", "kind": "parallel", "branches": [
        always((T, [{"employee": "Alice Smith"}, {"employee": "Bob Jones"}]),
               (T, [{"phone_number": "+15550171"}]))]})
    try:
        shown = sandbox("cli", "database show callctl_fallback").stdout
        alice, bob = daemon.accounts["alice"][0], daemon.accounts["bob"][0]
        assert f"/callctl_fallback/{BOB_NUMBER}/1/ring1" in shown
        assert f"PJSIP/{alice}&PJSIP/{bob},{T}" in shown and "/callctl_fallback/zone" in shown

        call = carrier.call(BOB_NUMBER, caller_id="+15557000301")
        at_alice = incoming(registered["alice"])
        at_bob = registered["bob"].wait_incoming(timeout=0.5)  # together
        assert at_alice[0].remote_user == at_bob.remote_user == "+15557000301"
        rings_for(at_alice, T)
        at_bob.wait_disconnected(timeout=0.5)
        second = incoming(carrier, timeout=1)  # the second block, at once
        assert second[0].local_user == "+15550171"
        rings_for(second, T)
        backup = carrier.wait_incoming(timeout=1)  # the number's backup: the mobile
        assert (backup.local_user, backup.remote_user) == (MOBILE, "+15557000301")
        backup.answer()
        call.wait_state("CONFIRMED")
        call.play_tone(1000)
        assert backup.hears_tone(1000)
        call.hangup()
        backup.wait_disconnected()
        ari.assert_clean()
    finally:
        daemon.start()


def test_given_the_daemon_down_when_called_in_working_hours_then_that_branch_rings_one_by_one(
        daemon, registered, carrier, tmp_path, ari):
    local = datetime.now(ZoneInfo(ZONE))
    window = [f"{max(local - timedelta(minutes=30), local.replace(hour=0, minute=0)):%H:%M}-"
              f"{min(local + timedelta(minutes=30), local.replace(hour=23, minute=59)):%H:%M}"]
    utc = datetime.now(timezone.utc)
    assert not (local.strftime("%a") == utc.strftime("%a")
                and window[0][:5] <= utc.strftime("%H:%M") <= window[0][6:]), \
        "the window holds UTC's clock too: it would prove nothing"
    daemon_down(daemon, tmp_path, {"name": "Hours", "kind": "sequential", "branches": [
        {"name": "now", "schedule": {"days": local.strftime("%a").lower(), "hours": window},
         "blocks": [{"timeout": T, "directions": [{"employee": "Alice Smith"},
                                                  {"employee": "Bob Jones"}]}]},
        {"name": "otherwise", "blocks": [{"timeout": T,
                                          "directions": [{"phone_number": MOBILE}]}]}]})
    try:
        call = carrier.call(BOB_NUMBER, caller_id="+15557000302")
        at_alice = incoming(registered["alice"])
        registered["bob"].expect_no_incoming(within=T - SLACK)  # one by one
        rings_for(at_alice, T)
        at_bob = registered["bob"].wait_incoming(timeout=1)
        at_bob.answer()
        call.wait_state("CONFIRMED")
        at_bob.hangup()
        call.wait_disconnected()
        carrier.expect_no_incoming(within=0.3)  # the other branch never rang
        ari.assert_clean()
    finally:
        daemon.start()


def test_given_nobody_answers_when_the_daemon_is_down_then_the_caller_hears_so_unbilled(
        daemon, registered, carrier, ari):
    daemon.stop()  # Alice's number: Alice for its 4 s ring timeout, and no backup
    try:
        call = carrier.call(ALICE_NUMBER, caller_id="+15557000303")
        rings_for(incoming(registered["alice"]), 4)
        # "Nobody is available" as early media, never answered (not billed), then 480.
        call.wait_state("EARLY")
        assert audible(call.record(0.5))
        call.wait_disconnected(timeout=15)
        assert (call.last_code, "CONFIRMED" in call._seen) == (480, False)
        ari.assert_clean()
    finally:
        daemon.start()
