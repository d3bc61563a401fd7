"""Directory rules for employees and departments, on a real SQLite database migrated by
Alembic. Every refusal asserts its exact message and that nothing changed."""
from datetime import datetime, timezone

import pytest

from callctl.directory import DirectoryError, DirectoryService
from callctl.store.db import make_engine, sessions, upgrade

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)


def make_directory(tmp_path, **options) -> DirectoryService:
    url = f"sqlite:///{tmp_path / 'directory.db'}"
    upgrade(url)
    return DirectoryService(sessions(make_engine(url)), clock=lambda: T0, **options)


@pytest.fixture
def d(tmp_path):
    d = make_directory(tmp_path)
    d.add_department("Sales", "200")
    d.add_employee("Ann Lee", "ann@example.com", "101", department="Sales")
    return d


def state(d):
    return (d.list_employees(), d.list_departments(), d.list_sip_accounts(), d.list_numbers(),
            d.version())


def refused(d, call, message):
    """`call` is refused with exactly `message` and the database is left as it was."""
    before = state(d)
    with pytest.raises(DirectoryError) as err:
        call()
    assert str(err.value) == message
    assert state(d) == before


# ---- e-mail ---------------------------------------------------------------------------

def test_given_no_email_when_adding_then_refused(d):
    refused(d, lambda: d.add_employee("Bob Stone", "  ", "102"),
            "employee 'Bob Stone': email: required")


@pytest.mark.parametrize("email", ["bob", "bob@", "bob@example", "b ob@example.com", "@x.org"])
def test_given_an_invalid_email_when_adding_then_refused(d, email):
    refused(d, lambda: d.add_employee("Bob Stone", email, "102"),
            f"employee 'Bob Stone': email: {email!r} is not a valid e-mail address")


@pytest.mark.parametrize("email", ["bob@mail.ru", "bob@corp.mail.RU", "bob@yandex.ru"])
def test_given_a_ru_domain_when_adding_then_refused(d, email):
    refused(d, lambda: d.add_employee("Bob Stone", email, "102"),
            "employee 'Bob Stone': email: addresses in the .ru domain are not accepted")


@pytest.mark.parametrize("email", ["bob@example.run", "bob@ru.example.com", "ru@example.com"])
def test_given_ru_only_as_a_substring_when_adding_then_accepted(d, email):
    assert d.add_employee("Bob Stone", email, "102").object["email"] == email


def test_given_an_email_in_use_in_other_case_when_adding_then_refused(d):
    refused(d, lambda: d.add_employee("Bob Stone", "ANN@Example.com", "102"),
            "employee 'Bob Stone': email: already used by employee 'Ann Lee'")


def test_given_an_employee_when_changing_email_then_refused_with_new_profile_advice(d):
    refused(d, lambda: d.edit_employee("Ann Lee", email="ann.lee@example.com"),
            "employee 'Ann Lee': email: e-mail cannot be changed after creation: "
            "create a new profile for the new address")


def test_given_the_same_email_when_editing_then_it_is_no_change(d):
    assert d.edit_employee("Ann Lee", email="ann@example.com", online=False).object["online"] \
        is False


# ---- full name ------------------------------------------------------------------------

def test_given_a_blank_name_when_adding_then_refused(d):
    refused(d, lambda: d.add_employee("   ", "bob@example.com", "102"),
            "employee: full_name: must not be empty")


def test_given_a_name_in_use_when_adding_or_renaming_then_refused(d):
    refused(d, lambda: d.add_employee(" Ann Lee ", "bob@example.com", "102"),
            "employee 'Ann Lee': full_name: another employee already has this name")
    d.add_employee("Bob Stone", "bob@example.com", "102")
    refused(d, lambda: d.edit_employee("Bob Stone", full_name="Ann Lee"),
            "employee 'Ann Lee': full_name: another employee already has this name")


def test_given_a_rename_when_editing_then_numbers_follow_the_new_name(d):
    d.add_number("+15550100", "Ann Lee", fallback="Ann Lee")
    d.edit_employee("Ann Lee", full_name="Ann Smith")
    assert d.get_number("+15550100")["employee"] == "Ann Smith"
    assert d.get_number("+15550100")["fallback"] == "Ann Smith"


# ---- extensions -----------------------------------------------------------------------

@pytest.mark.parametrize("extension", ["1", "123456789", "10a", "", "+101"])
def test_given_a_malformed_extension_when_adding_then_refused(d, extension):
    refused(d, lambda: d.add_employee("Bob Stone", "bob@example.com", extension),
            "employee 'Bob Stone': extension: must be 2 to 8 digits")


def test_given_an_extension_of_an_employee_or_department_when_adding_then_refused(d):
    refused(d, lambda: d.add_employee("Bob Stone", "bob@example.com", "101"),
            "employee 'Bob Stone': extension: already used by employee 'Ann Lee'")
    refused(d, lambda: d.add_employee("Bob Stone", "bob@example.com", "200"),
            "employee 'Bob Stone': extension: already used by department 'Sales'")
    refused(d, lambda: d.add_department("Support", "101"),
            "department 'Support': extension: already used by employee 'Ann Lee'")


def test_given_its_own_extension_when_editing_then_accepted(d):
    assert d.edit_employee("Ann Lee", extension="101").object["extension"] == "101"
    assert d.edit_department("Sales", extension="200").object["extension"] == "200"


def test_given_a_feature_code_prefix_when_adding_then_refused(tmp_path):
    d = make_directory(tmp_path, feature_codes=("*", "#", "9"))
    refused(d, lambda: d.add_employee("Bob Stone", "bob@example.com", "901"),
            "employee 'Bob Stone': extension: starts with '9', which begins a feature code")
    refused(d, lambda: d.add_department("Support", "99"),
            "department 'Support': extension: starts with '9', which begins a feature code")


# ---- other employee fields ------------------------------------------------------------

def test_given_an_unknown_department_when_adding_then_refused(d):
    refused(d, lambda: d.add_employee("Bob Stone", "bob@example.com", "102", department="HR"),
            "employee 'Bob Stone': department: no department named 'HR'")


def test_given_an_unknown_access_level_when_editing_then_refused(d):
    refused(d, lambda: d.edit_employee("Ann Lee", access_level="root"),
            "employee 'Ann Lee': access_level: must be one of admin, manager, operator")


def test_given_bad_contacts_when_editing_then_refused(d):
    refused(d, lambda: d.edit_employee("Ann Lee", phone_numbers=["call me"]),
            "employee 'Ann Lee': phone_numbers: 'call me' is not a phone number "
            "(the digits 0-9 with an optional leading '+'; spaces, '-', '.', '(' and ')' may "
            "separate them)")
    refused(d, lambda: d.edit_employee("Ann Lee", other_contacts=["ann@home"]),
            "employee 'Ann Lee': other_contacts: 'ann@home' is neither a phone number "
            "nor a sip: URI")
    refused(d, lambda: d.edit_employee("Ann Lee", phone_numbers=["+15550177"],
                                       other_contacts=["(555) 0177"]),
            "employee 'Ann Lee': other_contacts: '+15550177' is given twice")
    refused(d, lambda: d.edit_employee("Ann Lee", phone_numbers="+15550177"),
            "employee 'Ann Lee': phone_numbers: must be a list of strings")


def test_given_contacts_when_swapping_roles_then_kept_in_order(d):
    d.edit_employee("Ann Lee", phone_numbers=["+15550155", "+15550166"],
                    other_contacts=["sip:a@b.c"])
    ann = d.edit_employee("Ann Lee", phone_numbers=["+15550166"],
                          other_contacts=["+15550155"]).object
    assert (ann["phone_numbers"], ann["other_contacts"]) == (["+15550166"], ["+15550155"])


def test_given_an_unknown_field_or_employee_when_editing_then_refused(d):
    refused(d, lambda: d.edit_employee("Ann Lee", salary=1),
            "employee 'Ann Lee': salary: cannot be edited (editable: full_name, extension, "
            "department, access_level, phone_numbers, other_contacts, online, call_waiting)")
    refused(d, lambda: d.edit_employee("Nobody", online=False),
            "employee 'Nobody': full_name: not found")
    refused(d, lambda: d.edit_employee("Ann Lee", online="yes"),
            "employee 'Ann Lee': online: must be true or false")


# ---- departments ----------------------------------------------------------------------

def test_given_a_department_name_in_use_or_blank_when_adding_then_refused(d):
    refused(d, lambda: d.add_department("Sales", "201"),
            "department 'Sales': name: another department already has this name")
    refused(d, lambda: d.add_department("", "201"), "department: name: must not be empty")


def test_given_a_department_extension_in_use_when_adding_then_refused(d):
    refused(d, lambda: d.add_department("Support", "200"),
            "department 'Support': extension: already used by department 'Sales'")


def test_given_members_when_deleting_a_department_then_refused_listing_them(d):
    refused(d, lambda: d.delete_department("Sales"),
            "department 'Sales': usages: still used: employee 'Ann Lee' is in it "
            "(delete with force to detach)")


def test_given_members_when_force_deleting_a_department_then_they_lose_it(d):
    result = d.delete_department("Sales", force=True)
    assert result.detached == ["employee 'Ann Lee': department cleared"]
    assert d.get_employee("Ann Lee")["department"] is None
    assert d.list_departments() == []


# ---- seats and version ----------------------------------------------------------------

def test_given_three_employees_when_adding_more_then_billed_seats_are_announced(d):
    assert not any("seat" in m for m in d.add_employee("B", "b@example.com", "102").messages)
    assert not any("seat" in m for m in d.add_employee("C", "c@example.com", "103").messages)
    assert "4 employees: 1 seat above the 3 included is billed" in \
        d.add_employee("D", "d@example.com", "104").messages
    assert "5 employees: 2 seats above the 3 included are billed" in \
        d.add_employee("E", "e@example.com", "105").messages


def test_given_changes_when_each_succeeds_then_version_bumps_once_and_not_on_refusal(d):
    v = d.version()
    d.add_employee("Bob Stone", "bob@example.com", "102")
    assert d.version() == v + 1
    with pytest.raises(DirectoryError):
        d.add_employee("Bob Stone", "bob2@example.com", "103")
    assert d.version() == v + 1
    d.edit_department("Sales", name="Sales EU")
    d.delete_employee("Bob Stone")
    assert d.version() == v + 3


def test_given_a_fresh_database_then_version_is_zero(tmp_path):
    assert make_directory(tmp_path).version() == 0


# ---- the one rule for names (issue 16, item 7) ------------------------------------------

@pytest.mark.parametrize("variant", ["ann lee", "ANN LEE", "Ann  Lee", "Ann\u00a0Lee",
                                     "\uff21nn Lee", "Ann\u200dLee".replace("\u200d", " \u200d")])
def test_given_a_variant_of_an_existing_name_when_adding_then_refused_as_the_same(d, variant):
    with pytest.raises(DirectoryError, match="another employee already has this name") as err:
        d.add_employee(variant, "other@example.com", "150")
    assert err.value.code == "conflict"
    assert [e["full_name"] for e in d.list_employees()] == ["Ann Lee"]


@pytest.mark.parametrize("bad, why", [
    ("Ann\nLee", "control character U+000A at position 4"),
    ("Bob\x07", "control character U+0007 at position 4"),
    ("Bob\u200bStone", "invisible formatting character U+200B at position 4"),
    ("Bob \ud800", "lone surrogate (not valid Unicode) U+D800 at position 5"),
    ("x" * 129, "at most 128 characters (got 129)")])
def test_given_a_bad_name_when_adding_or_renaming_then_refused_saying_why(d, bad, why):
    refused(d, lambda: d.add_employee(bad, "bob@example.com", "102"),
            f"employee: full_name: {why}")
    refused(d, lambda: d.edit_department("Sales", name=bad), f"department: name: {why}")


def test_given_spacing_in_a_name_when_adding_then_stored_normalised_and_found_so(d):
    assert d.add_department("  Front\u00a0 Desk ", "300").object["name"] == "Front Desk"
    assert d.get_department("Front   Desk")["name"] == "Front Desk"
    refused(d, lambda: d.add_department("SALES", "201"),
            "department 'SALES': name: another department already has this name ('Sales')")


def test_given_a_renamed_employee_when_only_the_case_changes_then_allowed(d):
    assert d.edit_employee("Ann Lee", full_name="Ann LEE").object["full_name"] == "Ann LEE"


def test_given_a_login_differing_only_in_case_when_adding_then_refused(d):
    d.add_sip_account(login="ann")
    refused(d, lambda: d.add_sip_account(login="ANN"),
            "SIP account 'ANN': login: already used by another SIP account ('ann')")


def test_given_an_e_mail_with_a_control_character_when_adding_then_refused(d):
    refused(d, lambda: d.add_employee("Bob Stone", "bob\r@example.com", "102"),
            "employee 'Bob Stone': email: control character U+000D at position 4")
