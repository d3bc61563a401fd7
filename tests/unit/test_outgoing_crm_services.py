"""The outgoing and CRM services on a real SQLite database migrated by Alembic: every
refusal names what is wrong and changes nothing; directory deletes and renames follow."""
from datetime import datetime, timedelta, timezone

import pytest

from callctl.directory import DirectoryError
from callctl.crm.service import CrmError, NotFound
from callctl.outgoing.service import OutgoingError
from callctl.project.services import build_services
from callctl.store.db import make_engine, sessions, upgrade

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)
UA, US = "+380441234567", "+15550100"


@pytest.fixture
def services(tmp_path):
    url = f"sqlite:///{tmp_path / 'callctl.db'}"
    upgrade(url)
    s = build_services(sessions(make_engine(url)), clock=lambda: T0)
    d = s.directory
    d.add_department("Sales", "600")
    d.add_employee("Alice Smith", "alice@example.com", "101", department="Sales")
    d.add_employee("Bob Jones", "bob@example.com", "102")
    d.add_sip_account("Alice Smith", login="alice")
    for number in (UA, US):
        d.add_number(number, "Alice Smith")
    return s


def test_given_rules_when_added_then_listed_and_in_the_policy(services):
    o = services.outgoing
    o.add_rule("company", None, "(555) 0100")  # written as people write it
    o.add_rule("department", "Sales", UA, "+380")
    o.bar("alice")
    assert [(r["scope"], r["owner"], r["prefix"], r["number"]) for r in o.list_rules()] == \
        [("company", None, None, US), ("department", "Sales", "+380", UA)]
    policy = o.policy()
    assert len(policy.rules) == 2 and policy.barred == {"alice"}


@pytest.mark.parametrize("args, message", [
    (("company", None, "+15559999"), "number +15559999: not a company number"),
    (("employee", "Nobody", US), "employee 'Nobody': no such employee"),
    (("employee", None, US), "a employee rule needs the employee it is for"),
    (("company", None, US, "380"), "prefix '380': write it with its +, e.g. +380"),
    (("company", None, "12ab"), "number: '12ab' is not a phone number"),
])
def test_given_a_bad_rule_when_added_then_refused_and_nothing_stored(services, args, message):
    with pytest.raises(OutgoingError) as err:
        services.outgoing.add_rule(*args)
    assert str(err.value).startswith(message)
    assert services.outgoing.list_rules() == []


def test_given_a_rule_for_the_same_owner_and_prefix_when_added_then_refused_unless_replace(
        services):
    o = services.outgoing
    o.add_rule("employee", "Alice Smith", US)
    with pytest.raises(OutgoingError, match="already has a rule for every destination"):
        o.add_rule("employee", "Alice Smith", UA)
    o.add_rule("employee", "Alice Smith", UA, replace=True)
    assert [r["number"] for r in o.list_rules()] == [UA]


def test_given_rules_naming_people_when_they_are_renamed_or_deleted_then_rules_follow(services):
    o, d = services.outgoing, services.directory
    o.add_rule("employee", "Alice Smith", US)
    o.add_rule("department", "Sales", UA)
    d.edit_employee("Alice Smith", full_name="Alice Brown")
    d.edit_department("Sales", name="Sales EU")
    assert {(r["scope"], r["owner"]) for r in o.list_rules()} == \
        {("employee", "Alice Brown"), ("department", "Sales EU")}
    with pytest.raises(DirectoryError, match="caller-ID rule"):
        d.delete_number(US)  # a rule shows it
    with pytest.raises(DirectoryError, match="caller-ID rule"):
        d.delete_department("Sales EU")
    d.delete_department("Sales EU", force=True)
    assert [r["owner"] for r in o.list_rules()] == ["Alice Brown"]


def test_given_an_unknown_account_when_barred_then_refused(services):
    with pytest.raises(LookupError, match="no SIP account 'ghost'"):
        services.outgoing.bar("ghost")
    assert services.outgoing.list_bans() == []


# --- client cards --------------------------------------------------------------------------

def test_given_a_card_when_searched_by_any_field_then_found(services):
    crm = services.crm
    card = crm.add_client("Olena Koval", ["+380501112233"], ["olena@example.com"],
                          company="Koval Ltd", address="Kyiv, Khreshchatyk 1")
    for text in ("+380501112233", "50111", "olena", "koval ltd", "Khreshchatyk"):
        assert [c["id"] for c in crm.search(text)] == [card["id"]], text
    assert crm.search("nobody") == []


@pytest.mark.parametrize("kwargs, field", [
    ({"name": ""}, "name"), ({"name": "X", "phones": ["12ab"]}, "phones"),
    ({"name": "X", "emails": ["not-an-address"]}, "emails"),
    ({"name": "X", "phones": "+15550123"}, "phones"),
])
def test_given_bad_card_fields_when_added_then_refused_naming_the_field(services, kwargs, field):
    with pytest.raises(CrmError) as err:
        services.crm.add_client(**kwargs)
    assert err.value.field == field
    assert services.crm.search("X") == []


def test_given_a_phone_on_another_card_when_added_then_refused(services):
    crm = services.crm
    first = crm.add_client("A", ["+380501112233"])
    with pytest.raises(CrmError, match=f"already on client card {first['id']}"):
        crm.add_client("B", ["+380 50 111 22 33"])


def test_given_a_caller_when_carded_twice_then_one_card(services):
    crm = services.crm
    made = crm.card_for_caller("+15557654321")
    assert made[1] is True and crm.card_for_caller("+15557654321") == (made[0], False)
    assert crm.card_for_caller("anonymous") is None


def test_given_entities_when_looking_up_in_order_then_first_open_with_a_responsible(services):
    crm = services.crm
    card = crm.add_client("Olena", ["+380501112233"])
    deal = crm.add_entity(card["id"], "deal", "Big deal", "Bob Jones")
    crm.add_entity(card["id"], "lead", "Old lead", "Alice Smith", state="closed")
    crm.add_entity(card["id"], "contact", "Nobody's", None)
    assert crm.responsible_for("+380501112233", ("lead", "contact", "deal")) == \
        ("Bob Jones", f"deal {deal['id']}")
    lead = crm.add_entity(card["id"], "lead", "New lead", "Alice Smith")
    assert crm.responsible_for("+380501112233", ("lead", "deal")) == \
        ("Alice Smith", f"lead {lead['id']}")
    assert crm.responsible_for("+15550000000", ("lead",)) is None


def test_given_a_missed_call_when_a_call_back_is_made_then_one_task_with_a_deadline(services):
    crm = services.crm
    task = crm.call_back("c1", "+15557654321", "Alice Smith", timedelta(minutes=30))
    again = crm.call_back("c1", "+15557654321", "Alice Smith", timedelta(minutes=30))
    assert task == again and task["responsible"] == "Alice Smith"
    assert task["due_at"] == (T0 + timedelta(minutes=30)).isoformat()
    assert [t["id"] for t in crm.list_tasks(employee="Alice Smith")] == [task["id"]]
    crm.finish_task(task["id"])
    assert crm.list_tasks() == [] and len(crm.list_tasks(open_only=False)) == 1


def test_given_an_employee_responsible_or_mapped_when_deleted_then_refused_unless_force(services):
    crm, d = services.crm, services.directory
    card = crm.add_client("Olena", ["+380501112233"])
    crm.add_entity(card["id"], "lead", "Lead", "Bob Jones")
    crm.map_user("u-42", "Bob Jones")
    with pytest.raises(DirectoryError, match="CRM user u-42; lead"):
        d.delete_employee("Bob Jones")
    d.delete_employee("Bob Jones", force=True)
    assert crm.users() == {} and crm.get_client(card["id"])["entities"][0]["responsible"] is None


def test_given_a_missing_card_when_shown_then_not_found(services):
    with pytest.raises(NotFound, match="no client card 99"):
        services.crm.get_client(99)


def test_given_configured_webhooks_when_a_scheme_names_another_then_refused(tmp_path):
    from callctl.domain.scheme import SchemeError
    url = f"sqlite:///{tmp_path / 'w.db'}"
    upgrade(url)
    schemes = build_services(sessions(make_engine(url)), webhooks={"regional"}).schemes
    doc = {"name": "Web", "kind": "sequential", "branches": [{"name": "always", "blocks": [
        {"timeout": 30, "directions": [{"webhook": "regoinal"}]}]}]}
    with pytest.raises(SchemeError, match=r"direction webhook 'regoinal': no such webhook "
                                          r"\(configured in callctl.yaml: regional\)"):
        schemes.save_scheme(doc)
    doc["branches"][0]["blocks"][0]["directions"] = [{"webhook": "regional"}]
    assert schemes.save_scheme(doc)["name"] == "Web"
