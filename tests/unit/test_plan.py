"""Numbers without a scheme, extensions dialled by staff, and the daemon-absent fallback."""
from datetime import datetime, timezone

from callctl.domain.catalog import Catalog
from callctl.domain.directory import ALL_REACHABLE, CompanyNumber, Directory, Employee
from callctl.domain.fallback import fallback_targets
from callctl.domain.flow import NOBODY_AVAILABLE, NOT_IN_SERVICE, Ring, Target
from callctl.domain.planner import plan_extension, plan_number
from callctl.pbx.dial import dial_all

AT = datetime(2026, 11, 24, 10, 0, tzinfo=timezone.utc)
DIRECTORY = Directory(
    employees=(Employee("Alice Smith", "101", ("alice", "alice-mobile")),
               Employee("Bob Jones", "102", ("bob",))),
    numbers=(CompanyNumber("+15550100", "Alice Smith", 20),
             CompanyNumber("+15550101", "Bob Jones", 15, fallback="+15550199"),
             CompanyNumber("+15550102", "Bob Jones", 15, fallback="Alice Smith")),
)
CATALOG = Catalog(DIRECTORY)


def number(n):
    return plan_number(n, CATALOG, ALL_REACHABLE, AT, "UTC")


def test_given_company_number_when_planned_then_all_accounts_ring_then_nobody_prompt():
    result = number("+15550100")
    assert result.steps == (Ring((Target("sip", "alice", "Alice Smith"),
                                  Target("sip", "alice-mobile", "Alice Smith")), 20),
                            NOBODY_AVAILABLE)
    assert result.reason == "number +15550100 rings Alice Smith"


def test_given_unknown_number_when_planned_then_not_in_service_prompt():
    result = number("+15550999")
    assert result.steps == (NOT_IN_SERVICE,) and not result.uncovered
    assert result.reason == "+15550999 is not a company number"


def test_given_extension_when_dialled_internally_then_that_employee_rings():
    result = plan_extension("102", CATALOG, ALL_REACHABLE, AT, "UTC")
    assert result.steps[0] == Ring((Target("sip", "bob", "Bob Jones"),), 30)


def test_given_company_number_when_dialled_internally_then_routed_as_inbound():
    assert plan_extension("+15550101", CATALOG, ALL_REACHABLE, AT, "UTC").steps[0].targets == \
        (Target("sip", "bob", "Bob Jones"),)


def test_given_fallbacks_when_computed_then_dial_strings_for_asterisk():
    def fallback(n):
        return dial_all(fallback_targets(DIRECTORY, n), "carrier")
    assert fallback("+15550100") == "PJSIP/alice&PJSIP/alice-mobile"
    assert fallback("+15550101") == "PJSIP/+15550199@carrier"
    assert fallback("+15550102") == "PJSIP/alice&PJSIP/alice-mobile"
    assert fallback("+15550999") == ""
