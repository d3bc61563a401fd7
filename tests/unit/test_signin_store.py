"""Sign-in's parts on a real database: sessions (idle and absolute expiry, the level read
afresh, sign-out), the throttle of failed sign-ins, and password hashing (Argon2id, with
older scrypt hashes still accepted and upgraded at sign-in)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from callctl.api.signin import Throttle
from callctl.directory.credentials import hash_password, needs_rehash, verify_password
from callctl.project.services import build_services
from callctl.store.db import make_engine, sessions, upgrade
from callctl.store.directory_models import Employee
from callctl.store.web_sessions import IDLE, LONGEST, TOUCH_EVERY, WebSessions, csrf_token

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc)
# What earlier versions stored for the password "old password 1".
SCRYPT = ("scrypt$16384$8$1$c2FsdHNhbHRzYWx0c2FsdA==$"
          "KhocQBNpKAxA4HMojbL5lEnnE41Ph7n0Gfp1miOlOUw=")


class Clock:
    def __init__(self):
        self.now = T0

    def __call__(self):
        return self.now


@pytest.fixture
def db(tmp_path):
    url = f"sqlite:///{tmp_path / 'callctl.db'}"
    upgrade(url)
    made = sessions(make_engine(url))
    directory = build_services(made).directory
    directory.add_employee("Alice Smith", "alice@example.com", "101")
    return made, directory


def test_given_a_session_then_it_lasts_while_used_and_ends_when_idle(db):
    clock = Clock()
    store = WebSessions(db[0], clock)
    sid = store.open("Alice Smith")
    assert store.resolve(sid).employee == "Alice Smith"
    for _ in range(3):  # used every few hours: it lives past the first idle deadline
        clock.now += IDLE - timedelta(hours=1)
        assert store.resolve(sid) is not None
    clock.now += IDLE + TOUCH_EVERY
    assert store.resolve(sid) is None
    assert store.resolve(sid) is None  # and it is gone for good


def test_given_a_busy_session_then_it_ends_at_its_absolute_deadline(db):
    clock = Clock()
    store = WebSessions(db[0], clock)
    sid = store.open("Alice Smith")
    while clock.now < T0 + LONGEST - timedelta(hours=2):
        clock.now += timedelta(hours=2)
        assert store.resolve(sid) is not None
    clock.now = T0 + LONGEST
    assert store.resolve(sid) is None


def test_given_a_session_then_the_level_is_read_afresh_and_sign_out_ends_it(db):
    made, directory = db
    store = WebSessions(made)
    sid, other = store.open("Alice Smith"), store.open("Alice Smith")
    directory.edit_employee("Alice Smith", access_level="manager")
    assert store.resolve(sid).level == "manager"
    store.close(sid)
    assert store.resolve(sid) is None and store.resolve(other) is not None
    assert store.resolve("made-up") is None
    assert csrf_token(sid) != csrf_token(other) and len(csrf_token(sid)) == 64
    directory.delete_employee("Alice Smith", force=True)
    assert store.resolve(other) is None  # sessions die with the employee


def test_given_failures_then_the_throttle_blocks_until_the_window_passes():
    now = [0.0]
    throttle = Throttle(3, 60, clock=lambda: now[0])
    for t in (0, 10, 20):
        now[0] = t
        assert throttle.wait("k") == 0
        throttle.failed("k")
    assert throttle.wait("k") == pytest.approx(40)  # the first failure leaves the window
    assert throttle.wait("other") == 0
    now[0] = 60.5
    assert throttle.wait("k") == 0  # one fell out: two left, under the limit
    throttle.failed("k")
    assert throttle.wait("k") == pytest.approx(9.5)
    throttle.forget("k")
    assert throttle.wait("k") == 0


def test_given_passwords_then_argon2id_is_used_and_old_scrypt_hashes_still_work(db):
    stored = hash_password("a new password")
    assert stored.startswith("$argon2id$") and not needs_rehash(stored)
    assert verify_password("a new password", stored)
    assert not verify_password("a new passwore", stored)
    assert not verify_password("anything", "not a hash")
    made, directory = db
    with made.begin() as s:  # as an earlier version left it
        s.scalar(select(Employee)).password_hash = SCRYPT
    assert directory.authenticate("alice@example.com", "wrong") is None
    assert directory.authenticate("ALICE@example.com", "old password 1")["full_name"] == \
        "Alice Smith"
    with made() as s:
        upgraded = s.scalar(select(Employee.password_hash))
    assert upgraded.startswith("$argon2id$")
    assert directory.authenticate("alice@example.com", "old password 1") is not None
