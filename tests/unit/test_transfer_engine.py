"""Transfers in the call engine, against the in-memory ARI: what each way of asking (keypad,
REFER, API) does to channels and bridges, every branch of the attended transfer, and what
the call log gets. Audio, real keys and real REFERs: tests/integration/test_transfers_*."""
import asyncio

import pytest

from callctl.calls.desk import TransferDesk
from callctl.calls.router import Router
from callctl.calls.transfers import Busy
from callctl.domain.catalog import Catalog
from callctl.domain.directory import CompanyNumber, Department, Directory, Employee
from callctl.domain.outgoing import CallerIdRule, OutgoingPolicy
from callctl.domain.transfer import Refused
from tests.support.fake_ari import FakeAri, services

CUSTOMER = "c1"
ALICE = Employee("Alice Smith", "101", ("alice",), department="Sales")
BOB = Employee("Bob Jones", "102", ("bob",), department="Sales")
CAROL = Employee("Carol White", "103", ("carol",), online=False)
DAN = Employee("Dan Brown", "104", ("dan",), department="Sales")
DIRECTORY = Directory(employees=(ALICE, BOB, CAROL, DAN),
                      departments=(Department("Sales", "600"),),
                      numbers=(CompanyNumber("100", "Alice Smith", 5),))
CATALOG = Catalog(DIRECTORY)
POLICY = OutgoingPolicy(rules=(CallerIdRule("company", "", "100"),))


class Harness:
    def __init__(self, ring_s=1):
        self.ari = FakeAri()
        self.s = services(self.ari, CATALOG, transfer_ring_s=ring_s,
                          outgoing=lambda: POLICY)
        self.router = Router(self.s, "callctl")
        self.ari.dispatch = self.router.dispatch
        self.desk = TransferDesk(self.router)

    def call(self, number="100", caller=CUSTOMER, kind="inbound", name="PJSIP/carrier-1",
             caller_number="+15557654321"):
        self.ari.stasis_start(caller, [kind, number], name=name,
                              caller={"number": caller_number, "name": "Ann"})
        return next(s for s in self.router.sessions if s.caller == caller)

    def leg_to(self, endpoint: str, count: int = 1):
        return self.ari.leg_to(endpoint, count)

    async def talking(self, session, endpoint="PJSIP/alice") -> str:
        """The call answered by `endpoint`: its leg."""
        leg = await self.leg_to(endpoint)
        self.ari.answer_leg(leg)
        await self.bridged(leg)
        return leg

    async def bridged(self, *channels, count=1, timeout=3):
        """Until `count` bridges have had all of `channels` added."""
        async def seen():
            while True:
                if sum(set(channels) <= got for got in self.ari.members()) >= count:
                    return
                await self.ari.wait("POST", "/addChannel",
                                    len(self.ari.find("POST", "/addChannel")) + 1)
        await asyncio.wait_for(seen(), timeout)

    async def attended_to_bob(self) -> tuple:
        """A call Alice answers, then keys `*2102#`: (the session, Alice's leg, Bob's
        ringing leg)."""
        session = self.call()
        alice = await self.talking(session)
        self.keys(alice, "*2102#")
        return session, alice, await self.leg_to("PJSIP/bob")

    def keys(self, channel, digits):
        for digit in digits:
            self.ari.press(channel, digit)

    def writes(self, name):
        return self.s.recorder.of(name)

    async def ended(self, session, timeout=5):
        await asyncio.wait_for(session.task, timeout)
        return self.writes("ended")[-1]


@pytest.fixture
def h():
    return Harness()


def bridges_gone(h):
    return [r for r in h.ari.requests if r.method == "DELETE" and r.path.startswith("/bridges/")]


def dtmf_sent(h, channel):
    return "".join(r.params["dtmf"] for r in h.ari.find("POST", f"/channels/{channel}/dtmf"))


# --- keypad ----------------------------------------------------------------------------------

async def test_given_a_talk_when_alice_keys_blind_then_she_leaves_and_bob_gets_the_caller(h):
    session = h.call()
    alice = await h.talking(session)
    h.keys(alice, "##102#")
    bob = await h.leg_to("PJSIP/bob")
    assert h.ari.find("DELETE", f"/channels/{alice}")  # the transferer is released at once
    assert bridges_gone(h)  # the call's bridge went
    ringback = [r for r in h.ari.find("POST", f"/channels/{CUSTOMER}/play")
                if r.params["media"] == "tone:ring"]
    assert ringback  # the caller hears ringback
    originate = [r for r in h.ari.find("POST", "/channels") if r.params["channelId"] == bob][0]
    assert originate.params["callerId"] == '"Ann" <+15557654321>'  # Bob sees the caller
    assert originate.params["variables"]["PJSIP_TRANSFER_HANDLING()"] == "ari-only"
    assert not h.s.busy.busy("Alice Smith")
    h.ari.answer_leg(bob)
    await h.bridged(CUSTOMER, bob)
    assert h.s.busy.busy("Bob Jones")
    h.ari.hang_up(CUSTOMER)
    _, outcome, *_ = await h.ended(session)
    assert outcome == "answered"
    (call, seq, mode, via, by, asked, label, _), = h.writes("transfer_started")
    assert (seq, mode, via, by, asked, label) == (1, "blind", "keypad", "Alice Smith", "102",
                                                 "Bob Jones (102)")
    (_, _, result, _, recipient, leg, _, employee), = h.writes("transfer_ended")
    assert (result, recipient, leg, employee) == ("completed", "Bob Jones", "PJSIP/bob",
                                                 "Bob Jones")
    assert not h.s.busy.busy("Bob Jones")


async def test_given_digits_that_are_no_code_when_keyed_then_they_reach_the_other_party(h):
    session = h.call()
    alice = await h.talking(session)
    h.keys(alice, "5#7")
    await h.ari.wait("POST", f"/channels/{CUSTOMER}/dtmf", 2)
    assert dtmf_sent(h, CUSTOMER) == "5#7"
    h.keys(CUSTOMER, "*2")  # the customer's keys are no code: sent on to Alice at once
    await h.ari.wait("POST", f"/channels/{alice}/dtmf", 2)
    assert dtmf_sent(h, alice) == "*2"
    assert not h.writes("transfer_started")
    h.ari.hang_up(CUSTOMER)
    await h.ended(session)


async def test_given_an_offline_colleague_when_keyed_then_refused_with_a_prompt(h):
    session = h.call()
    alice = await h.talking(session)
    h.keys(alice, "##103#")
    play = await h.ari.wait("POST", f"/channels/{alice}/play", 2)  # "transfer", then this
    assert play.params["media"] == "sound:asterisk/vm-nobodyavail"
    assert not bridges_gone(h)  # the call goes on untouched
    (_, _, result, _, _, _, detail), = [w[:7] for w in h.writes("transfer_ended")]
    assert result == "refused" and "offline" in detail
    h.ari.hang_up(CUSTOMER)
    await h.ended(session)


async def test_given_the_transfer_prompt_playing_when_the_number_is_keyed_then_it_stops(h):
    session = h.call()
    alice = await h.talking(session)
    h.keys(alice, "##")
    prompt = (await h.ari.wait("POST", f"/channels/{alice}/play")).params["playbackId"]
    h.keys(alice, "102#")
    stop = await h.ari.wait("DELETE", f"/playbacks/{prompt}")
    # before the bridge goes: a prompt left playing there blocks the channel afterwards
    assert h.ari.requests.index(stop) < h.ari.requests.index(bridges_gone(h)[0])
    h.ari.hang_up(CUSTOMER)
    await h.ended(session)


async def test_given_attended_when_completed_by_keypad_then_caller_and_bob_talk(h):
    session, alice, bob = await h.attended_to_bob()
    await h.ari.wait("POST", f"/channels/{CUSTOMER}/moh")  # the caller on hold
    assert [r for r in h.ari.find("POST", f"/channels/{alice}/play")
            if r.params["media"] == "tone:ring"]  # Alice hears ringback
    originate = [r for r in h.ari.find("POST", "/channels") if r.params["channelId"] == bob][0]
    assert originate.params["callerId"] == '"Alice Smith" <101>'
    h.ari.answer_leg(bob)
    await h.bridged(alice, bob)  # the consultation
    h.keys(alice, "*2")
    await h.bridged(CUSTOMER, bob)
    assert h.ari.find("DELETE", f"/channels/{CUSTOMER}/moh")
    assert h.ari.find("DELETE", f"/channels/{alice}")
    h.ari.hang_up(bob)
    _, outcome, *_ = await h.ended(session)
    assert outcome == "answered"
    assert [w[2] for w in h.writes("transfer_ended")] == ["completed"]
    assert [w[:4] for w in h.writes("transfer_answered")] == [(CUSTOMER, 1, "Bob Jones",
                                                               "PJSIP/bob")]


async def test_given_attended_when_cancelled_by_keypad_then_back_to_the_caller(h):
    session, alice, bob = await h.attended_to_bob()
    h.ari.answer_leg(bob)
    await h.bridged(alice, bob)
    h.keys(alice, "*1")
    await h.ari.wait("DELETE", f"/channels/{bob}")
    await h.bridged(CUSTOMER, alice)
    assert not h.s.busy.busy("Bob Jones") and h.s.busy.busy("Alice Smith")
    h.ari.hang_up(CUSTOMER)
    await h.ended(session)
    assert [w[2] for w in h.writes("transfer_ended")] == ["cancelled"]


async def test_given_attended_when_nobody_answers_then_back_to_the_caller(h):
    session, alice, bob = await h.attended_to_bob()
    await h.ari.wait("DELETE", f"/channels/{bob}", timeout=3)  # 1 s ring time
    await h.bridged(CUSTOMER, alice)
    h.ari.hang_up(alice)
    await h.ended(session)
    assert [w[2] for w in h.writes("transfer_ended")] == ["no_answer"]
    assert dict((w[0], w[1]) for w in h.writes("leg_ended"))[bob] == "no_answer"


async def test_given_attended_when_the_recipient_declines_then_back_to_the_caller(h):
    session, alice, bob = await h.attended_to_bob()
    h.ari.hang_up(bob, cause=17)
    await h.bridged(CUSTOMER, alice)
    h.ari.hang_up(CUSTOMER)
    await h.ended(session)
    assert [w[2] for w in h.writes("transfer_ended")] == ["declined"]


async def test_given_attended_when_the_transferer_hangs_up_while_ringing_then_blind(h):
    session, alice, bob = await h.attended_to_bob()
    await h.ari.wait("POST", f"/channels/{CUSTOMER}/moh")
    h.ari.hang_up(alice)
    await h.ari.wait("DELETE", f"/channels/{CUSTOMER}/moh")  # from music to ringback
    await h.ari.wait("POST", f"/channels/{CUSTOMER}/play")
    h.ari.answer_leg(bob)
    await h.bridged(CUSTOMER, bob)
    h.ari.hang_up(CUSTOMER)
    await h.ended(session)
    assert [w[2] for w in h.writes("transfer_ended")] == ["completed"]


async def test_given_a_consultation_when_the_caller_hangs_up_then_it_goes_on_as_a_call(h):
    session, alice, bob = await h.attended_to_bob()
    h.ari.answer_leg(bob)
    await h.bridged(alice, bob)
    h.ari.hang_up(CUSTOMER)
    await h.ari.wait("DELETE", "/moh")  # the consultation goes on: no music for anyone
    h.keys(alice, "5")  # no code: it reaches Bob, so the call still serves them after that
    await h.ari.wait("POST", f"/channels/{bob}/dtmf")
    assert not session.task.done()  # Alice and Bob talk on
    assert not h.ari.find("DELETE", f"/channels/{bob}")
    h.ari.hang_up(bob)
    _, outcome, *_ = await h.ended(session)
    assert outcome == "answered"
    assert h.ari.find("DELETE", f"/channels/{alice}")
    assert [w[2] for w in h.writes("transfer_ended")] == ["abandoned"]


async def test_given_two_transfers_in_a_row_then_both_logged_and_dan_ends_with_it(h):
    session = h.call()
    alice = await h.talking(session)
    h.keys(alice, "##102#")
    bob = await h.leg_to("PJSIP/bob")
    h.ari.answer_leg(bob)
    await h.bridged(CUSTOMER, bob)
    h.keys(bob, "##104#")
    dan = await h.leg_to("PJSIP/dan")
    h.ari.answer_leg(dan)
    await h.bridged(CUSTOMER, dan)
    h.ari.hang_up(dan)
    await h.ended(session)
    assert [(w[1], w[4]) for w in h.writes("transfer_started")] == [(1, "Alice Smith"),
                                                                    (2, "Bob Jones")]
    assert [w[-1] for w in h.writes("transfer_ended")] == ["Bob Jones", "Dan Brown"]


async def test_given_a_blind_transfer_nobody_takes_then_the_transferer_rings_again(h):
    session = h.call()
    alice = await h.talking(session)
    h.keys(alice, "##102#")
    await h.leg_to("PJSIP/bob")
    again = await h.leg_to("PJSIP/alice", 2)  # after Bob's 1 s
    h.ari.answer_leg(again)
    await h.bridged(CUSTOMER, again)
    h.ari.hang_up(CUSTOMER)
    await h.ended(session)
    (_, _, result, _, _, _, detail, _), = h.writes("transfer_ended")
    assert (result, detail) == ("no_answer", "the transferer's phones rang again")


async def test_given_an_internal_call_when_the_caller_transfers_then_the_callee_stays(h):
    session = h.call("102", caller="a1", kind="internal", name="PJSIP/alice-1",
                     caller_number="101")
    bob = await h.talking(session, "PJSIP/bob")
    h.keys("a1", "##104#")  # Alice, the caller, transfers Bob to Dan
    dan = await h.leg_to("PJSIP/dan")
    assert h.ari.find("DELETE", "/channels/a1")
    h.ari.answer_leg(dan)
    await h.bridged(bob, dan)
    h.ari.hang_up(dan)
    await h.ended(session)
    assert h.ari.find("DELETE", f"/channels/{bob}")
    assert h.writes("transfer_started")[0][4] == "Alice Smith"


# --- the phone's transfer button (REFER) ----------------------------------------------------

def refer(h, channel, destination, state=None, **refer_to):
    """A ChannelTransfer as Asterisk sends it; with Replaces (the phone's own consultation)
    its Call-ID is there, and Asterisk names the channels it found."""
    wanted = {"destination": destination}
    if refer_to:
        wanted["protocol_id"] = "consultation-call-id"
    msg = {"type": "ChannelTransfer", "refer_to": {"requested_destination": wanted,
                                                   **refer_to},
        "referred_by": {"source_channel": {"id": channel}}}
    if state:
        msg["state"] = state
    h.ari.emit(msg)


def progress(h, channel):
    return [r.params["states"] for r in h.ari.find("POST", f"/channels/{channel}/"
                                                           "transfer_progress")]


async def test_given_a_blind_refer_when_bob_answers_then_the_phone_is_told(h):
    session = h.call()
    alice = await h.talking(session)
    refer(h, alice, "102")
    bob = await h.leg_to("PJSIP/bob")
    assert progress(h, alice) == ["channel_progress"]
    assert not h.ari.find("DELETE", f"/channels/{alice}")  # its phone hangs up by itself
    refer(h, alice, "102", state="channel_progress")  # Asterisk repeats it: not a request
    h.ari.answer_leg(bob)
    await h.bridged(CUSTOMER, bob)
    assert progress(h, alice) == ["channel_progress", "channel_answered"]
    h.ari.hang_up(alice)
    h.ari.hang_up(CUSTOMER)
    await h.ended(session)
    assert [(w[2], w[3]) for w in h.writes("transfer_started")] == [("blind", "refer")]


async def test_given_a_blind_refer_nobody_takes_when_the_phone_is_there_then_back(h):
    session = h.call()
    alice = await h.talking(session)
    refer(h, alice, "102")
    await h.leg_to("PJSIP/bob")
    await h.bridged(CUSTOMER, alice, count=2, timeout=4)
    assert progress(h, alice)[-1] == "channel_declined"
    h.ari.hang_up(CUSTOMER)
    await h.ended(session)


async def test_given_a_refer_to_nobody_when_received_then_unavailable_and_the_call_goes_on(h):
    session = h.call()
    alice = await h.talking(session)
    refer(h, alice, "999")
    await h.ari.wait("POST", f"/channels/{alice}/transfer_progress")
    assert progress(h, alice) == ["channel_unavailable"]
    assert not bridges_gone(h)
    h.ari.hang_up(CUSTOMER)
    await h.ended(session)


async def test_given_a_refer_from_the_customer_when_received_then_declined(h):
    session = h.call()
    await h.talking(session)
    refer(h, CUSTOMER, "102")
    await h.ari.wait("POST", f"/channels/{CUSTOMER}/transfer_progress")
    assert progress(h, CUSTOMER) == ["channel_declined"]
    h.ari.hang_up(CUSTOMER)
    await h.ended(session)


async def test_given_a_refer_with_replaces_then_the_consultation_s_party_joins_the_caller(h):
    first = h.call()
    alice = await h.talking(first)
    consult = h.call("102", caller="a2", kind="internal", name="PJSIP/alice-2",
                     caller_number="101")
    bob = await h.talking(consult, "PJSIP/bob")
    refer(h, alice, "102", destination_channel={"id": "a2"}, connected_channel={"id": bob})
    await h.bridged(CUSTOMER, bob)
    assert progress(h, alice) == ["channel_answered"]
    await asyncio.wait_for(consult.task, 3)  # the phone's consultation call is over ...
    assert not h.ari.find("DELETE", f"/channels/{bob}")  # ... without Bob
    assert h.s.busy.busy("Bob Jones") and not h.s.busy.busy("Alice Smith")
    h.ari.hang_up(bob)
    _, outcome, *_ = await h.ended(first)
    assert outcome == "answered"
    started, = h.writes("transfer_started")
    assert (started[0], started[2], started[3], started[4]) == (CUSTOMER, "attended", "refer",
                                                                "Alice Smith")
    assert [w[:3] for w in h.writes("transfer_ended")] == [(CUSTOMER, 1, "completed")]


# --- the API ---------------------------------------------------------------------------------

async def test_given_the_api_when_alice_transfers_attended_then_completes(h):
    session = h.call()
    alice = await h.talking(session)
    (listed,) = h.desk.active({"Alice Smith"})
    assert (listed["state"], listed["employees"]) == ("talking", ["Alice Smith"])
    started = await h.desk.transfer(CUSTOMER, "Alice Smith", "Bob Jones", "attended")
    assert (started["state"], started["to"]) == ("ringback", "Bob Jones (102)")
    bob = await h.leg_to("PJSIP/bob")
    (listed,) = h.desk.active({"Bob Jones"})
    assert {p["role"]: p["state"] for p in listed["parties"]} == {
        "transferee": "on hold", "transferer": "ringback", "recipient": "ringing"}
    h.ari.answer_leg(bob)
    await h.bridged(alice, bob)
    done = await h.desk.complete(CUSTOMER, "Alice Smith")
    assert (done["state"], done["recipient"]) == ("completed", "Bob Jones")
    await h.bridged(CUSTOMER, bob)
    h.ari.hang_up(CUSTOMER)
    await h.ended(session)


async def test_given_the_api_when_completed_while_ringing_then_blind_and_no_way_back(h):
    session = h.call()
    await h.talking(session)
    await h.desk.transfer(CUSTOMER, "Alice Smith", "102", "attended")
    bob = await h.leg_to("PJSIP/bob")
    assert (await h.desk.complete(CUSTOMER, "Alice Smith"))["state"] == "blind"
    with pytest.raises(Busy, match="the transfer is blind: it cannot be cancelled now"):
        await h.desk.cancel(CUSTOMER, "Alice Smith")
    h.ari.answer_leg(bob)
    await h.bridged(CUSTOMER, bob)
    h.ari.hang_up(CUSTOMER)
    await h.ended(session)


async def test_given_the_api_when_the_target_is_offline_then_refused_and_nothing_changes(h):
    session = h.call()
    await h.talking(session)
    with pytest.raises(Refused, match="offline"):
        await h.desk.transfer(CUSTOMER, "Alice Smith", "103", "blind")
    with pytest.raises(Busy, match="nothing to cancel"):
        await h.desk.cancel(CUSTOMER, "Alice Smith")
    with pytest.raises(Busy, match="Bob Jones does not talk"):
        await h.desk.transfer(CUSTOMER, "Bob Jones", "104", "blind")
    assert not bridges_gone(h)
    assert not h.ari.find("POST", "/play")  # the API answers why: no prompt in the call
    h.ari.hang_up(CUSTOMER)
    await h.ended(session)


async def test_given_a_call_still_ringing_when_the_api_transfers_then_refused(h):
    session = h.call()
    await h.leg_to("PJSIP/alice")
    with pytest.raises(Busy, match="not answered yet"):
        await h.desk.transfer(CUSTOMER, "Alice Smith", "102", "blind")
    (listed,) = h.desk.active({"Alice Smith"})
    assert listed["state"] == "ringing"
    h.ari.hang_up(CUSTOMER)
    await h.ended(session)
