"""Transfers asked through the API (the operator workspace): the live calls list, a blind
transfer to an outside number through the trunk, an attended one cancelled and one
completed, heard at every phone."""
import pytest

from .conftest import ALICE_NUMBER, CUSTOMER, cli
from .test_first_call import call_log
from .transfer_kit import (OUTSIDE, api, company, customer_to_alice, hang_up,  # noqa: F401
                           hears_music, hears_ringback, staff, talk, transfers_of)

pytestmark = pytest.mark.integration
DAEMON_CONFIG = {"transfers": {"ring_timeout": 6}}


@pytest.fixture(scope="module")
def token(daemon):
    return cli(daemon.path, "tokens", "create", "Alice Smith")["token"]


def test_given_alice_on_a_call_when_the_api_transfers_it_outside_then_the_number_has_it(
        daemon, staff, carrier, ari, token):
    call, alice, call_id = customer_to_alice(carrier, staff, daemon)
    status, listed = api(daemon, "GET", "/calls/active", token)
    assert status == 200 and [c["call_id"] for c in listed["calls"]] == [call_id]
    assert listed["calls"][0]["state"] == "talking"
    status, body = api(daemon, "POST", f"/calls/{call_id}/transfer", token,
                       {"to": OUTSIDE, "mode": "blind"})
    assert status == 202, body
    assert body["to"] == OUTSIDE
    outside = carrier.wait_incoming(timeout=5)
    assert (outside.local_user, outside.remote_user) == (OUTSIDE, ALICE_NUMBER)  # the rule
    alice.wait_disconnected()
    assert hears_ringback(call)
    outside.answer()
    daemon.wait_log("call.transfer_ended", call=call_id, result="completed")
    talk(call, outside)
    hang_up(daemon, call_id, outside, call)
    (t,) = transfers_of(daemon, call_id)
    assert (t.mode, t.via, t.transferer, t.result, t.recipient) == (
        "blind", "api", "Alice Smith", "completed", OUTSIDE)


def test_given_an_attended_api_transfer_when_cancelled_then_completed_by_a_second_one(
        daemon, staff, carrier, ari, token):
    call, alice, call_id = customer_to_alice(carrier, staff, daemon)
    status, body = api(daemon, "POST", f"/calls/{call_id}/transfer", token,
                       {"to": "Bob Jones", "mode": "attended"})
    assert (status, body["state"]) == (202, "ringback"), body
    bob = staff["bob"].wait_incoming(timeout=5)
    assert hears_music(call)
    bob.answer()
    daemon.wait_log("call.transfer_answered", call=call_id)
    talk(alice, bob)
    status, body = api(daemon, "POST", f"/calls/{call_id}/transfer/cancel", token)
    assert (status, body["state"]) == (200, "cancelled"), body
    bob.wait_disconnected()
    talk(call, alice)
    # the second transfer of the same call, completed this time
    status, body = api(daemon, "POST", f"/calls/{call_id}/transfer", token,
                       {"to": "102", "mode": "attended"})
    assert status == 202, body
    bob = staff["bob"].wait_incoming(timeout=5)
    bob.answer()
    daemon.wait_log("call.transfer_answered", call=call_id)
    status, body = api(daemon, "POST", f"/calls/{call_id}/transfer/complete", token)
    assert (status, body["state"]) == (200, "completed"), body
    alice.wait_disconnected()
    talk(call, bob)
    status, body = api(daemon, "POST", f"/calls/{call_id}/transfer/complete", token)
    assert status == 403 and "someone else's" in body["error"]["message"], body  # Bob's now
    hang_up(daemon, call_id, bob, call)
    assert call_log(daemon).get(call_id).answered_by == "Bob Jones"
    assert [(t.seq, t.result) for t in transfers_of(daemon, call_id)] == [
        (1, "cancelled"), (2, "completed")]


def test_given_the_api_when_the_target_is_unknown_then_422_and_the_call_goes_on(
        daemon, staff, carrier, ari, token):
    call, alice, call_id = customer_to_alice(carrier, staff, daemon)
    status, body = api(daemon, "POST", f"/calls/{call_id}/transfer", token,
                       {"to": "Nobody Here", "mode": "blind"})
    assert status == 422, body
    assert body["error"]["field"] == "to" and "Nobody Here" in body["error"]["message"]
    talk(call, alice)
    hang_up(daemon, call_id, call, alice)
