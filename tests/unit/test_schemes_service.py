"""SchemeService on a real SQLite database migrated by Alembic. Every refusal asserts its
exact message (naming scheme, branch and block) and that nothing changed, version included."""
from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from callctl.directory import DirectoryError, DirectoryService
from callctl.domain.scheme import Scheme, SchemeError, validate
from callctl.project.services import build_services
from callctl.schemes import NotFound, SchemeService
from callctl.store.db import make_engine, sessions, upgrade
from callctl.store.scheme_models import StoredScheme

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)
MOBILE = "+15550199"


def scheme_doc(name="Sales", *directions, kind="sequential", timeout=20,
               hours="09:00-18:00", days="mon-fri"):
    directions = directions or ({"employee": "Mia Park"},)
    return {"name": name, "kind": kind, "branches": [
        {"name": "weekdays", "schedule": {"days": days, "hours": [hours]},
         "blocks": [{"timeout": timeout, "directions": list(directions)}]}]}


@pytest.fixture
def maker(tmp_path):
    url = f"sqlite:///{tmp_path / 'callctl.db'}"
    upgrade(url)
    return sessions(make_engine(url))


@pytest.fixture
def services(maker):
    return build_services(maker, clock=lambda: T0)


@pytest.fixture
def d(services) -> DirectoryService:
    d = services.directory
    d.add_department("Sales", "200")
    d.add_employee("Mia Park", "mia@example.com", "101", department="Sales")
    d.add_employee("Max Stone", "max@example.com", "102", department="Sales")
    d.add_sip_account(employee="Mia Park", login="mia")
    d.add_sip_account(employee="Max Stone", login="max")
    d.add_sip_account(login="desk")
    d.add_number("+15550100", "Mia Park")
    d.add_number("+15550101", "Max Stone")
    return d


@pytest.fixture
def s(services, d) -> SchemeService:
    s = services.schemes
    s.save_scheme(scheme_doc("Sales", {"employee": "Mia Park"}, {"employee": "Max Stone"},
                             {"phone_number": MOBILE}))
    return s


def state(s: SchemeService, d: DirectoryService):
    rows = s.list_schemes()
    return rows, [s.get_scheme(r["name"]) for r in rows], s.snapshot()[1], d.version()


def refused(s, d, call, message, error=SchemeError):
    """`call` is refused with exactly `message` and nothing changed."""
    before = state(s, d)
    with pytest.raises(error) as err:
        call()
    assert str(err.value) == message
    assert state(s, d) == before


# ---- saving ---------------------------------------------------------------------------

def test_given_a_valid_scheme_when_saved_then_listed_and_version_bumped(d, s):
    version = d.version()
    saved = s.save_scheme(scheme_doc("Support", {"department": "Sales"}, kind="parallel"))
    assert saved == {"name": "Support", "kind": "parallel", "branches": 1, "numbers": [],
                     "replaced": False}
    assert [r["name"] for r in s.list_schemes()] == ["Sales", "Support"]
    assert d.version() == version + 1


def test_given_a_saved_scheme_when_read_then_it_is_the_normalised_document(s):
    s.save_scheme({"name": "Night", "kind": "sequential", "branches": [
        {"name": "always", "blocks": [{"timeout": 30, "directions": [
            {"kind": "sip_account", "target": "desk"}, {"phone_number": "(555) 0199"}]}]}]})
    assert s.get_scheme("Night") == {"name": "Night", "kind": "sequential", "branches": [
        {"name": "always", "schedule": {"days": "mon-sun", "hours": ["00:00-23:59"]},
         "blocks": [{"timeout": 30, "directions": [{"sip_account": "desk"},
                                                   {"phone_number": "+15550199"}]}]}]}


def test_given_an_existing_name_when_saved_without_replace_then_refused(d, s):
    refused(s, d, lambda: s.save_scheme(scheme_doc("Sales")),
            "scheme 'Sales': a scheme with this name already exists (save it with replace "
            "to overwrite it)")


def test_given_an_existing_name_when_saved_with_replace_then_overwritten(s):
    saved = s.save_scheme(scheme_doc("Sales", {"employee": "Max Stone"}, timeout=45),
                          replace=True)
    assert saved["replaced"] is True
    assert s.get_scheme("Sales")["branches"][0]["blocks"] == [
        {"timeout": 45, "directions": [{"employee": "Max Stone"}]}]


@pytest.mark.parametrize("doc, message", [
    ({"name": "Empty", "kind": "sequential", "branches": []},
     "scheme 'Empty': has no branches"),
    ({"name": "Bare", "kind": "sequential", "branches": [{"name": "day", "blocks": []}]},
     "scheme 'Bare', branch 'day': has no blocks"),
    ({"name": "Quiet", "kind": "sequential", "branches": [{"name": "weekdays", "blocks": [
        {"timeout": 20, "directions": []}]}]},
     "scheme 'Quiet', branch 'weekdays', block 1: has no directions"),
    (scheme_doc("Fast", timeout=0),
     "scheme 'Fast', branch 'weekdays', block 1: timeout 0 s: must be between 1 and 600"),
    (scheme_doc("Slow", timeout=601),
     "scheme 'Slow', branch 'weekdays', block 1: timeout 601 s: must be between 1 and 600"),
    (scheme_doc("Who", {"employee": "Nobody"}),
     "scheme 'Who', branch 'weekdays', block 1: direction employee 'Nobody': no such employee"),
    (scheme_doc("Dept", {"department": "Legal"}),
     "scheme 'Dept', branch 'weekdays', block 1: direction department 'Legal': no such "
     "department"),
    (scheme_doc("Sip", {"sip_account": "ghost"}),
     "scheme 'Sip', branch 'weekdays', block 1: direction sip_account 'ghost': no such SIP "
     "account"),
    (scheme_doc("Ref", {"scheme": "Missing"}),
     "scheme 'Ref', branch 'weekdays', block 1: direction scheme 'Missing': no such scheme"),
    (scheme_doc("Self", {"scheme": "Self"}),
     "scheme 'Self', branch 'weekdays', block 1: direction scheme 'Self': cyclic scheme "
     "reference Self -> Self"),
    (scheme_doc("Night", hours="18:01-08:59"),
     "scheme 'Night', branch 'weekdays': key 'schedule': 18:01–08:59 crosses midnight: split "
     "it into 18:01–23:59 and 00:00–08:59"),
    (scheme_doc("Queue", {"queue": "support"}),
     "scheme 'Queue', branch 'weekdays', block 1: direction queue 'support': no such queue"),
    ({"name": "Ring", "kind": "ringall", "branches": []},
     "scheme 'Ring': key 'kind': 'ringall' must be sequential or parallel"),
    ({"name": " ", "kind": "sequential", "branches": []},
     "scheme ' ': key 'name': must not be empty"),
])
def test_given_a_bad_scheme_when_saved_then_refused_naming_where(d, s, doc, message):
    refused(s, d, lambda: s.save_scheme(doc), message)


def test_given_many_problems_when_saved_then_all_are_reported_at_once(d, s):
    refused(s, d, lambda: s.save_scheme(scheme_doc("Bad", {"employee": "Nobody"},
                                                   {"voicemail": "box"}, timeout=0)),
            "scheme 'Bad', branch 'weekdays', block 1: timeout 0 s: must be between 1 and 600\n"
            "scheme 'Bad', branch 'weekdays', block 1: direction employee 'Nobody': no such "
            "employee\n"
            "scheme 'Bad', branch 'weekdays', block 1: direction voicemail 'box': no such "
            "voicemail box")


def test_given_two_schemes_when_a_replace_closes_a_cycle_then_refused(d, s):
    s.save_scheme(scheme_doc("Front", {"scheme": "Sales"}))
    refused(s, d, lambda: s.save_scheme(scheme_doc("Sales", {"scheme": "Front"}), replace=True),
            "scheme 'Sales', branch 'weekdays', block 1: direction scheme 'Front': cyclic "
            "scheme reference Sales -> Front -> Sales")


def test_given_another_scheme_gone_stale_when_saving_an_unrelated_one_then_accepted(
        maker, d, s):
    # Renames follow into schemes now; a stale one can still come from an older database.
    original = s.get_scheme("Sales")
    d.edit_employee("Max Stone", full_name="Max Stone-Berg")
    with maker.begin() as session:  # as if saved before the rename hook existed
        session.scalar(select(StoredScheme).where(StoredScheme.name == "Sales")).document = \
            original
    assert s.save_scheme(scheme_doc("Other"))["name"] == "Other"
    refused(s, d, lambda: s.save_scheme(s.get_scheme("Sales"), replace=True),
            "scheme 'Sales', branch 'weekdays', block 1: direction employee 'Max Stone': no "
            "such employee")


# ---- copy -----------------------------------------------------------------------------

def test_given_a_scheme_when_copied_then_the_copy_has_every_branch_and_block(s):
    assert s.copy_scheme("Sales", "Sales 2")["name"] == "Sales 2"
    assert s.get_scheme("Sales 2") == {**s.get_scheme("Sales"), "name": "Sales 2"}


@pytest.mark.parametrize("source, new, message", [
    ("Sales", "Sales", "scheme 'Sales': the copy of 'Sales' needs a different name"),
    ("Sales", "", "scheme '': the copy's name: must not be empty"),
    ("Sales", "Co\npy", "scheme 'Co\\npy': the copy's name: control character U+000A at "
                        "position 3"),
    ("Sales", "SALES", "scheme 'SALES': another scheme already has this name ('Sales')"),
    ("Nope", "Copy", "scheme 'Nope': no such scheme"),
])
def test_given_a_bad_copy_when_copying_then_refused(d, s, source, new, message):
    refused(s, d, lambda: s.copy_scheme(source, new), message)


def test_given_the_new_name_taken_when_copying_then_refused(d, s):
    s.save_scheme(scheme_doc("Night"))
    refused(s, d, lambda: s.copy_scheme("Sales", "Night"),
            "scheme 'Night': a scheme with this name already exists (save it with replace "
            "to overwrite it)")


# ---- assignment -----------------------------------------------------------------------

def test_given_a_number_when_assigned_then_snapshot_maps_it_and_reassign_replaces(s):
    s.save_scheme(scheme_doc("Night"))
    assert s.assign("+15550100", "Sales") == {"number": "+15550100", "scheme": "Sales",
                                            "previous": None}
    s.assign("+15550101", "Sales")
    assert s.assign("+15550101", "Night")["previous"] == "Sales"
    schemes, numbers = s.snapshot()
    assert numbers == {"+15550100": "Sales", "+15550101": "Night"}
    assert isinstance(schemes["Sales"], Scheme) and schemes["Sales"].kind == "sequential"
    assert [(r["name"], r["numbers"]) for r in s.list_schemes()] == [
        ("Night", ["+15550101"]), ("Sales", ["+15550100"])]


def test_given_a_missing_number_when_assigning_then_refused_as_not_found(d, s):
    refused(s, d, lambda: s.assign("+15559999", "Sales"),
            "number '+15559999': not a company number", NotFound)


def test_given_a_missing_scheme_when_assigning_then_refused(d, s):
    refused(s, d, lambda: s.assign("+15550100", "Gone"), "scheme 'Gone': no such scheme")


def test_given_an_assigned_number_when_unassigned_then_it_has_no_scheme(s):
    s.assign("+15550100", "Sales")
    assert s.unassign("+15550100")["previous"] == "Sales"
    assert s.snapshot()[1] == {}
    assert s.unassign("+15550100")["previous"] is None


def test_given_not_a_company_number_when_unassigning_then_refused(d, s):
    refused(s, d, lambda: s.unassign("42"), "number '42': not a company number", NotFound)


def test_given_an_assigned_number_when_the_number_is_deleted_then_the_assignment_goes(d, s):
    s.assign("+15550100", "Sales")
    d.delete_number("+15550100")
    assert s.snapshot()[1] == {}


# ---- delete ---------------------------------------------------------------------------

def test_given_an_assigned_scheme_when_deleted_then_refused_naming_the_numbers(d, s):
    s.assign("+15550100", "Sales")
    s.assign("+15550101", "Sales")
    refused(s, d, lambda: s.delete_scheme("Sales"),
            "scheme 'Sales': still used: number +15550100 is assigned it; number +15550101 is "
            "assigned it (delete with force to detach the numbers)")


def test_given_an_assigned_scheme_when_force_deleted_then_numbers_are_detached(s):
    s.assign("+15550100", "Sales")
    assert s.delete_scheme("Sales", force=True) == {
        "name": "Sales", "detached": ["number +15550100: scheme cleared"]}
    assert s.list_schemes() == [] and s.snapshot()[1] == {}


@pytest.mark.parametrize("force", [False, True])
def test_given_a_scheme_walked_by_another_when_deleted_then_refused_even_with_force(d, s,
                                                                                     force):
    s.save_scheme(scheme_doc("Front", {"phone_number": MOBILE}, {"scheme": "Sales"}))
    refused(s, d, lambda: s.delete_scheme("Sales", force=force),
            "scheme 'Sales': still used: scheme 'Front', branch 'weekdays', block 1 walks it "
            "(change those schemes first)")


def test_given_a_missing_scheme_when_deleted_then_refused_as_not_found(d, s):
    refused(s, d, lambda: s.delete_scheme("Gone"), "scheme 'Gone': no such scheme", NotFound)


# ---- the directory may not delete what a scheme rings ---------------------------------

def test_given_an_employee_in_a_scheme_when_deleted_then_refused_naming_scheme_branch_block(
        d, s):
    refused(s, d, lambda: d.delete_employee("Max Stone"),
            "employee 'Max Stone': usages: still used: number +15550101 rings it; SIP account "
            "'max' belongs to it; "
            "scheme 'Sales', branch 'weekdays', block 1 rings it (delete with force to "
            "detach)", DirectoryError)


def test_given_an_employee_in_a_scheme_when_force_deleted_then_the_scheme_drops_them(d, s):
    # Issue 16, item 9: `--force` detaches from schemes too, as the README says.
    result = d.delete_employee("Max Stone", force=True)
    assert "scheme 'Sales', branch 'weekdays', block 1: direction employee 'Max Stone' " \
           "removed" in result.detached
    blocks = s.get_scheme("Sales")["branches"][0]["blocks"]
    assert blocks[0]["directions"] == [{"employee": "Mia Park"}, {"phone_number": "+15550199"}]


def test_given_a_department_in_a_scheme_when_deleted_then_refused(d, s):
    s.save_scheme(scheme_doc("Team", {"department": "Sales"}, kind="parallel"))
    refused(s, d, lambda: d.delete_department("Sales", force=True),
            "department 'Sales': usages: scheme 'Team' would be left without directions "
            "without it: edit or delete that scheme first", DirectoryError)


def test_given_a_sip_account_in_a_scheme_when_deleted_then_refused(d, s):
    s.save_scheme(scheme_doc("Desk", {"sip_account": "desk"}))
    refused(s, d, lambda: d.delete_sip_account("desk"),
            "SIP account 'desk': usages: still used: scheme 'Desk', branch 'weekdays', "
            "block 1 rings it (delete with force to detach)", DirectoryError)


def test_given_the_wired_services_then_usages_name_each_scheme_once(d, s):
    assert d.usages("employee", "Mia Park") == [
        "number +15550100 rings it", "SIP account 'mia' belongs to it", "scheme 'Sales', branch 'weekdays', block 1 rings it"]


# ---- coverage -------------------------------------------------------------------------

def test_given_a_weekday_scheme_when_coverage_asked_then_gaps_and_overlaps_are_listed(s):
    s.save_scheme({"name": "Shop", "kind": "sequential", "branches": [
        {"name": "week", "schedule": {"days": "mon-sat", "hours": ["00:00-23:59"]},
         "blocks": [{"timeout": 20, "directions": [{"employee": "Mia Park"}]}]},
        {"name": "saturday", "schedule": {"days": "sat", "hours": ["10:00-14:00"]},
         "blocks": [{"timeout": 20, "directions": [{"employee": "Max Stone"}]}]}]})
    assert s.coverage("Shop") == ["Sun 00:00–23:59 uncovered"]
    assert s.overlaps("Shop") == ["branches 'week' and 'saturday' overlap on Sat 10:00–14:00: "
                                  "'week' takes those calls"]
    assert s.overlaps("Sales") == []


# ---- renames follow into the schemes ----------------------------------------------------

def test_given_an_employee_in_a_scheme_when_renamed_then_the_scheme_names_the_new_name(d, s):
    version = d.version()
    d.edit_employee("Mia Park", full_name="Mia Stone-Park")
    directions = s.get_scheme("Sales")["branches"][0]["blocks"][0]["directions"]
    assert directions == [{"employee": "Mia Stone-Park"}, {"employee": "Max Stone"},
                          {"phone_number": MOBILE}]
    assert validate(s.snapshot()[0], d.snapshot()) == []
    assert d.version() == version + 1  # one change: the rename and its scheme edit
    assert d.usages("employee", "Mia Stone-Park")[-1] == \
        "scheme 'Sales', branch 'weekdays', block 1 rings it"


def test_given_a_department_in_a_scheme_when_renamed_then_the_scheme_follows(d, s):
    s.save_scheme(scheme_doc("Team", {"department": "Sales"}, kind="parallel"))
    d.edit_department("Sales", name="Sales East")
    assert s.get_scheme("Team")["branches"][0]["blocks"][0]["directions"] == [
        {"department": "Sales East"}]
    assert s.get_scheme("Sales") == scheme_doc("Sales", {"employee": "Mia Park"},
                                               {"employee": "Max Stone"},
                                               {"phone_number": MOBILE}) | {}
    assert validate(s.snapshot()[0], d.snapshot()) == []


def test_given_a_refused_rename_then_the_scheme_is_unchanged(d, s):
    before = s.get_scheme("Sales")
    with pytest.raises(DirectoryError):
        d.edit_employee("Mia Park", full_name="Max Stone")  # taken
    assert s.get_scheme("Sales") == before
