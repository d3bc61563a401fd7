"""The directory made real in Asterisk: accounts created with the CLI register at once,
colleagues reach each other by extension, departments ring every member, deleted accounts
stop working, and accounts survive an Asterisk restart."""
import json
import time
import urllib.error
import urllib.request

import pytest

from .conftest import cli

pytestmark = pytest.mark.integration


def new_employee(daemon, name, extension, email, *extra):
    cli(daemon.path, "employees", "add", "--name", name, "--extension", extension,
        "--email", email, *extra)
    made = cli(daemon.path, "sip", "add", "--employee", name)  # a desk phone (UDP), not --pc
    return made["object"]["login"], made["password"]


def test_given_a_new_account_when_created_with_the_cli_then_a_phone_registers_at_once(
        daemon, registered, lab, asterisk, ari):
    cli(daemon.path, "employees", "add", "--name", "Carol White", "--extension", "103",
        "--email", "carol@example.com")
    made = cli(daemon.path, "sip", "add", "--employee", "Carol White", "--pc")
    created = time.monotonic()
    login, password = made["object"]["login"], made["password"]
    ari.wait_endpoint_exists(login, timeout=2)
    provisioned = time.monotonic()
    phone = lab.phone(login, password, registrar=f"127.0.0.1:{asterisk['staff_port']}")
    try:
        phone.wait_registered(timeout=2)
        registered_at = time.monotonic()
        print(f"\naccount created -> in Asterisk {(provisioned - created) * 1000:.0f} ms, "
              f"-> phone registered {(registered_at - created) * 1000:.0f} ms (CLI path)")
        assert registered_at - created < 1.5
        daemon.wait_log("sip.registration", login=login, state="online")
        account = cli(daemon.path, "sip", "show", login)
        assert account["reg_state"] == "online" and account["on_pc"] is True
        assert account["reg_contact"].startswith(f"sip:{login}@127.0.0.1:")
    finally:
        phone.close()
        cli(daemon.path, "employees", "delete", "Carol White", "--force")
        cli(daemon.path, "sip", "delete", login)


def test_given_two_colleagues_when_one_dials_the_others_extension_then_they_talk(
        daemon, registered, ari):
    alice, bob = registered["alice"], registered["bob"]
    call = bob.call("101")
    ringing = alice.wait_incoming()
    # Alice's phone shows who calls: Bob's name and extension.
    assert (ringing.remote_display, ringing.remote_user) == ("Bob Jones", "102")
    ringing.answer()
    call.wait_state("CONFIRMED")
    call.play_tone(1000)
    ringing.play_tone(1600)
    assert ringing.hears_tone(1000) and call.hears_tone(1600)
    started = daemon.wait_log("call.answered", employee="Alice Smith")
    call.hangup()
    ringing.wait_disconnected()
    daemon.wait_log("call.ended", call=started["call"], outcome="answered")
    from .test_first_call import call_log
    record = call_log(daemon).get(started["call"])
    assert (record.direction, record.number, record.answered_by) == \
        ("internal", "101", "Alice Smith")


def test_given_a_department_when_its_extension_is_dialled_then_every_member_rings(
        daemon, registered, lab, asterisk, carrier):
    cli(daemon.path, "departments", "add", "--name", "Support", "--extension", "300")
    cli(daemon.path, "employees", "edit", "Alice Smith", "--department", "Support")
    login, password = new_employee(daemon, "Dan Brown", "104", "dan@example.com",
                                   "--department", "Support", "--phone", "+15550177")
    dan = lab.phone(login, password, registrar=f"127.0.0.1:{asterisk['staff_port']}")
    try:
        dan.wait_registered()
        daemon.wait_directory_loaded()
        call = registered["bob"].call("300")
        at_alice = registered["alice"].wait_incoming()
        at_dan = dan.wait_incoming()
        at_mobile = carrier.wait_incoming()  # Dan's primary phone number, via the trunk
        assert at_mobile.remote_display == "Bob Jones"
        at_dan.answer()
        call.wait_state("CONFIRMED")
        # The first answer wins; every other leg is cancelled at once.
        at_alice.wait_disconnected()
        at_mobile.wait_disconnected()
        call.hangup()
        at_dan.wait_disconnected()
    finally:
        dan.close()
        cli(daemon.path, "employees", "edit", "Alice Smith", "--department", "")
        cli(daemon.path, "employees", "delete", "Dan Brown", "--force")
        cli(daemon.path, "sip", "delete", login)
        cli(daemon.path, "departments", "delete", "Support")


def test_given_an_offline_employee_when_their_extension_is_dialled_then_nobody_rings(
        daemon, registered, ari):
    cli(daemon.path, "employees", "edit", "Alice Smith", "--no-online")
    try:
        daemon.wait_directory_loaded()
        call = registered["bob"].call("101")
        call.wait_state("EARLY")  # straight to "nobody is available", no ringing
        registered["alice"].expect_no_incoming(within=1)
        call.wait_disconnected(timeout=15)
        assert call.last_code == 480
    finally:
        cli(daemon.path, "employees", "edit", "Alice Smith", "--online")
        daemon.wait_directory_loaded()


def test_given_a_deleted_account_when_its_phone_registers_then_it_is_refused(
        daemon, registered, lab, asterisk):
    login, password = new_employee(daemon, "Eve Black", "105", "eve@example.com")
    phone = lab.phone(login, password, registrar=f"127.0.0.1:{asterisk['staff_port']}")
    try:
        phone.wait_registered()
        out = cli(daemon.path, "sip", "delete", login, "--force")
        assert out["object"]["login"] == login
        daemon.wait_log("sip.provisioned", deleted="1")
        phone.unregister()
        with pytest.raises(AssertionError, match="not registered"):
            phone.wait_registered(timeout=2)
        assert phone.last_reg_code in (401, 403, 404)
    finally:
        phone.close()
        cli(daemon.path, "employees", "delete", "Eve Black", "--force")


def test_given_asterisk_restarts_when_the_daemon_reconnects_then_accounts_register_again(
        daemon, registered, lab, asterisk, ari, sandbox_asterisk):
    sandbox_asterisk.restart()
    daemon.wait_log("ari.connected", timeout=15)
    daemon.wait_log("sip.provisioned")
    for key, (login, password) in daemon.accounts.items():
        registered[key].close()  # a fresh phone: Asterisk forgot every registration
        registered[key] = lab.phone(login, password,
                                    registrar=f"127.0.0.1:{asterisk['staff_port']}")
        registered[key].wait_registered()
    call = registered["bob"].call("101")
    registered["alice"].wait_incoming().answer()
    call.wait_state("CONFIRMED")
    call.hangup()


def api(daemon, method, path, token, body=None):
    req = urllib.request.Request(
        f"http://127.0.0.1:{daemon.config['http']['port']}/api/v1{path}", method=method,
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=5) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def test_given_an_admin_when_an_employee_is_created_through_the_api_then_colleagues_reach_them(
        daemon, registered, lab, asterisk):
    cli(daemon.path, "employees", "edit", "Alice Smith", "--access", "admin")
    token = cli(daemon.path, "tokens", "create", "Alice Smith")["token"]
    status, made = api(daemon, "POST", "/employees", token,
                       {"full_name": "Frank Green", "email": "frank@example.com",
                        "extension": "106"})
    assert status == 201, made
    status, account = api(daemon, "POST", "/sip-accounts", token,
                          {"employee": "Frank Green", "on_mobile": True})
    assert status == 201 and len(account["password"]) >= 16
    login = account["object"]["login"]
    created = time.monotonic()
    frank = lab.phone(login, account["password"],
                      registrar=f"127.0.0.1:{asterisk['staff_port']}")
    try:
        frank.wait_registered(timeout=2)
        print(f"\naccount created -> phone registered "
              f"{(time.monotonic() - created) * 1000:.0f} ms (API path)")
        call = registered["bob"].call("106")
        ringing = frank.wait_incoming()
        assert ringing.remote_display == "Bob Jones"
        ringing.answer()
        call.wait_state("CONFIRMED")
        call.play_tone(1000)
        assert ringing.hears_tone(1000)
        call.hangup()
        ringing.wait_disconnected()
        # A refused input through the API names the field and changes nothing.
        status, refused = api(daemon, "POST", "/employees", token,
                              {"full_name": "Ivan", "email": "ivan@example.ru",
                               "extension": "107"})
        assert status == 422 and refused["error"]["field"] == "email"
        assert "Ivan" not in [e["full_name"] for e in cli(daemon.path, "employees", "list")]
    finally:
        frank.close()
        api(daemon, "DELETE", f"/employees/Frank Green?force=true".replace(" ", "%20"), token)
        api(daemon, "DELETE", f"/sip-accounts/{login}", token)
