"""Outgoing calls, pure: which rule chooses the caller ID (owner precedence, longest
prefix), bans, what counts as an outside number, and the checks on a rule."""
from datetime import datetime, timezone

import pytest

from callctl.domain.catalog import Catalog
from callctl.domain.directory import (ALL_REACHABLE, CompanyNumber, Department, Directory,
                                      Employee, SipAccount)
from callctl.domain.flow import Announce, Ring
from callctl.domain.scheme import Direction
from callctl.domain.outgoing import (CallerIdRule, DialOut, OutgoingPolicy, choose_caller_id,
                                     outside_number, plan_dialled, rule_problem)

UA, PL, US, DE = "+380441234567", "+48221234567", "+15550100", "+4930123456"
ALICE = Employee("Alice Smith", "101", ("alice", "alice-mobile"), department="Sales")
BOB = Employee("Bob Jones", "102", ("bob",))
DIRECTORY = Directory(
    employees=(ALICE, BOB), departments=(Department("Sales", "600"),),
    sip_accounts=(SipAccount("alice", "x", "Alice Smith"),
                  SipAccount("alice-mobile", "x", "Alice Smith"), SipAccount("bob", "x", "Bob Jones"),
                  SipAccount("lobby", "x")),
    numbers=tuple(CompanyNumber(n, None) for n in (UA, PL, US, DE)))
CATALOG = Catalog(DIRECTORY)
RULES = (CallerIdRule("company", "", US),
         CallerIdRule("department", "Sales", UA, "+380"),
         CallerIdRule("department", "Sales", PL, "+48"),
         CallerIdRule("employee", "Alice Smith", DE, "+4930"),
         CallerIdRule("employee", "Alice Smith", PL, "+49"),
         CallerIdRule("sip_account", "alice-mobile", US, "+380"))
POLICY = OutgoingPolicy(RULES, frozenset({"lobby"}), "DE")
AT = datetime(2026, 6, 1, 10, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize("login, dialled, shown", [
    ("alice", "+380501112233", UA),          # department: the +380 rule
    ("alice", "+48601234567", PL),           # department: the +48 rule
    ("alice", "+4930999999", DE),            # employee: +4930 is longer than +49
    ("alice", "+4989123456", PL),            # employee: only +49 fits
    ("alice", "+15557654321", US),           # no owner has a rule for +1: the company's
    ("alice-mobile", "+380501112233", US),   # the SIP account's own rule wins over all
    ("alice-mobile", "+48601234567", PL),    # ... but only for its prefix
    ("bob", "+380501112233", US),            # not in Sales: the company's
])
def test_given_rules_of_every_owner_when_choosing_then_the_most_specific_then_longest_wins(
        login, dialled, shown):
    assert choose_caller_id(POLICY, CATALOG, login, dialled).number == shown


def test_given_the_choice_when_explained_then_each_owner_asked_says_why():
    choice = choose_caller_id(POLICY, CATALOG, "alice", "+15557654321")
    assert choice.why == ("sip_account 'alice': no rule",
                          "employee 'Alice Smith': rules only for +4930, +49",
                          "department 'Sales': rules only for +380, +48",
                          f"the company: its rule for every destination: shows {US}")


def test_given_no_rule_at_all_when_dialling_out_then_nothing_is_dialled_and_the_caller_hears_why():
    result = plan_dialled("bob", "+15557654321", CATALOG, OutgoingPolicy(), ALL_REACHABLE, AT,
                          "UTC")
    assert isinstance(result.steps[0], Announce) and result.steps[0].outcome == "failed"
    assert "no caller-ID rule applies to 'bob'" in result.reason


def test_given_a_barred_account_when_dialling_out_then_the_prompt_and_no_dialling():
    result = plan_dialled("lobby", "0301234567", CATALOG, POLICY, ALL_REACHABLE, AT, "UTC")
    assert result.steps == (result.steps[0],) and result.steps[0].outcome == "barred"
    assert result.steps[0].cause == 21
    assert not any(isinstance(s, (Ring, DialOut)) for s in result.steps)


def test_given_a_barred_account_when_dialling_an_extension_then_it_still_rings():
    result = plan_dialled("lobby", "101", CATALOG, POLICY, ALL_REACHABLE, AT, "UTC")
    assert isinstance(result.steps[0], Ring) and result.steps[0].targets[0].address == "alice"


def test_given_a_national_number_when_dialled_then_normalised_to_e164_in_the_country():
    result = plan_dialled("alice", "030 9999999", CATALOG, POLICY, ALL_REACHABLE, AT, "UTC")
    step = result.steps[0]
    assert isinstance(step, DialOut)
    assert (step.target.kind, step.target.address, step.caller_id) == \
        ("phone", "+49309999999", DE)
    assert "employee 'Alice Smith'" in step.rule


@pytest.mark.parametrize("dialled, outside", [
    ("101", None), ("600", None),             # extensions
    (US, None), ("030123456", None),          # company numbers, also written nationally
    ("*72", None), ("", None), ("12ab", None),
    ("+15557654321", "+15557654321"), ("0049 89 123456", "+4989123456"),
])
def test_given_what_a_phone_dials_when_asked_then_only_outside_numbers_are_outside(
        dialled, outside):
    assert outside_number(dialled, CATALOG, "DE") == outside


@pytest.mark.parametrize("rule, problem", [
    (CallerIdRule("company", "", "+15559999"), "not a company number"),
    (CallerIdRule("employee", "Nobody", US), "no such employee"),
    (CallerIdRule("department", "Support", US), "no such department"),
    (CallerIdRule("sip_account", "ghost", US), "no such SIP account"),
    (CallerIdRule("company", "", US, "380"), "write it as + and 1 to 15 digits"),
    (CallerIdRule("team", "x", US), "scope 'team'"),
])
def test_given_a_bad_rule_when_checked_then_the_problem_is_named(rule, problem):
    assert problem in rule_problem(rule, CATALOG)


def test_given_a_good_rule_when_checked_then_no_problem():
    assert rule_problem(CallerIdRule("sip_account", "bob", PL, "+48"), CATALOG) is None


def test_given_a_company_number_written_nationally_when_dialled_then_it_is_planned_as_such():
    catalog = Catalog(DIRECTORY, routes={DE: Direction("voicemail", "Box")})
    result = plan_dialled("alice", "030 123456", catalog, POLICY, ALL_REACHABLE, AT, "UTC")
    assert result.reason == f"{DE} is served by voicemail 'Box'"
