"""What the workspace asks of the database: client search by each field and combined,
merging two cards with the operator's choices, today's calls by access level, a client's
history, the screen pop's card, the softphone account, and how "on PC" accounts are
provisioned (WebRTC) beside desk phones."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from callctl.crm import merge
from callctl.crm.service import CrmError, NotFound
from callctl.domain.directory import SipAccount
from callctl.pbx.provision import account_objects
from callctl.project.services import build_services
from callctl.store.api_tokens import Principal
from callctl.store.calls import CallLog
from callctl.store.db import make_engine, sessions, upgrade
from callctl.workspace.service import Workspace

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc)


@pytest.fixture
def ws(tmp_path):
    url = f"sqlite:///{tmp_path / 'callctl.db'}"
    upgrade(url)
    made = sessions(make_engine(url))
    s = build_services(made, clock=lambda: T0)
    d = s.directory
    d.add_department("Sales", "200")
    d.add_employee("Alice Smith", "alice@example.com", "101", department="Sales")
    d.add_employee("Bob Jones", "bob@example.com", "102", department="Sales",
                   access_level="manager")
    d.add_employee("Carol White", "carol@example.com", "103")
    d.add_sip_account("Alice Smith", login="alice")
    d.add_sip_account("Alice Smith", login="alice-pc", on_pc=True)
    return Workspace(made, d, s.crm, CallLog(made)), s.crm


def cards(crm, *rows) -> list[int]:
    return [crm.add_client(name, phones, company=company, address=address)["id"]
            for name, phones, company, address in rows]


def names(found) -> list[str]:
    return [c["name"] for c in found]


def test_given_cards_then_search_by_each_field_and_by_fields_combined(ws):
    crm = ws[1]
    cards(crm, ("Anna Kovacs", ["+15550301111"], "Initech", "12 Elm St, Springfield"),
          ("Boris Kovacs", ["+15550302222"], "Umbrella", "9 Oak Ave, Springfield"),
          ("Chen Wu", ["+15550303333"], "Initech", "3 Pine Rd, Shelbyville"))
    assert names(crm.search("kovacs")) == ["Anna Kovacs", "Boris Kovacs"]
    assert names(crm.search("(555) 030-3333")) == ["Chen Wu"]  # as people write it
    assert names(crm.search(phone="2222")) == ["Boris Kovacs"]
    assert names(crm.search(name="wu")) == ["Chen Wu"]
    assert names(crm.search(company="INITECH")) == ["Anna Kovacs", "Chen Wu"]
    assert names(crm.search(address="springfield")) == ["Anna Kovacs", "Boris Kovacs"]
    assert names(crm.search(company="Initech", address="Springfield")) == ["Anna Kovacs"]
    assert names(crm.search("Springfield", company="Umbrella")) == ["Boris Kovacs"]
    assert names(crm.search(name="Kovacs", company="Globex")) == []
    with pytest.raises(CrmError, match="say what to look for"):
        crm.search("  ", name="")


def test_given_two_cards_when_merged_then_the_choice_decides_and_nothing_is_lost(ws):
    crm = ws[1]
    keep = crm.add_client("Ivan Petrov", ["+15550306666"], ["ivan@acme.example"], "Acme")["id"]
    drop = crm.add_client("Ivan Petrov", ["+15550307777"], ["ivan@acme.example", "ip@x.example"],
                          "Acme Holdings", "1 Main St", "VIP")["id"]
    crm.add_entity(drop, "deal", "Q3", "Bob Jones")
    with pytest.raises(CrmError) as refused:
        merge.merge(crm, keep, drop)
    assert (refused.value.field, str(refused.value)) == (
        "company", f"company: the cards differ ('Acme' on card {keep}, 'Acme Holdings' on "
                   f"card {drop}): choose which to keep")
    assert crm.get_client(drop)["company"] == "Acme Holdings"  # nothing changed
    merged = merge.merge(crm, keep, drop, {"company": drop})
    assert (merged["name"], merged["company"], merged["address"], merged["comment"]) == \
        ("Ivan Petrov", "Acme Holdings", "1 Main St", "VIP")
    assert merged["phones"] == ["+15550306666", "+15550307777"]
    assert merged["emails"] == ["ivan@acme.example", "ip@x.example"]
    assert [(e["title"], e["responsible"]) for e in merged["entities"]] == [("Q3", "Bob Jones")]
    with pytest.raises(NotFound):
        crm.get_client(drop)


@pytest.mark.parametrize("choices, field, message", [
    ({"company": 999}, "company", "choose card"),
    ({"colour": 1}, "colour", "not a field to choose"),
])
def test_given_a_bad_choice_then_the_merge_is_refused(ws, choices, field, message):
    crm = ws[1]
    a, b = cards(crm, ("A", [], "X", None), ("B", [], "Y", None))
    with pytest.raises(CrmError, match=message) as refused:
        merge.merge(crm, a, b, {"name": a, **choices})
    assert refused.value.field == field
    with pytest.raises(CrmError, match="itself"):
        merge.merge(crm, a, a)


def log_call(log: CallLog, call_id, caller, at, rang=(), answered=None):
    log.started(call_id, "inbound", "+15550100", caller, at)
    for n, who in enumerate(rang):
        log.leg_started(call_id, f"{call_id}-{n}", f"PJSIP/{who}", who, at)
        log.leg_ended(f"{call_id}-{n}", "answered" if who == answered else "no_answer", at)
    if answered:
        log.answered(call_id, answered, f"PJSIP/{answered}", at)
    log.ended(call_id, "answered" if answered else "missed", at + timedelta(seconds=30))


def test_given_calls_then_each_level_sees_its_own_and_missed_ones_are_marked(ws):
    workspace, crm = ws
    log = workspace.call_log
    log_call(log, "c1", "+15557654321", T0, rang=["Alice Smith"], answered="Alice Smith")
    log_call(log, "c2", "+15557654321", T0 + timedelta(minutes=1), rang=["Alice Smith"])
    log_call(log, "c3", "+15550000003", T0 + timedelta(minutes=2), rang=["Carol White"],
             answered="Carol White")
    log_call(log, "old", "+15557654321", T0 - timedelta(days=1), rang=["Alice Smith"])

    def seen(name, level):
        return [(c["id"], c["missed_by_me"]) for c in
                workspace.calls_since(Principal(name, level), T0)]
    assert seen("Alice Smith", "operator") == [("c2", True), ("c1", False)]
    assert seen("Bob Jones", "manager") == [("c1", False)]  # answered in his department
    assert seen("Carol White", "admin") == [("c3", False), ("c2", False), ("c1", False)]
    card_id = crm.card_for_caller("+15557654321")[0]
    assert [c["id"] for c in workspace.history(card_id)] == ["c2", "c1", "old"]


def test_given_a_caller_then_the_pop_has_the_card_with_history_and_says_if_new(ws):
    workspace, crm = ws
    log_call(workspace.call_log, "c1", "+15557654321", T0, rang=["Alice Smith"])
    pop = workspace.screen_pop("+15557654321", "c1")  # a card made for this call
    assert (pop["name"], pop["new"], [c["id"] for c in pop["history"]]) == \
        ("+15557654321", True, ["c1"])
    log_call(workspace.call_log, "c2", "+15557654321", T0, rang=["Alice Smith"])
    assert workspace.screen_pop("+15557654321", "c2")["new"] is False  # called before
    assert workspace.screen_pop("anonymous", "c3") is None


def test_given_on_pc_accounts_then_the_softphone_and_webrtc_provisioning(ws):
    workspace = ws[0]
    assert workspace.softphone("Alice Smith")["login"] == "alice-pc"
    assert workspace.softphone("Bob Jones") is None
    desk = dict(account_objects(SipAccount("alice", "pw", "Alice Smith"), '"A" <101>',
                                "staff", "callctl-internal"))["endpoint"]
    pc = dict(account_objects(SipAccount("alice", "pw", "Alice Smith", on_pc=True),
                              '"A" <101>', "staff", "callctl-internal", "ws"))["endpoint"]
    assert (desk["transport"], "webrtc" in desk) == ("staff", False)
    assert (pc["transport"], pc["webrtc"], pc["dtls_auto_generate_cert"]) == ("ws", "yes", "yes")
    assert {k: v for k, v in pc.items() if k not in ("transport", "webrtc",
                                                     "dtls_auto_generate_cert")} == \
        {k: v for k, v in desk.items() if k != "transport"}


def test_given_calls_then_the_report_shows_a_manager_their_department_and_an_admin_all(ws):
    workspace = ws[0]
    log_call(workspace.call_log, "c1", "+15557654321", T0, rang=["Alice Smith"],
             answered="Alice Smith")
    log_call(workspace.call_log, "c2", "+15557654321", T0, rang=["Alice Smith", "Carol White"])
    log_call(workspace.call_log, "c3", "101", T0, rang=["Carol White"], answered="Carol White")

    def rows(name, level):
        return [(r["employee"], r["incoming"], r["answered"], r["missed"]) for r in
                workspace.report(Principal(name, level), T0, None)]
    assert rows("Bob Jones", "manager") == [("Alice Smith", 2, 1, 1)]
    assert rows("Dan", "admin") == [("Alice Smith", 2, 1, 1), ("Carol White", 2, 1, 1)]
