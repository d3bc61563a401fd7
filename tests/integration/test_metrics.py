"""/metrics as Prometheus scrapes it, read with Prometheus' own parser, around real calls and
a real Asterisk restart."""
import re
import urllib.request

import pytest
from prometheus_client.parser import text_string_to_metric_families

from .conftest import ALICE_NUMBER, CUSTOMER
from .test_first_call import connect

pytestmark = pytest.mark.integration


def scrape(daemon) -> dict[tuple, float]:
    """{(sample name, (label, value)...): value} of one scrape."""
    url = f"http://127.0.0.1:{daemon.config['http']['port']}/metrics"
    with urllib.request.urlopen(url, timeout=5) as resp:
        assert resp.headers["Content-Type"].startswith("text/plain; version=0.0.4")
        text = resp.read().decode()
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def value(samples: dict, name: str, **labels) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_given_an_answered_and_a_missed_call_then_metrics_count_them_and_name_no_ids(
        daemon, registered, carrier, ari):
    before = scrape(daemon)
    call, answered = connect(carrier, registered["alice"])
    started = daemon.wait_log("call.answered")
    during = scrape(daemon)
    assert value(during, "callctl_calls_active") == value(before, "callctl_calls_active") + 1
    answered.hangup()
    call.wait_disconnected()
    daemon.wait_log("call.ended", call=started["call"], outcome="answered")

    missed = carrier.call(ALICE_NUMBER, caller_id=CUSTOMER)
    registered["alice"].wait_incoming()
    missed.hangup()  # the caller gives up while Alice's phone rings
    daemon.wait_log("call.ended", outcome="missed")
    ari.assert_clean()
    after = scrape(daemon)

    def grew(name, **labels):
        return value(after, name, **labels) - value(before, name, **labels)
    assert value(after, "callctl_calls_active") == value(before, "callctl_calls_active")
    assert grew("callctl_calls_total", outcome="answered") == 1
    assert grew("callctl_calls_total", outcome="missed") == 1
    assert grew("callctl_ring_start_seconds_count") == 2
    assert 0 < grew("callctl_ring_start_seconds_sum") < 2  # loopback: well under a second
    # the caller's channel and the answered leg, twice over; then each goes
    assert grew("callctl_ari_events_total", type="StasisStart") >= 3
    assert grew("callctl_ari_events_total", type="StasisEnd") >= 3
    assert grew("callctl_ari_requests_total", method="POST", path="/channels",
                status="200") == 2
    # Both parties on one request (their digits absorbed: callctl reads transfer codes).
    assert grew("callctl_ari_request_seconds_count", method="POST",
                path="/bridges/{id}/addChannel") == 1
    assert grew("callctl_call_log_write_lag_seconds_count") >= 1
    assert value(after, "callctl_call_log_queue") == 0
    assert value(after, "callctl_event_loop_lag_seconds_count") > 0
    assert value(after, "callctl_ari_connected") == 1
    paths = {dict(labels)["path"] for name, labels in after if dict(labels).get("path")}
    assert paths and not any(re.search(r"callctl-|\d{3}", p) for p in paths), paths


def test_given_asterisk_restarts_then_the_reconnect_is_counted(daemon, sandbox_asterisk):
    before = scrape(daemon)
    sandbox_asterisk.restart()  # as the test run owns it: it still dies with the run
    daemon.wait_log("ari.connected", timeout=15)
    daemon.wait_log("ari.reconciled", timeout=5)
    after = scrape(daemon)
    assert value(after, "callctl_ari_reconnects_total") == \
        value(before, "callctl_ari_reconnects_total") + 1
    assert value(after, "callctl_ari_connected") == 1
