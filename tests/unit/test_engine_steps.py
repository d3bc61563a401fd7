"""The call engine's steps against an in-memory ARI: every branch of ring, menu, voicemail
and announce, and how a session ends, in milliseconds. What only Asterisk can show (audio,
keys on the wire, timing) is in tests/integration."""
import asyncio

import pytest

from callctl.calls.router import Router
from callctl.domain.catalog import Catalog
from callctl.domain.directory import CompanyNumber, Department, Directory, Employee
from callctl.domain.ivr import menu_from_dict
from callctl.domain.scheme import Direction, scheme_from_dict
from callctl.domain.voicemail import box_from_dict
from tests.support.fake_ari import FakeAri, services

CALLER = "c1"
ALICE = Employee("Alice Smith", "101", ("alice",), department="Sales")
BOB = Employee("Bob Jones", "102", ("bob",), ("+15550199",))
CAROL = Employee("Carol White", "103", ("carol",), call_waiting=True)
DIRECTORY = Directory(employees=(ALICE, BOB, CAROL), departments=(Department("Sales", "600"),),
                      numbers=(CompanyNumber("100", "Alice Smith", 1),
                               CompanyNumber("200", None), CompanyNumber("300", None)))
MAIN = menu_from_dict({"name": "Main", "greeting": "hello", "digit_timeout": 1, "retries": 1,
                       "options": {1: {"employee": "Alice Smith"}, 2: {"ivr": "Sub"},
                                   9: "repeat", 0: "hangup"},
                       "final": {"voicemail": "Box"}})
SUB = menu_from_dict({"name": "Sub", "greeting": "sub", "options": {1: {"employee": "Bob Jones"}}})
BOX = box_from_dict({"name": "Box", "max_seconds": 30})
PARALLEL = scheme_from_dict({"name": "Both", "kind": "parallel", "branches": [{
    "name": "always", "blocks": [{"timeout": 1, "directions": [{"employee": "Alice Smith"},
                                                               {"employee": "Bob Jones"}]},
                                 {"timeout": 1, "directions": [{"employee": "Carol White"}]}]}]})
CATALOG = Catalog(DIRECTORY, {"Both": PARALLEL}, {"Main": MAIN, "Sub": SUB}, {"Box": BOX},
                  {"200": Direction("ivr", "Main"), "300": Direction("scheme", "Both")})


class Harness:
    def __init__(self, catalog=CATALOG):
        self.ari = FakeAri()
        self.s = services(self.ari, catalog)
        self.router = Router(self.s, "callctl")
        self.ari.dispatch = self.router.dispatch

    def call(self, number: str, caller: str = CALLER, kind: str = "inbound", *extra: str):
        self.ari.stasis_start(caller, [kind, number, *extra], name=f"PJSIP/carrier-{caller}",
                              caller={"number": "+15557654321", "name": "Ann"})
        return next(s for s in self.router.sessions if s.caller == caller)

    def leg_to(self, endpoint: str, count: int = 1):
        return self.ari.leg_to(endpoint, count)

    async def ended(self, session, timeout=5):
        await asyncio.wait_for(session.task, timeout)
        return self.s.recorder.of("ended")[-1]


@pytest.fixture
def h():
    return Harness()


# --- ring ------------------------------------------------------------------------------------

async def test_given_two_legs_when_one_answers_then_bridged_and_the_other_cancelled(h):
    session = h.call("300")
    alice, bob = await h.leg_to("PJSIP/alice"), await h.leg_to("PJSIP/bob")
    h.ari.answer_leg(bob)
    add = await h.ari.wait("POST", "/addChannel")  # both at once, digits kept off (keypad.py)
    assert add.params["absorbDTMF"] and h.ari.members() == [{CALLER, bob}]
    assert h.ari.find("DELETE", f"/channels/{alice}")  # the other leg stops ringing
    assert h.s.busy.busy("Bob Jones")
    h.ari.hang_up(CALLER)
    _, outcome, *_ = await h.ended(session)
    assert outcome == "answered" and not h.s.busy.busy("Bob Jones")
    results = {args[0]: args[1] for args in h.s.recorder.of("leg_ended")}
    assert (results[alice], results[bob]) == ("cancelled", "answered")


@pytest.mark.parametrize("dialplan_rang", [False, True])
async def test_given_a_ring_step_when_legs_ring_then_the_caller_gets_one_180(h, dialplan_rang):
    # dialplan/callctl.conf sends the 180 itself (Ringing()) and says so in Stasis' arguments;
    # a dialplan that does not gets it from the daemon, once, beside the legs' originate.
    session = h.call("300", CALLER, "inbound", *(["ringing"] if dialplan_rang else []))
    await h.leg_to("PJSIP/carol")  # block 2: the caller is still waiting, not rung again
    rings = h.ari.find("POST", f"/channels/{CALLER}/ring")
    assert len(rings) == (0 if dialplan_rang else 1)
    h.ari.hang_up(CALLER)
    await h.ended(session)


async def test_given_nobody_answers_when_the_block_times_out_then_next_block_then_prompt(h):
    session = h.call("300")
    await h.leg_to("PJSIP/carol")  # block 2, after block 1's 1 s
    play = await h.ari.wait("POST", "/play", timeout=3)
    assert play.params["media"] == "sound:asterisk/vm-nobodyavail"
    assert h.ari.find("POST", f"/channels/{CALLER}/progress")  # early media, not answered
    assert not h.ari.find("POST", f"/channels/{CALLER}/answer")
    _, outcome, *_ = await h.ended(session, timeout=3)
    assert outcome == "missed"
    assert h.ari.find("DELETE", f"/channels/{CALLER}")[-1].params["cause"] == 19  # 480


async def test_given_every_leg_refused_when_dialled_then_the_block_is_skipped_at_once(h):
    h.ari.fail_originate = {"PJSIP/alice", "PJSIP/bob", "PJSIP/+15550199@carrier"}
    session = h.call("300")
    await h.leg_to("PJSIP/carol")
    assert [args[2] for args in h.s.recorder.of("leg_skipped")] == \
        ["Alice Smith", "Bob Jones", "Bob Jones"]
    h.ari.hang_up(CALLER)
    await h.ended(session)


async def test_given_a_person_answers_elsewhere_when_ringing_here_then_this_leg_ends_busy(h):
    first, second = h.call("300", "c1"), h.call("300", "c2")
    alice1, alice2 = await h.leg_to("PJSIP/alice", 1), await h.leg_to("PJSIP/alice", 2)
    h.ari.answer_leg(alice1)  # Alice takes the first call
    await h.ari.wait("DELETE", f"/channels/{alice2}")  # the second stops ringing her at once
    assert dict((a[0], a[1]) for a in h.s.recorder.of("leg_ended"))[alice2] == "busy"
    for caller in ("c1", "c2"):
        h.ari.hang_up(caller)
    await h.ended(first)
    await h.ended(second)


async def test_given_a_busy_employee_when_a_new_call_is_planned_then_skipped_unless_waiting(h):
    first = h.call("300", "c1")
    h.ari.answer_leg(await h.leg_to("PJSIP/alice"))
    await h.ari.wait("POST", "/addChannel")
    second = h.call("300", "c2")
    await h.leg_to("PJSIP/bob", 2)
    assert len([r for r in h.ari.find("POST", "/channels")
                if r.params["endpoint"] == "PJSIP/alice"]) == 1  # not rung for c2
    for caller in ("c1", "c2"):
        h.ari.hang_up(caller)
    await h.ended(first)
    await h.ended(second)


async def test_given_a_hangup_racing_the_answer_when_bridging_then_no_crash(h):
    h.ari.gone_on_add = True  # addChannel: HTTP 400 "Channel not found"
    session = h.call("300")
    h.ari.answer_leg(await h.leg_to("PJSIP/alice"))
    await h.ari.wait("POST", "/addChannel")
    h.ari.hang_up(CALLER)
    _, outcome, *_ = await h.ended(session)
    assert outcome == "answered" and not session.task.exception()


async def test_given_a_call_that_ended_when_the_next_is_answered_then_its_bridge_is_reused(h):
    first = h.call("300", "c1")
    h.ari.answer_leg(await h.leg_to("PJSIP/alice"))
    add = await h.ari.wait("POST", "/addChannel")
    h.ari.hang_up("c1")  # the leg is hung up by the daemon: both leave, the bridge is empty
    await h.ended(first)
    assert not [p for p in h.ari.paths("DELETE") if p.startswith("/bridges/")]
    second = h.call("300", "c2")
    h.ari.answer_leg(await h.leg_to("PJSIP/alice", 2))
    again = await h.ari.wait("POST", "/addChannel", 2)
    created = [p for p in h.ari.paths("POST") if p.startswith("/bridges/") and p.count("/") == 2]
    assert again.path == add.path and len(created) == 1
    assert again.params["channel"].split(",")[0] == "c2"
    h.ari.hang_up("c2")
    await h.ended(second)
    await h.s.bridges.close()  # the daemon stops: the idle bridge goes
    assert [p for p in h.ari.paths("DELETE") if p.startswith("/bridges/")] == [
        add.path[:-len("/addChannel")]]


async def test_given_an_idle_bridge_destroyed_by_someone_when_a_call_takes_it_then_a_new_one(h):
    h.s.bridges.idle.append("callctl-pool-gone")  # ops destroyed it in Asterisk meanwhile
    h.ari.gone_bridges.add("callctl-pool-gone")
    session = h.call("300")
    h.ari.answer_leg(alice := await h.leg_to("PJSIP/alice"))
    add = await h.ari.wait("POST", "/addChannel", 2)
    assert "callctl-pool-gone" not in add.path and set(add.params["channel"].split(",")) == {
        CALLER, alice}
    h.ari.hang_up(CALLER)
    assert (await h.ended(session))[1] == "answered"
    assert "callctl-pool-gone" not in h.s.bridges.idle


async def test_given_a_caller_that_never_leaves_stasis_when_the_call_ends_then_bridge_destroyed(h):
    session = h.call("300")
    alice = await h.leg_to("PJSIP/alice")
    h.ari.answer_leg(alice)
    add = await h.ari.wait("POST", "/addChannel")
    h.ari.emit({"type": "ChannelHangupRequest", "channel": {"id": CALLER}})  # no StasisEnd
    await h.ended(session)
    bridge = add.path[:-len("/addChannel")]
    assert h.ari.find("DELETE", bridge) and not h.s.bridges.idle  # never handed on


async def test_given_a_customer_key_during_a_call_when_pressed_then_sent_on_to_the_staff(h):
    session = h.call("300")
    alice = await h.leg_to("PJSIP/alice")
    h.ari.answer_leg(alice)
    await h.ari.wait("POST", "/addChannel")
    h.ari.press(CALLER, "4")
    dtmf = await h.ari.wait("POST", f"/channels/{alice}/dtmf")
    assert dtmf.params["dtmf"] == "4"
    h.ari.hang_up(CALLER)
    await h.ended(session)


# --- menus -----------------------------------------------------------------------------------

async def test_given_a_key_during_the_greeting_when_pressed_then_it_stops_and_routes(h):
    h.ari.hold_prompts = True
    session = h.call("200")
    play = await h.ari.wait("POST", "/play")
    assert play.params["media"] == "sound:upload/hello"
    assert h.ari.find("POST", f"/channels/{CALLER}/answer")
    assert h.ari.find("POST", f"/channels/{CALLER}/variable")[0].params["value"] == "menu:Main"
    h.ari.press(CALLER, "1")
    await h.ari.wait("DELETE", f"/playbacks/{play.params['playbackId']}")  # barge-in
    alice = await h.leg_to("PJSIP/alice")
    h.ari.answer_leg(alice)
    await h.ari.wait("POST", "/addChannel")
    h.ari.hang_up(CALLER)
    ended = await h.ended(session)
    assert ended[1] == "answered" and ended[4] == "menu 'Main': 1 -> employee 'Alice Smith'"


async def test_given_an_invalid_key_then_none_when_retries_run_out_then_final_direction(h):
    h.ari.hold_prompts = True
    session = h.call("200")
    greeting = await h.ari.wait("POST", "/play")
    h.ari.press(CALLER, "7")  # not an option
    invalid = await h.ari.wait("POST", "/play", 2)
    assert invalid.params["media"] == "sound:default/ivr-invalid"
    h.ari.finish(invalid.params["playbackId"])
    again = await h.ari.wait("POST", "/play", 3)
    assert again.params["media"] == "sound:upload/hello"  # the greeting again
    h.ari.finish(again.params["playbackId"])
    # No key within digit_timeout (1 s): the second miss ends the retries (1).
    no_input = await h.ari.wait("POST", "/play", 4, timeout=3)
    assert no_input.params["media"] == "sound:default/ivr-timeout"
    h.ari.finish(no_input.params["playbackId"])
    vm_greeting = await h.ari.wait("POST", "/play", 5)
    assert vm_greeting.params["media"] == "sound:default/voicemail-working"
    assert greeting.params["playbackId"] != again.params["playbackId"]
    h.ari.hang_up(CALLER)
    _, outcome, *_ = await h.ended(session)
    assert outcome == "missed"  # hung up before the beep: no message


async def test_given_nested_menus_and_repeat_when_keys_pressed_then_each_level_routes(h):
    session = h.call("200")
    await h.ari.wait("POST", "/play")
    h.ari.press(CALLER, "9")  # repeat: the greeting again, no miss
    await h.ari.wait("POST", "/play", 2)
    h.ari.press(CALLER, "2")
    sub = await h.ari.wait("POST", "/play", 3)
    assert sub.params["media"] == "sound:upload/sub"
    h.ari.press(CALLER, "1")
    await h.leg_to("PJSIP/bob")
    h.ari.hang_up(CALLER)
    _, outcome, _, _, route = await h.ended(session)
    assert outcome == "missed" and route == \
        "menu 'Main': 2 -> ivr 'Sub'; menu 'Sub': 1 -> employee 'Bob Jones'"


async def test_given_the_hangup_key_when_pressed_then_the_call_ends_as_chosen(h):
    session = h.call("200")
    await h.ari.wait("POST", "/play")
    h.ari.press(CALLER, "0")
    _, outcome, *_ = await h.ended(session)
    assert outcome == "ivr"
    assert h.ari.find("DELETE", f"/channels/{CALLER}")


# --- voicemail ------------------------------------------------------------------------------

async def test_given_voicemail_when_a_message_is_recorded_then_the_mailroom_takes_it(h):
    catalog = Catalog(DIRECTORY, boxes={"Box": BOX}, routes={"100": Direction("voicemail", "Box")})
    h = Harness(catalog)
    session = h.call("100")
    record = await h.ari.wait("POST", f"/channels/{CALLER}/record")
    assert (record.params["name"], record.params["max"]) == (f"callctl-vm-{CALLER}", 30)
    assert [r.params["value"] for r in h.ari.find("POST", "/variable")] == ["voicemail:Box"]
    h.ari.finish_recording(f"callctl-vm-{CALLER}", CALLER, 3)
    goodbye = await h.ari.wait("POST", "/play", 2)
    assert goodbye.params["media"] == "sound:asterisk/vm-goodbye"
    _, outcome, *_ = await h.ended(session)
    assert outcome == "voicemail"
    assert h.s.mailroom.taken == [(CALLER, "Box", f"callctl-vm-{CALLER}", 3)]
    assert h.s.recorder.of("voicemail_started") == [(CALLER, "Box")]


async def test_given_a_hangup_while_recording_when_asterisk_reports_then_the_message_is_kept(h):
    catalog = Catalog(DIRECTORY, boxes={"Box": BOX}, routes={"100": Direction("voicemail", "Box")})
    h = Harness(catalog)
    session = h.call("100")
    await h.ari.wait("POST", f"/channels/{CALLER}/record")
    h.ari.hang_up(CALLER)  # the recording ends with the call; its report follows
    h.ari.finish_recording(f"callctl-vm-{CALLER}", CALLER, 2)
    _, outcome, *_ = await h.ended(session)
    assert outcome == "voicemail" and len(h.s.mailroom.taken) == 1


async def test_given_a_hangup_right_after_the_beep_then_no_message_and_missed(h):
    catalog = Catalog(DIRECTORY, boxes={"Box": BOX}, routes={"100": Direction("voicemail", "Box")})
    h = Harness(catalog)
    session = h.call("100")
    await h.ari.wait("POST", f"/channels/{CALLER}/record")
    h.ari.hang_up(CALLER)
    h.ari.finish_recording(f"callctl-vm-{CALLER}", CALLER, 0)
    _, outcome, *_ = await h.ended(session)
    assert outcome == "missed" and h.s.mailroom.discarded == [f"callctl-vm-{CALLER}"]


# --- endings ---------------------------------------------------------------------------------

async def test_given_an_unknown_number_when_called_then_not_in_service_as_early_media(h):
    session = h.call("999")
    await h.ari.wait("POST", "/play")
    _, outcome, *_ = await h.ended(session)
    assert outcome == "not_in_service"
    assert h.ari.find("DELETE", f"/channels/{CALLER}")[-1].params["cause"] == 1  # 404


async def test_given_the_caller_hangs_up_while_ringing_then_legs_end_and_missed(h):
    session = h.call("300")
    alice = await h.leg_to("PJSIP/alice")
    h.ari.hang_up(CALLER)
    ended = await h.ended(session)
    assert (ended[1], ended[3]) == ("missed", "caller hung up while ringing")
    assert h.ari.find("DELETE", f"/channels/{alice}")
    assert not h.router.sessions
