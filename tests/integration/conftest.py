"""Integration fixtures: the sandbox Asterisk (started once per session), real SIP phones
(pjsua2), and the callctl daemon as a real process."""
from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.daemon import DaemonProcess
from tests.support.databases import fresh_database
from tests.support.phones import PhoneLab
from tests.support.sandbox import AriReader, TestSandbox, state

pytestmark = pytest.mark.integration

ALICE_NUMBER = "+15550100"  # rings Alice, also when the daemon is absent
BOB_NUMBER = "+15550101"  # rings Bob; then, when the daemon is absent, the head's mobile
MOBILE = "+15550199"  # a phone number reached through the carrier trunk
UNKNOWN_NUMBER = "+15550999"
CUSTOMER = "+15557654321"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def sandbox_asterisk():
    """The sandbox Asterisk, to restart or stop it; see TestSandbox."""
    sb = TestSandbox()
    sb.start()
    yield sb
    sb.close()


@pytest.fixture(scope="session")
def asterisk(sandbox_asterisk):
    return state()


@pytest.fixture(scope="session")
def ari(asterisk) -> AriReader:
    return AriReader(asterisk)


@pytest.fixture(scope="session")
def lab():
    with PhoneLab() as lab:
        yield lab


def daemon_config(asterisk: dict, db_url: str) -> dict:
    return {
        "ari": {"url": f"http://127.0.0.1:{asterisk['http_port']}",
                "username": asterisk["ari_user"], "password": asterisk["ari_password"]},
        "ami": {"port": asterisk["ami_port"], "username": asterisk["ami_user"],
                "secret": asterisk["ami_secret"]},
        "database": {"url": db_url},
        "http": {"port": free_port()},
    }


def cli(config_path, *args: str) -> dict | list:
    """Runs the real `callctl` command with --json and returns its parsed output."""
    exe = Path(sys.executable).parent / "callctl"
    done = subprocess.run([str(exe), *args, "-c", str(config_path), "--json"],
                          capture_output=True, text=True)
    assert done.returncode == 0, f"callctl {' '.join(args)} failed: {done.stderr}"
    return json.loads(done.stdout)


def make_company(config_path, ring_timeout: int = 4) -> dict[str, tuple[str, str]]:
    """Alice and Bob with a SIP account each, and two company numbers, made with the CLI.
    Returns {"alice": (login, password), "bob": (login, password)}."""
    accounts = {}
    for key, name, ext in (("alice", "Alice Smith", "101"), ("bob", "Bob Jones", "102")):
        cli(config_path, "employees", "add", "--name", name, "--extension", ext,
            "--email", f"{key}@example.com")
        made = cli(config_path, "sip", "add", "--employee", name)
        accounts[key] = (made["object"]["login"], made["password"])
    cli(config_path, "numbers", "add", "--number", ALICE_NUMBER, "--employee", "Alice Smith",
        "--ring-timeout", str(ring_timeout))
    cli(config_path, "numbers", "add", "--number", BOB_NUMBER, "--employee", "Bob Jones",
        "--ring-timeout", str(ring_timeout), "--fallback", MOBILE)
    return accounts


@pytest.fixture(scope="module")
def daemon(asterisk, tmp_path_factory, request):
    workdir = tmp_path_factory.mktemp("daemon")
    with fresh_database(workdir / "callctl.db") as url:
        config = daemon_config(asterisk, url)
        for section, values in getattr(request.module, "DAEMON_CONFIG", {}).items():
            config.setdefault(section, {}).update(values)  # a test module's own settings
        proc = DaemonProcess(workdir, config)
        proc.accounts = make_company(proc.path)
        proc.start()
        yield proc
        assert proc.stop() == 0, f"daemon exited badly; see {proc.logfile}"


@pytest.fixture(scope="module")
def phones(lab, asterisk, daemon):
    """Alice's and Bob's desk phones, registering with the accounts the daemon provisioned."""
    made = {key: lab.phone(login, password, registrar=f"127.0.0.1:{asterisk['staff_port']}")
            for key, (login, password) in daemon.accounts.items()}
    for key, (login, _password) in daemon.accounts.items():
        made[key].wait_registered(timeout=10)
        # Routing skips unregistered accounts: wait until the daemon has seen it too.
        daemon.wait_log("sip.registration", login=login, state="online")
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
