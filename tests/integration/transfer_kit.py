"""What the transfer tests share: a company with a third colleague (Carol, who rings), an
offline one (Dan), the Sales department (Bob and Carol), an outgoing caller-ID rule; and
how to tell what a phone hears: a test tone, ringback (440+480 Hz, as Asterisk plays it),
music on hold (sound that is neither)."""
from __future__ import annotations

import json
import urllib.error
import urllib.request

import numpy as np
import pytest

from .conftest import ALICE_NUMBER, CUSTOMER, cli
from .test_first_call import audible, call_log

DEPARTMENT = "600"
OUTSIDE = "+12025550143"  # reached through the carrier trunk
RATE = 8000


@pytest.fixture(scope="module")
def company(daemon, lab, asterisk):
    """Carol (103, Sales, a registered phone), Dan (104, offline), Bob in Sales too, and a
    company-wide caller-ID rule for calls out."""
    cli(daemon.path, "departments", "add", "--name", "Sales", "--extension", DEPARTMENT)
    cli(daemon.path, "employees", "edit", "Bob Jones", "--department", "Sales")
    cli(daemon.path, "employees", "add", "--name", "Carol White", "--extension", "103",
        "--email", "carol@example.com", "--department", "Sales")
    login, password = (lambda made: (made["object"]["login"], made["password"]))(
        cli(daemon.path, "sip", "add", "--employee", "Carol White"))
    cli(daemon.path, "employees", "add", "--name", "Dan Brown", "--extension", "104",
        "--email", "dan@example.com", "--no-online")
    cli(daemon.path, "outgoing", "rules", "add", "--company", "--number", ALICE_NUMBER)
    daemon.wait_directory_loaded()
    carol = lab.phone(login, password, registrar=f"127.0.0.1:{asterisk['staff_port']}")
    carol.wait_registered(timeout=10)
    daemon.wait_log("sip.registration", login=login, state="online")
    yield {"carol": carol}
    carol.close()


@pytest.fixture
def staff(registered, company, carrier):
    phones = {**registered, **company}
    yield phones
    # A failed test leaves its calls up: hang them up so the next test starts clean.
    for phone in [*phones.values(), carrier]:
        for call in list(phone._calls.values()):
            if call.state != "DISCONNECTED":
                call.hangup()


def customer_to_alice(carrier, staff, daemon):
    """A customer calls Alice's number and she answers: (customer's call, Alice's, id)."""
    call = carrier.call(ALICE_NUMBER, caller_id=CUSTOMER)
    ringing = staff["alice"].wait_incoming(timeout=5)
    ringing.answer()
    call.wait_state("CONFIRMED")
    ringing.wait_state("CONFIRMED")
    answered = daemon.wait_log("call.answered", employee="Alice Smith")
    return call, ringing, answered["call"]


def alice_keys_bob(carrier, staff, daemon, code: str):
    """A customer's call Alice answered; she keys `code` 102 #: Bob's phone rings.
    (the customer's call, Alice's, the call id, Bob's)."""
    call, alice, call_id = customer_to_alice(carrier, staff, daemon)
    alice.send_dtmf(f"{code}102#")
    return call, alice, call_id, staff["bob"].wait_incoming(timeout=5)


def talk(a, b, fa=1000, fb=1600):
    """`a` and `b` hear each other (each plays a tone of its own)."""
    a.play_tone(fa)
    b.play_tone(fb)
    try:
        assert b.hears_tone(fa), "the second party does not hear the first"
        assert a.hears_tone(fb), "the first party does not hear the second"
    finally:
        a.stop_tone()
        b.stop_tone()


def hang_up(daemon, call_id, by, other):
    """`by` hangs up, `other` is hung up too, and the call ends answered in the log."""
    by.hangup()
    other.wait_disconnected()
    daemon.wait_log("call.ended", call=call_id, outcome="answered")


def ringback(samples) -> bool:
    """Asterisk's ringback in `samples`: some 0.25 s where 440 and 480 Hz carry the sound."""
    x = np.array(samples, dtype=float)
    n = RATE // 4
    for start in range(0, len(x) - n + 1, n // 2):
        window = x[start:start + n] * np.hanning(n)
        spectrum = np.abs(np.fft.rfft(window)) ** 2
        total = spectrum.sum()
        if total <= 0 or np.sqrt(np.mean(x[start:start + n] ** 2)) < 100:
            continue
        band = lambda f: spectrum[int(f * n / RATE) - 2:int(f * n / RATE) + 3].sum()  # noqa
        if band(440) > 0.25 * total and band(480) > 0.25 * total:
            return True
    return False


def hears_ringback(call, seconds=1.5) -> bool:
    return ringback(call.record(seconds))


def hears_music(call, seconds=1.5) -> bool:
    """Music on hold: sound that is not ringback."""
    samples = call.record(seconds)
    return audible(samples) and not ringback(samples)


def transfers_of(daemon, call_id):
    from callctl.store.transfers import of_call
    return of_call(call_log(daemon), call_id)


def api(daemon, method, path, token, body=None):
    """(status, JSON) of an API request with `token`."""
    request = urllib.request.Request(
        f"http://127.0.0.1:{daemon.config['http']['port']}/api/v1{path}", method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())
