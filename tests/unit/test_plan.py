from callctl.domain.directory import CompanyNumber, Directory, Employee
from callctl.domain.plan import Block, Leg, NotInService, Plan, Trunk, fallback_target, \
    plan_inbound, plan_internal

TRUNK = Trunk("carrier")
DIRECTORY = Directory(
    employees=(Employee("Alice Smith", "101", ("alice", "alice-mobile")),
               Employee("Bob Jones", "102", ("bob",))),
    numbers=(CompanyNumber("+15550100", "Alice Smith", 20),
             CompanyNumber("+15550101", "Bob Jones", 15, fallback="+15550199"),
             CompanyNumber("+15550102", "Bob Jones", 15, fallback="Alice Smith")),
)


def test_given_company_number_when_planned_then_all_accounts_ring_for_its_timeout():
    plan = plan_inbound(DIRECTORY, "+15550100", TRUNK)
    assert plan == Plan((Block((Leg("PJSIP/alice", "Alice Smith"),
                                Leg("PJSIP/alice-mobile", "Alice Smith")), 20),),
                        reason="+15550100 rings Alice Smith")


def test_given_unknown_number_when_planned_then_not_in_service():
    assert plan_inbound(DIRECTORY, "+15550999", TRUNK) == \
        NotInService("+15550999 is not a company number")


def test_given_extension_when_dialled_internally_then_that_employee_rings():
    plan = plan_internal(DIRECTORY, "102", TRUNK)
    assert plan.blocks == (Block((Leg("PJSIP/bob", "Bob Jones"),), 30),)


def test_given_company_number_when_dialled_internally_then_routed_as_inbound():
    assert plan_internal(DIRECTORY, "+15550101", TRUNK).blocks[0].legs == \
        (Leg("PJSIP/bob", "Bob Jones"),)


def test_given_fallbacks_when_computed_then_dial_strings_for_asterisk():
    assert fallback_target(DIRECTORY, "+15550100", TRUNK) == "PJSIP/alice&PJSIP/alice-mobile"
    assert fallback_target(DIRECTORY, "+15550101", TRUNK) == "PJSIP/+15550199@carrier"
    assert fallback_target(DIRECTORY, "+15550102", TRUNK) == "PJSIP/alice&PJSIP/alice-mobile"
    assert fallback_target(DIRECTORY, "+15550999", TRUNK) is None
