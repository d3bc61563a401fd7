"""A transfer in the call engine across a restart, against the in-memory ARI: the stage
marked on the caller's channel while the daemon runs, and what a restarted daemon does
with what Asterisk still has at each stage. The real thing (SIGKILL, phones, tones):
tests/integration/test_transfers_restart_live.py."""
import time

from callctl.calls.context import CALL_VAR, PARTY_VAR, TRANSFER_VAR
from callctl.calls.reconcile import reconcile
from callctl.domain.transfer_restart import TransferMark

from .test_transfer_engine import CUSTOMER, h  # noqa: F401

ALICE, BOB = "callctl-c1-aaaa0001", "callctl-c1-bbbb0002"
CONSULT = "callctl-br-consult"
RINGBACK, WAITING = "callctl-pb-ringback", "callctl-pb-waiting"


def marks(h):
    """The stage marks written on the caller, in order."""
    return [TransferMark.decode(r.params["value"])
            for r in h.ari.find("POST", f"/channels/{CUSTOMER}/variable")
            if r.params["variable"] == TRANSFER_VAR]


def index(h, method, path_end, **params):
    return next(i for i, r in enumerate(h.ari.requests) if r.method == method
                and r.path.endswith(path_end)
                and all(r.params.get(k) == v for k, v in params.items()))


def leg(channel_id, endpoint, party, state):
    return {"id": channel_id, "name": f"PJSIP/{endpoint}-0001", "state": state,
            "channelvars": {CALL_VAR: CUSTOMER, PARTY_VAR: party}}


async def restarted(h, stage, mode="attended", alice=True, bob=None, consult=False,
                    ring_s=20.0, seq=2):
    """A daemon that starts while Asterisk has this transfer half done: the session."""
    mark = TransferMark(stage, seq, mode, "keypad", ALICE, "Bob Jones (102)",
                        RINGBACK if stage == "ringback" else "",
                        WAITING if stage == "blind" else "", time.time() + ring_s,
                        "Alice Smith")
    h.ari.channels_up[CUSTOMER] = {
        "id": CUSTOMER, "name": "PJSIP/carrier-1", "state": "Up",
        "caller": {"number": "+15557654321", "name": "Ann"},
        "dialplan": {"app_name": "Stasis", "app_data": "callctl,inbound,100"},
        "channelvars": {TRANSFER_VAR: mark.encode()}}
    if alice:
        h.ari.channels_up[ALICE] = leg(ALICE, "alice", "Alice Smith", "Up")
    if bob:
        h.ari.channels_up[BOB] = leg(BOB, "bob", "Bob Jones", bob)
    if consult:
        h.ari.bridges_up.append({"id": CONSULT, "channels": [ALICE, BOB]})
    await reconcile(h.router)
    return next(s for s in h.router.sessions if s.caller == CUSTOMER)


def results(h):
    return [(w[1], w[2]) for w in h.writes("transfer_ended")]


# --- the marks -------------------------------------------------------------------------------

async def test_given_attended_when_it_waits_then_each_stage_is_marked_before_any_tone(h):
    session, alice, bob = await h.attended_to_bob()
    await h.ari.wait("POST", f"/channels/{CUSTOMER}/moh")
    (ringback,) = marks(h)
    assert (ringback.stage, ringback.seq, ringback.mode, ringback.via, ringback.transferer,
            ringback.label, ringback.party) == ("ringback", 1, "attended", "keypad", alice,
                                                "Bob Jones (102)", "Alice Smith")
    tone = h.ari.find("POST", f"/channels/{alice}/play")[-1].params["playbackId"]
    assert ringback.ringback == tone  # a restarted daemon can stop Alice's ringback
    assert index(h, "POST", f"/channels/{CUSTOMER}/variable") < index(
        h, "POST", f"/channels/{CUSTOMER}/moh")
    assert 0 < ringback.ring_until - time.time() <= h.s.transfer_ring_s + 0.1
    h.ari.answer_leg(bob)
    await h.bridged(alice, bob)
    await h.ari.wait("POST", f"/channels/{CUSTOMER}/variable", 2)
    assert [m.stage for m in marks(h)] == ["ringback", "answered"]
    h.ari.hang_up(CUSTOMER)  # the consultation goes on as a call: Alice's hang-up ends it
    h.ari.hang_up(alice)
    await h.ended(session)


async def test_given_blind_when_the_caller_waits_then_its_ringback_id_is_marked_first(h):
    session = h.call()
    alice = await h.talking(session)
    h.keys(alice, "##102#")
    await h.leg_to("PJSIP/bob")
    (mark,) = marks(h)
    assert (mark.stage, mark.mode) == ("blind", "blind")
    played = index(h, "POST", f"/channels/{CUSTOMER}/play", media="tone:ring")
    assert h.ari.requests[played].params["playbackId"] == mark.waiting
    assert index(h, "POST", f"/channels/{CUSTOMER}/variable") < played
    h.ari.hang_up(CUSTOMER)
    await h.ended(session)


# --- (a) attended, the caller on hold while the recipient rings ------------------------------

async def test_given_ringback_when_restarted_then_bob_rings_on_and_his_answer_is_consulted(h):
    session = await restarted(h, "ringback", bob="Ringing")
    assert not h.ari.find("DELETE", f"/channels/{BOB}")  # kept ringing
    assert not h.ari.find("POST", "/channels")  # nobody rung anew
    h.ari.answer_leg(BOB)
    await h.bridged(ALICE, BOB)  # the consultation
    assert h.ari.find("DELETE", f"/playbacks/{RINGBACK}")  # Alice's ringback stopped
    h.keys(ALICE, "*2")
    await h.bridged(CUSTOMER, BOB)
    assert h.ari.find("DELETE", f"/channels/{CUSTOMER}/moh")
    assert h.ari.find("DELETE", f"/channels/{ALICE}")
    h.ari.hang_up(BOB)
    _, outcome, *_ = await h.ended(session)
    assert outcome == "answered"
    assert results(h) == [(2, "completed")]
    assert not h.writes("transfer_started")  # the row is the one written before
    assert h.writes("transfer_ended")[0][-1] == "Bob Jones"  # the responsible employee


async def test_given_ringback_when_the_ring_time_ends_after_a_restart_then_back_to_alice(h):
    session = await restarted(h, "ringback", bob="Ringing", ring_s=0.3)
    await h.ari.wait("DELETE", f"/channels/{BOB}", timeout=3)
    await h.bridged(CUSTOMER, ALICE)
    assert h.ari.find("DELETE", f"/playbacks/{RINGBACK}")
    assert h.ari.find("DELETE", f"/channels/{CUSTOMER}/moh")
    h.ari.hang_up(ALICE)
    await h.ended(session)
    assert results(h) == [(2, "no_answer")]


async def test_given_ringback_when_bob_stopped_ringing_meanwhile_then_back_to_alice(h):
    session = await restarted(h, "ringback")
    await h.bridged(CUSTOMER, ALICE)
    h.ari.hang_up(CUSTOMER)
    await h.ended(session)
    assert results(h) == [(2, "declined")]


async def test_given_ringback_when_alice_hung_up_meanwhile_then_blind_and_the_caller_hears_ringback(
        h):
    session = await restarted(h, "ringback", alice=False, bob="Ringing")
    await h.ari.wait("POST", f"/channels/{CUSTOMER}/play")
    assert h.ari.find("DELETE", f"/channels/{CUSTOMER}/moh")
    h.ari.answer_leg(BOB)
    await h.bridged(CUSTOMER, BOB)
    h.ari.hang_up(CUSTOMER)
    await h.ended(session)
    assert results(h) == [(2, "completed")]


# --- (b) attended, the consultation ---------------------------------------------------------

async def test_given_a_consultation_when_restarted_then_they_talk_on_and_alice_completes(h):
    session = await restarted(h, "answered", bob="Up", consult=True)
    assert not h.ari.find("DELETE", f"/bridges/{CONSULT}")  # they talk on
    assert not h.ari.find("DELETE", f"/channels/{BOB}")
    assert h.s.busy.busy("Bob Jones")
    h.keys(ALICE, "*2")
    await h.bridged(CUSTOMER, BOB)
    assert h.ari.find("DELETE", f"/bridges/{CONSULT}")
    assert h.ari.find("DELETE", f"/channels/{ALICE}")
    h.ari.hang_up(CUSTOMER)
    await h.ended(session)
    assert results(h) == [(2, "completed")]


async def test_given_a_consultation_when_alice_cancels_after_a_restart_then_she_has_the_caller(
        h):
    session = await restarted(h, "answered", bob="Up", consult=True)
    h.keys(ALICE, "*1")
    await h.ari.wait("DELETE", f"/channels/{BOB}")
    await h.bridged(CUSTOMER, ALICE)
    h.ari.hang_up(CUSTOMER)
    await h.ended(session)
    assert results(h) == [(2, "cancelled")]


async def test_given_a_consultation_alice_left_meanwhile_then_the_caller_gets_bob(h):
    session = await restarted(h, "answered", alice=False, bob="Up")
    await h.bridged(CUSTOMER, BOB)
    h.ari.hang_up(BOB)
    await h.ended(session)
    assert results(h) == [(2, "completed")]


async def test_given_a_consultation_both_left_meanwhile_then_alice_s_phones_ring_again(h):
    session = await restarted(h, "answered", alice=False)
    again = await h.leg_to("PJSIP/alice")
    h.ari.answer_leg(again)
    await h.bridged(CUSTOMER, again)
    h.ari.hang_up(CUSTOMER)
    _, outcome, *_ = await h.ended(session)
    assert outcome == "answered"
    assert [r for _, r in results(h)] == ["declined"]


# --- (c) blind, the recipient ringing -------------------------------------------------------

async def test_given_blind_ringing_when_restarted_then_bob_s_answer_gets_the_caller(h):
    session = await restarted(h, "blind", mode="blind", alice=False, bob="Ringing")
    h.ari.answer_leg(BOB)
    await h.bridged(CUSTOMER, BOB)
    assert h.ari.find("DELETE", f"/playbacks/{WAITING}")  # the caller's ringback stopped
    h.ari.hang_up(BOB)
    await h.ended(session)
    assert results(h) == [(2, "completed")]


async def test_given_blind_nobody_ringing_when_restarted_then_alice_s_phones_ring_again(h):
    session = await restarted(h, "blind", mode="blind", alice=False)
    again = await h.leg_to("PJSIP/alice")
    h.ari.answer_leg(again)
    await h.bridged(CUSTOMER, again)
    h.ari.hang_up(again)
    await h.ended(session)
    assert [r for _, r in results(h)] == ["declined"]


# --- (d) after completion ------------------------------------------------------------------

async def test_given_a_completed_transfer_when_restarted_then_the_call_is_adopted_as_a_talk(h):
    h.ari.bridges_up.append({"id": "callctl-br-talk", "channels": [CUSTOMER, BOB]})
    session = await restarted(h, "answered", alice=False, bob="Up")
    assert not h.ari.find("POST", "/bridges/")  # nothing moved: they talk on
    h.ari.hang_up(BOB)
    _, outcome, *_ = await h.ended(session)
    assert outcome == "answered" and not results(h)
