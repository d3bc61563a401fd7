"""Integration fixtures: the sandbox Asterisk (started once per session), real SIP phones
(pjsua2), and the callctl daemon as a real process."""
from __future__ import annotations

import secrets
import socket

import pytest

from tests.support.daemon import DaemonProcess
from tests.support.phones import PhoneLab
from tests.support.sandbox import AriReader, sandbox, state

pytestmark = pytest.mark.integration

ALICE_NUMBER = "+15550100"  # rings Alice; falls back to Alice when the daemon is absent
BOB_NUMBER = "+15550101"  # rings Bob; falls back to the head's mobile through the trunk
MOBILE = "+15550199"  # a phone number reached through the carrier trunk
UNKNOWN_NUMBER = "+15550999"
CUSTOMER = "+15557654321"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def asterisk():
    was_running = sandbox("status", check=False).returncode == 0
    sandbox("start")
    yield state()
    if not was_running:
        sandbox("stop")


@pytest.fixture(scope="session")
def ari(asterisk) -> AriReader:
    return AriReader(asterisk)


@pytest.fixture(scope="session")
def lab():
    with PhoneLab() as lab:
        yield lab


@pytest.fixture(scope="session")
def accounts() -> dict[str, str]:
    """Per-session SIP logins and passwords, as an admin would have generated them."""
    tag = secrets.token_hex(3)
    return {f"alice-{tag}": secrets.token_urlsafe(18), f"bob-{tag}": secrets.token_urlsafe(18)}


def daemon_config(asterisk: dict, accounts: dict[str, str], db_path, ring_timeout: int = 4):
    alice, bob = accounts
    return {
        "ari": {"url": f"http://127.0.0.1:{asterisk['http_port']}",
                "username": asterisk["ari_user"], "password": asterisk["ari_password"]},
        "ami": {"port": asterisk["ami_port"], "username": asterisk["ami_user"],
                "secret": asterisk["ami_secret"]},
        "database": {"url": f"sqlite:///{db_path}"},
        "http": {"port": free_port()},
        "employees": [
            {"name": "Alice Smith", "extension": "101",
             "sip_accounts": [{"login": alice, "password": accounts[alice]}]},
            {"name": "Bob Jones", "extension": "102",
             "sip_accounts": [{"login": bob, "password": accounts[bob]}]},
        ],
        "numbers": [
            {"number": ALICE_NUMBER, "employee": "Alice Smith", "ring_timeout": ring_timeout},
            {"number": BOB_NUMBER, "employee": "Bob Jones", "ring_timeout": ring_timeout,
             "fallback": MOBILE},
        ],
    }


@pytest.fixture(scope="module")
def daemon(asterisk, accounts, tmp_path_factory):
    workdir = tmp_path_factory.mktemp("daemon")
    proc = DaemonProcess(workdir, daemon_config(asterisk, accounts, workdir / "callctl.db"))
    proc.start()
    yield proc
    assert proc.stop() == 0, f"daemon exited badly; see {proc.logfile}"


@pytest.fixture(scope="module")
def phones(lab, accounts, asterisk, daemon):
    """Alice's and Bob's desk phones, registering with the accounts the daemon provisioned."""
    made = {login.split("-")[0]: lab.phone(login, password,
                                           registrar=f"127.0.0.1:{asterisk['staff_port']}")
            for login, password in accounts.items()}
    yield made
    for phone in made.values():
        phone.close()


@pytest.fixture(scope="session")
def carrier(lab, asterisk):
    """The carrier: places customers' calls on the trunk, receives calls to phone numbers."""
    return lab.agent("carrier", asterisk["carrier_host"], asterisk["carrier_port"],
                     outbound_proxy=f"127.0.0.1:{asterisk['trunk_port']}")


@pytest.fixture
def registered(daemon, phones, ari):
    for phone in phones.values():
        phone.wait_registered(timeout=10)
    daemon.forget_past()
    yield phones
    ari.assert_clean()
