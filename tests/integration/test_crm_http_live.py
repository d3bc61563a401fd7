"""The responsible manager from an external CRM through the generic HTTP connector (the
CRM is a local HTTP server of the test's own): its user id is mapped to an employee, who
rings; a CRM that takes 2 s never delays ringing by more than the 500 ms bound."""
import time

import pytest
import yaml

from tests.support.handler import ThreadedHandler

from .conftest import BOB_NUMBER, cli, free_port

pytestmark = pytest.mark.integration

CRM_PORT = free_port()
DAEMON_CONFIG = {"crm": {"source": "http", "cards": False, "http": {
    "url": f"http://127.0.0.1:{CRM_PORT}/api/{{entity}}s?phone={{phone}}",
    "headers": {"Authorization": "Bearer crm-token"},
    "responsible_path": "items.0.responsible_user_id"}}}
KNOWN = "+15558100001"


@pytest.fixture(scope="module")
def crm(daemon, tmp_path_factory):
    """Smart forwarding on BOB_NUMBER: the CRM's responsible manager, then Bob."""
    with ThreadedHandler(port=CRM_PORT) as handler:
        cli(daemon.path, "crm", "map", "u-alice", "Alice Smith")
        path = tmp_path_factory.mktemp("crm-http") / "scheme.yaml"
        path.write_text(yaml.safe_dump({"name": "CRM first", "kind": "sequential", "branches": [
            {"name": "always", "blocks": [
                {"timeout": 5, "directions": [{"crm_manager": "lead, contact"}]},
                {"timeout": 5, "directions": [{"employee": "Bob Jones"}]}]}]}))
        cli(daemon.path, "schemes", "add", str(path))
        cli(daemon.path, "schemes", "assign", BOB_NUMBER, "CRM first")
        daemon.wait_directory_loaded()
        yield handler


def crm_answers(handler, delay: float = 0.0):
    """The CRM knows KNOWN as a contact (no lead) whose responsible user is u-alice."""
    def answer(path, body):
        if path.startswith("/api/contacts?phone=%2B15558100001"):
            return 200, {"items": [{"id": 5, "responsible_user_id": "u-alice"}]}, delay
        return 200, {"items": []}, delay
    handler.answer = answer


def test_given_the_crm_knows_the_caller_when_calling_then_the_mapped_employee_rings(
        daemon, registered, carrier, ari, crm):
    crm_answers(crm)
    call = carrier.call(BOB_NUMBER, caller_id=KNOWN)
    at_alice = registered["alice"].wait_incoming(timeout=3)
    registered["bob"].expect_no_incoming(within=0.2)
    assert [path for path, _, _ in crm.received[-2:]] == \
        ["/api/leads?phone=%2B15558100001", "/api/contacts?phone=%2B15558100001"]
    assert crm.headers[-1]["Authorization"] == "Bearer crm-token"
    at_alice.answer()
    call.wait_state("CONFIRMED")
    call.hangup()
    at_alice.wait_disconnected()
    routed = daemon.wait_log("call.routed_remotely", to="employee 'Alice Smith'")
    daemon.wait_log("call.ended", call=routed["call"], outcome="answered")
    ari.assert_clean()


def test_given_a_slow_crm_when_calling_then_the_next_block_rings_after_500_ms(
        daemon, registered, carrier, ari, crm):
    crm_answers(crm, delay=2.0)
    started = time.monotonic()
    call = carrier.call(BOB_NUMBER, caller_id=KNOWN)
    at_bob = registered["bob"].wait_incoming(timeout=3)
    waited = time.monotonic() - started
    assert 0.5 <= waited < 1.3, waited  # 500 ms of lookup, then Bob at once
    skipped = daemon.wait_log("call.remote_skipped")
    assert skipped["reason"] == "the CRM did not answer within 500 ms"
    registered["alice"].expect_no_incoming(within=0.2)
    at_bob.answer()
    call.wait_state("CONFIRMED")
    call.hangup()
    at_bob.wait_disconnected()
    daemon.wait_log("call.ended", call=skipped["call"], outcome="answered")
    ari.assert_clean()
