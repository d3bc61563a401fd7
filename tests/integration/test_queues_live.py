"""Call queues on real calls: three operator phones, several callers. The music and the
announcements are test tones of their own, detected at the waiting caller's phone."""
import signal

import pytest
import yaml

from tests.support.audio import tones_in_order, wav

from .conftest import BOB_NUMBER, cli
from .test_first_call import call_log

pytestmark = pytest.mark.integration

NUMBER = BOB_NUMBER  # the company number the queue's scheme serves
BACKUP = "+15550188"  # the next block: a number through the trunk
MUSIC, ANNOUNCEMENT = 500, 900  # Hz


@pytest.fixture(scope="module")
def office(daemon, registered_all, carrier, tmp_path_factory):
    folder = tmp_path_factory.mktemp("queues")
    for name, freq, seconds in (("music", MUSIC, 2), ("please-hold", ANNOUNCEMENT, 1)):
        path = folder / f"{name}.wav"
        path.write_bytes(wav(freq, seconds))
        cli(daemon.path, "prompts", "add", name, str(path))
    save(daemon, folder, "voicemail", {"name": "Q-box", "max_seconds": 10})
    yield folder
    cli(daemon.path, "schemes", "unassign", NUMBER)
    daemon.wait_directory_loaded()


@pytest.fixture(scope="module")
def registered_all(daemon, phones, lab, asterisk):
    """Alice's and Bob's phones, and Carol's, all registered."""
    cli(daemon.path, "employees", "add", "--name", "Carol White", "--extension", "103",
        "--email", "carol@example.com")
    made = cli(daemon.path, "sip", "add", "--employee", "Carol White")
    carol = lab.phone(made["object"]["login"], made["password"],
                      registrar=f"127.0.0.1:{asterisk['staff_port']}")
    carol.wait_registered()
    daemon.wait_log("sip.registration", login=made["object"]["login"], state="online")
    yield {**phones, "carol": carol}
    carol.close()


@pytest.fixture
def ops(registered_all, daemon, ari):
    daemon.forget_past()
    for phone in registered_all.values():  # offers an earlier test left unanswered
        phone.forget_incoming()
    yield registered_all
    ari.assert_clean()


def save(daemon, folder, command: str, doc: dict) -> None:
    path = folder / f"{command}-{doc['name']}.yaml"
    path.write_text(yaml.safe_dump(doc))
    cli(daemon.path, command, "add", str(path), "--replace")


def use_queue(daemon, folder, wait_after=True, **kw) -> None:
    """Queue Q (Alice, Bob, Carol unless given) first, then the backup, then voicemail."""
    doc = {"name": "Q", "operators": [{"employee": "Alice Smith"}, {"employee": "Bob Jones"},
                                      {"employee": "Carol White"}],
           "ring_seconds": 4, "retry_seconds": 1, "max_wait": 30, "music": "music", **kw}
    save(daemon, folder, "queues", doc)
    save(daemon, folder, "schemes", {"name": "Large department", "kind": "sequential",
                                     "branches": [{"name": "always", "blocks": [
                                         {"timeout": 60, "directions": [{"queue": "Q"}]},
                                         {"timeout": 3, "directions": [{"phone_number": BACKUP}]},
                                         {"timeout": 60, "directions": [{"voicemail": "Q-box"}]}]}]})
    cli(daemon.path, "schemes", "assign", NUMBER, "Large department")
    if wait_after:
        daemon.wait_directory_loaded()


def queued(carrier, daemon, caller_id: str):
    call = carrier.call(NUMBER, caller_id=caller_id)
    logged = daemon.wait_log("call.queued", queue="Q")
    call.wait_state("CONFIRMED")  # a queue answers the caller, who hears its music
    return call, logged["call"]


def test_given_ringall_when_a_caller_waits_then_every_free_operator_rings_and_music_plays(
        daemon, ops, carrier, office):
    use_queue(daemon, office)
    call, call_id = queued(carrier, daemon, "+15557200001")
    rings = {name: ops[name].wait_incoming() for name in ("alice", "bob", "carol")}
    assert call.hears_tone(MUSIC, seconds=0.6)  # music while the operators' phones ring
    rings["bob"].answer()
    for name in ("alice", "carol"):
        rings[name].wait_disconnected(timeout=2)  # the others stop at once
    call.play_tone(1000)
    assert rings["bob"].hears_tone(1000)
    call.hangup()
    rings["bob"].wait_disconnected()
    daemon.wait_log("call.ended", call=call_id, outcome="answered")
    assert call_log(daemon).get(call_id).answered_by == "Bob Jones"


def test_given_rrmemory_when_calls_come_one_by_one_then_operators_take_turns_in_order(
        daemon, ops, carrier, office):
    use_queue(daemon, office, strategy="rrmemory")
    order = []
    for n in range(4):
        call, call_id = queued(carrier, daemon, f"+1555720010{n}")
        offer = daemon.wait_log("call.queue_offer", call=call_id)
        order.append(offer["operators"])
        who = {"Alice Smith": "alice", "Bob Jones": "bob", "Carol White": "carol"}
        ringing = ops[who[offer["operators"]]].wait_incoming()
        ringing.answer()
        call.wait_state("CONFIRMED")
        call.hangup()
        ringing.wait_disconnected()
        daemon.wait_log("call.ended", call=call_id, outcome="answered")
    assert order == ["Alice Smith", "Bob Jones", "Carol White", "Alice Smith"]


def test_given_an_operator_on_another_call_then_the_queue_does_not_ring_them(
        daemon, ops, carrier, office):
    use_queue(daemon, office, strategy="ringall")
    direct = ops["bob"].call("101")  # Bob calls Alice: both are now on a call
    at_alice = ops["alice"].wait_incoming()
    at_alice.answer()
    direct.wait_state("CONFIRMED")
    call, call_id = queued(carrier, daemon, "+15557200201")
    at_carol = ops["carol"].wait_incoming()
    ops["alice"].expect_no_incoming(within=1)
    ops["bob"].expect_no_incoming(within=0.1)
    at_carol.answer()
    call.wait_state("CONFIRMED")
    for c in (call, direct):
        c.hangup()
    at_carol.wait_disconnected()
    at_alice.wait_disconnected()
    daemon.wait_log("call.ended", call=call_id, outcome="answered")


def test_given_wrapup_when_an_operator_hangs_up_then_the_next_queue_call_waits_for_it(
        daemon, ops, carrier, office):
    use_queue(daemon, office, operators=[{"employee": "Carol White"}], wrapup_seconds=3)
    call, call_id = queued(carrier, daemon, "+15557200301")
    at_carol = ops["carol"].wait_incoming()
    at_carol.answer()
    call.wait_state("CONFIRMED")
    at_carol.hangup()
    call.wait_disconnected()
    daemon.wait_log("call.ended", call=call_id, outcome="answered")
    call, call_id = queued(carrier, daemon, "+15557200302")
    ops["carol"].expect_no_incoming(within=2)  # in wrap-up
    at_carol = ops["carol"].wait_incoming(timeout=3)  # then offered
    at_carol.answer()
    call.wait_state("CONFIRMED")
    call.hangup()
    at_carol.wait_disconnected()
    daemon.wait_log("call.ended", call=call_id, outcome="answered")


def test_given_every_operator_offline_when_called_then_the_next_block_rings_at_once(
        daemon, ops, carrier, office):
    use_queue(daemon, office, wait_after=False)
    for name in ("Alice Smith", "Bob Jones", "Carol White"):
        cli(daemon.path, "employees", "edit", name, "--no-online")
    daemon.wait_directory_loaded()
    try:
        call = carrier.call(NUMBER, caller_id="+15557200401")
        planned = daemon.wait_log("call.planned", scheme="Large department")
        assert planned["steps"] == "2"  # the queue skipped at planning: backup, voicemail
        backup = carrier.wait_incoming(timeout=2)  # at once, not after a wait
        assert backup.local_user == BACKUP
        backup.answer()
        call.wait_state("CONFIRMED")
        call.hangup()
        backup.wait_disconnected()
        daemon.wait_log("call.ended", call=planned["call"], outcome="answered")
    finally:
        for name in ("Alice Smith", "Bob Jones", "Carol White"):
            cli(daemon.path, "employees", "edit", name, "--online")
        daemon.wait_directory_loaded()


def test_given_max_wait_when_nobody_answers_then_the_next_block_and_the_caller_heard_it_all(
        daemon, ops, carrier, office):
    """The large-department recipe: queue (nobody answers) -> backup -> voicemail."""
    use_queue(daemon, office, max_wait=5, ring_seconds=2, announce_every=2,
              announcement="please-hold")
    call, call_id = queued(carrier, daemon, "+15557200501")
    tones = tones_in_order(call.record(3.5), (MUSIC, ANNOUNCEMENT))
    assert MUSIC in tones and ANNOUNCEMENT in tones  # music, then the announcement
    daemon.wait_log("call.queue_timeout", call=call_id, timeout=5)
    backup = carrier.wait_incoming(timeout=3)
    assert backup.local_user == BACKUP
    backup.wait_disconnected(timeout=5)  # nobody there either: voicemail
    daemon.wait_log("call.voicemail_recording", call=call_id, timeout=15)
    call.play_tone(1000)
    call.record(1.5)
    call.hangup()
    daemon.wait_log("call.ended", call=call_id, outcome="voicemail")
    report = cli(daemon.path, "queues", "report", "Q")
    assert report["offered"] >= 1 and report["timed_out_or_left"] >= 1


def test_given_a_caller_hanging_up_while_waiting_then_abandoned_with_the_wait(
        daemon, ops, carrier, office):
    use_queue(daemon, office, operators=[{"employee": "Carol White"}], ring_seconds=10)
    call, call_id = queued(carrier, daemon, "+15557200601")
    ops["carol"].wait_incoming()
    status = cli(daemon.path, "queues", "status", "Q")
    assert [w["call"] for w in status["waiting"]] == [call_id]
    assert {"operator": "Carol White", "state": "ringing"} in status["operators"]
    call.hangup()
    daemon.wait_log("call.queue_left", call=call_id, outcome="abandoned")
    daemon.wait_log("call.ended", call=call_id)
    report = cli(daemon.path, "queues", "report", "Q")
    assert report["abandoned"] >= 1 and report["wait_avg_seconds"] > 0


def test_given_two_queues_sharing_an_operator_then_never_two_calls_at_their_phone(
        daemon, ops, carrier, office, lab, asterisk):
    save(daemon, office, "queues", {"name": "Q2", "operators": [{"employee": "Carol White"}],
                                    "ring_seconds": 4, "music": "music"})
    cli(daemon.path, "queues", "route", ALICE_NUMBER_Q2, "Q2")
    use_queue(daemon, office, operators=[{"employee": "Carol White"}], ring_seconds=4)
    second_line = lab.agent("customers2", asterisk["carrier_host"],
                            asterisk["carrier_port"] + 11,
                            outbound_proxy=f"127.0.0.1:{asterisk['trunk_port']}")
    try:
        one, id_one = queued(carrier, daemon, "+15557200701")
        two = second_line.call(ALICE_NUMBER_Q2, caller_id="+15557200702")
        id_two = daemon.wait_log("call.queued", queue="Q2")["call"]
        first = ops["carol"].wait_incoming()
        ops["carol"].expect_no_incoming(within=2)  # the other queue's caller waits
        first.answer()
        first.wait_state("CONFIRMED")
        ops["carol"].expect_no_incoming(within=1)  # she is on a call now
        first.hangup()
        second = ops["carol"].wait_incoming(timeout=6)  # then the other caller
        second.answer()
        second.hangup()
        for call in (one, two):
            call.wait_disconnected()
        for call_id in (id_one, id_two):
            daemon.wait_log("call.ended", call=call_id)
    finally:
        second_line.close()
        cli(daemon.path, "queues", "unroute", ALICE_NUMBER_Q2)


def test_given_a_callback_request_then_the_operator_rings_then_the_caller_is_called(
        daemon, ops, carrier, office):
    use_queue(daemon, office, operators=[{"employee": "Carol White"}], callback_digit="5",
              ring_seconds=6)
    call, call_id = queued(carrier, daemon, "+15557200801")
    missed = ops["carol"].wait_incoming()  # Carol does not pick up this time
    call.send_dtmf("5")  # "call me back"
    missed.wait_disconnected(timeout=5)
    daemon.wait_log("queue.callback_offer", number="+15557200801")  # its turn: Carol first
    again = ops["carol"].wait_incoming(timeout=5)
    assert again.remote_user == "+15557200801"  # she sees whom she calls back
    again.answer()
    daemon.wait_log("call.queue_callback", call=call_id)  # the caller was told, and left
    call.wait_disconnected(timeout=10)
    customer = carrier.wait_incoming(timeout=5)  # then the customer's phone
    assert (customer.local_user, customer.remote_user) == ("+15557200801", NUMBER)
    customer.answer()
    again.play_tone(1000)
    assert customer.hears_tone(1000)
    customer.hangup()
    again.wait_disconnected()
    ended = daemon.wait_log("call.ended", outcome="answered")
    record = call_log(daemon).get(ended["call"])
    assert (record.direction, record.answered_by) == ("callback", "Carol White")
    ops["carol"].expect_no_incoming(within=1)  # made once


def test_given_callers_waiting_when_the_daemon_is_killed_then_served_in_order_after(
        daemon, ops, carrier, office):
    use_queue(daemon, office, operators=[{"employee": "Carol White"}], strategy="linear",
              ring_seconds=3, retry_seconds=1)
    first, first_id = queued(carrier, daemon, "+15557200901")
    ops["carol"].wait_incoming().wait_disconnected(timeout=5)  # not answered
    second, second_id = queued(carrier, daemon, "+15557200902")
    daemon.stop(signal.SIGKILL)
    daemon.start()
    daemon.wait_log("call.queued", call=first_id)
    daemon.wait_log("call.queued", call=second_id)
    offered = daemon.wait_log("call.queue_offer", queue="Q")
    assert offered["call"] == first_id  # the first in line is still first
    at_carol = ops["carol"].wait_incoming(timeout=5)
    while at_carol.remote_user != "+15557200901":  # an offer the restart withdrew
        at_carol = ops["carol"].wait_incoming(timeout=5)
    at_carol.answer()
    first.wait_state("CONFIRMED")
    first.hangup()
    at_carol.wait_disconnected()
    second.hangup()
    for call_id in (first_id, second_id):
        daemon.wait_log("call.ended", call=call_id)


ALICE_NUMBER_Q2 = "+15550100"
