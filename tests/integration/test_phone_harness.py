"""The SIP phone harness itself, without Asterisk: UAs call each other IP-to-IP on loopback."""
import re
import socket
import threading

import pytest

pytest.importorskip("pjsua2")
from tests.support.phones import PhoneLab, shared_lab  # noqa: E402


@pytest.fixture(scope="module")
def harness_lab():
    with shared_lab() as lab:  # reuses a session lab when a conftest already opened one
        yield lab


@pytest.fixture
def lab(harness_lab):
    before = harness_lab.phones
    yield harness_lab
    for phone in harness_lab.phones:  # pjsua2 allows only 8 at once; keep a conftest's own
        if phone not in before:
            phone.close()


@pytest.fixture
def pair(lab):
    """Two agents on ephemeral loopback ports; A calls B directly."""
    return lab.agent("alice", "127.0.0.1", 0), lab.agent("bob", "127.0.0.1", 0)


class FakeRegistrar(threading.Thread):
    """Just enough of a UDP registrar: challenges each REGISTER once, then answers `code`."""

    def __init__(self, code=200):
        super().__init__(daemon=True)
        self.code, self.users, self.stopped = code, [], threading.Event()
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.1)
        self.address = f"127.0.0.1:{self.sock.getsockname()[1]}"

    def run(self):
        while not self.stopped.is_set():
            try:
                data, peer = self.sock.recvfrom(65535)
            except TimeoutError:
                continue
            head = data.decode().split("\r\n\r\n")[0].split("\r\n")
            if not head[0].startswith("REGISTER"):
                continue
            hdr = {}
            for line in head[1:]:
                hdr.setdefault(line.partition(":")[0].strip().lower(), []).append(line)
            reply = [*hdr["via"], *hdr["from"], hdr["to"][0] + ";tag=reg", *hdr["call-id"],
                     *hdr["cseq"]]
            if "authorization" not in hdr:
                reply = ["SIP/2.0 401 Unauthorized", *reply,
                         'WWW-Authenticate: Digest realm="lab", nonce="n0nce", algorithm=MD5']
            else:
                self.users.append(re.search(r'username="([^"]*)"', hdr["authorization"][0])[1])
                expires = int(hdr["expires"][0].split(":")[1]) if "expires" in hdr else 300
                reply = [f"SIP/2.0 {self.code} Whatever", *reply]
                if self.code == 200 and expires:
                    reply.append(f"{hdr['contact'][0]};expires={expires}")
            self.sock.sendto(("\r\n".join(reply + ["Content-Length: 0", "", ""])).encode(), peer)

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stopped.set()
        self.join(2)
        self.sock.close()


def connect(a, b, caller_id=None):
    out = a.call(f"sip:x@127.0.0.1:{b.port}", caller_id=caller_id)
    inc = b.wait_incoming()
    inc.answer()
    out.wait_state("CONFIRMED")
    inc.wait_state("CONFIRMED")
    return out, inc


def test_incoming_call_rings_and_shows_caller(pair):
    a, b = pair
    out = a.call(f"sip:+15551234567@127.0.0.1:{b.port}", caller_id="+15557654321")
    inc = b.wait_incoming()
    assert inc.remote_user == "+15557654321"
    out.wait_state("EARLY")
    assert out.last_code == 180 and inc.state == "EARLY"
    inc.answer()
    out.wait_state("CONFIRMED")
    inc.wait_state("CONFIRMED")
    out.hangup()
    inc.wait_disconnected()
    out.wait_disconnected()
    assert inc.disconnected_by_remote and not out.disconnected_by_remote


def test_tones_both_ways(pair):
    a, b = pair
    out, inc = connect(a, b)
    out.play_tone(1000)
    assert inc.hears_tone(1000)
    assert not inc.hears_tone(1600)
    out.stop_tone()
    inc.play_tone(1600)
    assert out.hears_tone(1600)
    assert not out.hears_tone(1000)
    rx, tx = out.rtp_counts()
    assert rx > 50 and tx > 50
    inc.hangup()
    out.wait_disconnected()
    assert out.disconnected_by_remote
    assert not out.hears_tone(1600, seconds=0.5)  # nothing to hear once the call is gone


def test_dtmf(pair, lab):
    out, inc = connect(*pair)
    out.send_dtmf("12#")
    assert lab.wait_for(lambda: inc.dtmf_received == "12#", 5), inc.dtmf_received


def test_silence_is_not_a_tone(pair):
    a, b = pair
    out, inc = connect(a, b)
    assert not inc.hears_tone(1000, seconds=1.0)
    assert not out.hears_tone(1600, seconds=1.0)
    out.play_tone(1000)
    out.stop_tone()
    assert not inc.hears_tone(1000, seconds=1.0)


def test_rejected_call(pair):
    a, b = pair
    out = a.call(f"sip:x@127.0.0.1:{b.port}")
    b.wait_incoming().reject(486)
    out.wait_disconnected()
    assert out.last_code == 486 and out.disconnected_by_remote
    with pytest.raises(AssertionError, match="never reached CONFIRMED.*486"):
        out.wait_state("CONFIRMED")  # fails at once: the call is already over


def test_caller_cancels_while_ringing(pair):
    a, b = pair
    out = a.call(f"sip:x@127.0.0.1:{b.port}")
    inc = b.wait_incoming()
    out.wait_state("EARLY")
    out.hangup()
    inc.wait_disconnected()
    assert inc.disconnected_by_remote and inc.last_code == 487
    out.hangup()  # already gone: harmless


def test_no_incoming_and_timeouts(pair):
    a, b = pair
    b.expect_no_incoming(0.5)
    with pytest.raises(AssertionError, match="no incoming call"):
        b.wait_incoming(timeout=0.3)
    a.call(f"sip:x@127.0.0.1:{b.port}")
    with pytest.raises(AssertionError, match="unexpected incoming"):
        b.expect_no_incoming(2)


def test_calls_route_to_the_addressed_agent(lab):
    """Same IP, same name: pjsua alone would pick the account by To host and ignore ports."""
    a, b, c = (lab.agent("carrier", "127.0.0.1", 0) for _ in range(3))
    out = a.call(f"sip:+15550001111@127.0.0.1:{c.port}")
    c.wait_incoming().reject(603)
    out.wait_disconnected()
    assert out.last_code == 603
    b.expect_no_incoming(0.3)


def test_simultaneous_invites_for_different_users_all_ring(lab):
    """A trunk forking one call to several numbers sends its INVITEs within a millisecond:
    every one must ring at the carrier, with its own dialled user, and live on its own.
    (Once, all phones shared one process and its 4 pjsua call slots: the carrier answered
    the second INVITE with pjsua's own stateless 486.)"""
    trunk = lab.agent("asterisk", "127.0.0.3", 0)
    carrier = lab.agent("carrier", "127.0.0.3", 0)
    users = [f"+1555017{i}" for i in range(carrier.max_calls)]
    outs = trunk.call_many([f"sip:{u}@127.0.0.3:{carrier.port}" for u in users],
                           caller_id="+15557654321")  # one pjsua job: back to back
    ringing = [carrier.wait_incoming() for _ in users]
    assert sorted(inc.local_user for inc in ringing) == users
    assert {inc.remote_user for inc in ringing} == {"+15557654321"}
    assert carrier.busy_rejections == 0
    out = {o.remote_user: o for o in outs}
    inc = {i.local_user: i for i in ringing}
    for u in users:
        out[u].wait_state("EARLY")
        assert out[u].last_code == 180 and inc[u].state == "EARLY"

    inc[users[0]].answer()
    out[users[0]].wait_state("CONFIRMED")
    inc[users[1]].reject(603)
    out[users[1]].wait_disconnected()
    out[users[2]].hangup()  # the caller cancels this one only
    inc[users[2]].wait_disconnected()
    assert out[users[1]].last_code == 603 and out[users[1]].disconnected_by_remote
    assert inc[users[2]].last_code == 487 and inc[users[2]].disconnected_by_remote
    assert inc[users[3]].state == "EARLY" and inc[users[0]].state == "CONFIRMED"
    inc[users[3]].answer()
    out[users[3]].wait_state("CONFIRMED")
    inc[users[3]].hangup()
    out[users[3]].wait_disconnected()
    assert out[users[0]].state == "CONFIRMED"  # untouched by its neighbours' endings
    out[users[0]].hangup()
    inc[users[0]].wait_disconnected()


def test_calls_beyond_a_phones_slots_fail_loudly(lab):
    """pjsua has MAX_CALLS slots per phone process: one more call fails at once, and an
    INVITE pjsua refuses itself (486, before any callback) is counted and reported."""
    a, b, c = (lab.agent("carrier", "127.0.0.3", 0) for _ in range(3))
    n = b.max_calls
    with pytest.raises(RuntimeError, match="the most one Phone can have"):
        a.call_many([f"sip:{i}@127.0.0.3:{b.port}" for i in range(n + 1)])
    for _ in range(n):  # all or nothing: the n calls placed first were cancelled
        b.wait_incoming().wait_disconnected()
    outs = a.call_many([f"sip:{i}@127.0.0.3:{b.port}" for i in range(n)])
    for _ in range(n):
        b.wait_incoming()
    extra = c.call(f"sip:one-too-many@127.0.0.3:{b.port}")
    extra.wait_disconnected()
    assert extra.last_code == 486 and b.busy_rejections == 1
    with pytest.raises(AssertionError, match=r"486 Busy Here itself: all \d call slots"):
        b.wait_incoming(timeout=0.3)
    for out in outs:
        out.hangup()
        out.wait_disconnected()


def test_phone_registers_with_digest_and_unregisters(lab):
    with FakeRegistrar() as reg:
        phone = lab.phone("alice", "s3cret", registrar=reg.address)
        phone.wait_registered()
        assert phone.registered and phone.last_reg_code == 200 and reg.users == ["alice"]
        phone.unregister()
        assert not phone.registered


def test_registration_failure_names_the_status_and_is_retried(lab):
    with FakeRegistrar(code=403) as reg:
        phone = lab.phone("carol", "pw", registrar=reg.address)
        with pytest.raises(AssertionError, match="403"):
            phone.wait_registered(timeout=1.5)
        reg.code = 200  # say the account has been provisioned since
        phone.wait_registered(timeout=3)
        assert phone.last_reg_code == 200


def test_phone_dials_via_registrar_and_receives_on_its_contact(lab):
    carrier = lab.agent("pbx", "127.0.0.2", 0)
    phone = lab.phone("101", "pw", registrar=f"127.0.0.2:{carrier.port}", register=False,
                      display_name="Alice Smith")
    out = phone.call("200")
    inc = carrier.wait_incoming()
    assert (inc.remote_user, inc.remote_display) == ("101", "Alice Smith")
    inc.reject(404)
    out.wait_disconnected()
    assert out.last_code == 404
    back = carrier.call(f"sip:101@127.0.0.1:{phone.port}", caller_id="+15557654321")
    ring = phone.wait_incoming()
    assert ring.remote_user == "+15557654321"
    ring.answer()
    back.wait_state("CONFIRMED")
    phone.close()  # hangs up its live calls too
    back.wait_disconnected()
    assert back.disconnected_by_remote


def test_second_lab_is_refused(harness_lab):
    with pytest.raises(RuntimeError, match="already open"):
        PhoneLab()
