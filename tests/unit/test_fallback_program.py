"""The daemon-absent program of a company number: what the dialplan rings when callctl is
down, made from the number's scheme, and the AstDB keys it is written as."""
from dataclasses import replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from callctl.domain.catalog import Catalog
from callctl.domain.directory import ALL_REACHABLE, CompanyNumber, Department, Directory, \
    Employee
from callctl.domain.fallback import fallback_program
from callctl.domain.flow import Prompt, Ring, Target
from callctl.domain.ivr import IvrMenu
from callctl.domain.planner import plan_call
from callctl.domain.schedule import WeeklySchedule, minute_of_week
from callctl.domain.scheme import BlockSpec, Branch, Direction, Scheme
from callctl.pbx.dial import dial_all
from callctl.pbx.fallback import fallback_table, hours

MANNY = Employee("Manny Diaz", "101", ("manny",), department="Sales")
MONA = Employee("Mona Lee", "102", ("mona", "mona-pc"), department="Sales")
BOB = Employee("Bob Jones", "103", ("bob",), ("+15550177",))
SALES = "+15550120"
DIRECTORY = Directory(employees=(MANNY, MONA, BOB), departments=(Department("Sales", "600"),),
                      numbers=(CompanyNumber(SALES, None, 25, fallback="+15550199"),
                               CompanyNumber("+15550121", "Bob Jones", 15),
                               CompanyNumber("+15550122", "Bob Jones", 15,
                                             fallback="Manny Diaz")))
OFFICE = WeeklySchedule.from_dict({"days": "mon-fri", "hours": ["09:00-12:59",
                                                                 "14:00-17:59"]})
ALWAYS = WeeklySchedule.always()
GREETING = Prompt("welcome")


def d(kind, target):
    return Direction(kind, target)


def block(timeout, *directions):
    return BlockSpec(tuple(directions), timeout)


def sip(login, who):
    return Target("sip", login, who)


def catalog(*schemes, routes=None, directory=DIRECTORY, menus=()):
    return Catalog(directory, {s.name: s for s in schemes}, {m.name: m for m in menus}, {},
                   routes if routes is not None else {SALES: d("scheme", schemes[0].name)})


def table(program):
    return fallback_table([program], "carrier", "Europe/Berlin")


def test_given_two_in_parallel_then_a_backup_block_when_computed_then_the_dialplan_rings_them_so():
    s = Scheme("Sales", "parallel", (Branch("office", OFFICE, (
        block(20, d("employee", "Manny Diaz"), d("employee", "Mona Lee")),
        block(15, d("employee", "Bob Jones")))),))
    program = fallback_program(catalog(s), SALES)
    assert [r.rings for r in program.rules] == [(
        Ring((sip("manny", "Manny Diaz"), sip("mona", "Mona Lee"), sip("mona-pc", "Mona Lee")),
             20),
        Ring((sip("bob", "Bob Jones"), Target("phone", "+15550177", "Bob Jones")), 15))]
    assert program.backup == Ring((Target("phone", "+15550199"),), 25)
    assert table(program) == {
        "zone": "Europe/Berlin",
        f"{SALES}/1/hours": "09:00-12:59&14:00-17:59,mon-fri",
        f"{SALES}/1/ring1": "PJSIP/manny&PJSIP/mona&PJSIP/mona-pc,20",
        f"{SALES}/1/ring2": "PJSIP/bob&PJSIP/+15550177@carrier,15",
        f"{SALES}/backup": "PJSIP/+15550199@carrier,25"}


def test_given_a_sequential_scheme_when_computed_then_one_ring_per_direction_each_its_timeout():
    s = Scheme("Sales", "sequential", (Branch("all", ALWAYS, (
        block(10, d("sip_account", "manny"), d("department", "Sales")),
        block(30, d("phone_number", "+15550188")))),))
    rings = fallback_program(catalog(s), SALES).rules[0].rings
    assert [(dial_all(r.targets, "carrier"), r.timeout) for r in rings] == [
        ("PJSIP/manny", 10), ("PJSIP/manny&PJSIP/mona&PJSIP/mona-pc", 10),
        ("PJSIP/+15550188@carrier", 30)]
    assert hours(ALWAYS) == "00:00-23:59,mon-sun"


def test_given_branches_by_schedule_when_computed_then_one_rule_each_in_order():
    weekend = WeeklySchedule.from_dict({"days": ["sat", "sun", "mon"], "hours": ["10:00-14:00"]})
    s = Scheme("Sales", "sequential", (
        Branch("office", OFFICE, (block(20, d("employee", "Manny Diaz")),)),
        Branch("weekend", weekend, (block(20, d("employee", "Mona Lee")),)),
        Branch("night", ALWAYS, (block(20, d("employee", "Bob Jones")),))))
    keys = table(fallback_program(catalog(s), SALES))
    assert [keys[f"{SALES}/{n}/hours"] for n in (1, 2, 3)] == [
        "09:00-12:59&14:00-17:59,mon-fri", "10:00-14:00,mon&sat-sun", "00:00-23:59,mon-sun"]
    assert [keys[f"{SALES}/{n}/ring1"] for n in (1, 2, 3)] == [
        "PJSIP/manny,20", "PJSIP/mona&PJSIP/mona-pc,20", "PJSIP/bob&PJSIP/+15550177@carrier,20"]


def test_given_menus_and_offline_people_when_computed_then_what_needs_the_daemon_is_left_out():
    menu = IvrMenu("Main", GREETING, (("1", d("employee", "Bob Jones")),))
    s = Scheme("Sales", "sequential", (
        Branch("office", OFFICE, (block(30, d("ivr", "Main")),
                                  block(20, d("employee", "Manny Diaz"),
                                        d("employee", "Mona Lee")))),
        Branch("closed", ALWAYS, (block(30, d("ivr", "Main")),))))
    directory = replace(DIRECTORY, employees=(replace(MONA, online=False), MANNY, BOB))
    program = fallback_program(catalog(s, directory=directory, menus=[menu]), SALES)
    assert [r.rings for r in program.rules] == [(Ring((sip("manny", "Manny Diaz"),), 20),), ()]
    keys = table(program)
    assert f"{SALES}/2/hours" in keys and f"{SALES}/2/ring1" not in keys  # straight to backup


def test_given_a_scheme_that_rings_another_when_computed_then_its_branches_become_rules():
    support = Scheme("Support", "sequential", (
        Branch("mornings", WeeklySchedule.from_dict({"hours": ["08:00-11:59"]}),
               (block(10, d("employee", "Mona Lee")),)),))
    s = Scheme("Sales", "sequential", (Branch("office", OFFICE, (
        block(20, d("employee", "Manny Diaz"), d("scheme", "Support")),)),))
    cat = catalog(s, support)
    program = fallback_program(cat, SALES)
    assert [(hours(r.schedule), len(r.rings)) for r in program.rules] == [
        ("09:00-11:59,mon-fri", 2), ("09:00-12:59&14:00-17:59,mon-fri", 1)]


def test_given_nested_schemes_and_overlaps_when_walked_any_minute_then_it_rings_as_the_daemon():
    """Over the whole week, every 20 minutes: the first rule holding the minute (as the
    dialplan picks it) rings exactly what the daemon's planner rings then."""
    late = WeeklySchedule.from_dict({"days": "mon-sat", "hours": ["16:00-21:59"]})
    support = Scheme("Support", "parallel", (
        Branch("mornings", WeeklySchedule.from_dict({"hours": ["08:00-11:59"]}),
               (block(10, d("employee", "Mona Lee"), d("employee", "Bob Jones")),)),
        Branch("late", late, (block(12, d("phone_number", "+15550166")),))))
    night = Scheme("Night", "sequential", (Branch("always", ALWAYS, (
        block(30, d("scheme", "Support"), d("phone_number", "+15550155")),)),))
    s = Scheme("Sales", "sequential", (
        Branch("office", OFFICE, (block(20, d("employee", "Manny Diaz"),
                                            d("scheme", "Support")),)),
        Branch("rest", ALWAYS, (block(25, d("scheme", "Night")),))))
    cat = catalog(s, support, night)
    rules = fallback_program(cat, SALES).rules
    tz = "Europe/Berlin"
    monday = datetime(2026, 11, 23, tzinfo=ZoneInfo(tz))
    for step in range(7 * 72):
        at = monday + timedelta(minutes=20 * step)
        minute = minute_of_week(at, tz)
        rule = next(r for r in rules if r.schedule.contains_minute(minute))
        assert rule.rings == plan_call("Sales", cat, ALL_REACHABLE, at, tz).ring_steps, at


def test_given_numbers_without_a_scheme_when_computed_then_employee_then_its_fallback():
    cat = catalog(routes={})
    plain = fallback_program(cat, "+15550121")
    assert table(plain) == {"zone": "Europe/Berlin", "+15550121/1/hours": "00:00-23:59,mon-sun",
                            "+15550121/1/ring1": "PJSIP/bob&PJSIP/+15550177@carrier,15"}
    backed = table(fallback_program(cat, "+15550122"))
    assert backed["+15550122/backup"] == "PJSIP/manny,15"
    assert fallback_program(cat, "+15550999") is None


def test_given_a_number_served_by_a_menu_when_computed_then_only_its_backup_rings():
    menu = IvrMenu("Main", GREETING, (("1", d("employee", "Bob Jones")),))
    cat = catalog(routes={SALES: d("ivr", "Main")}, menus=[menu])
    assert table(fallback_program(cat, SALES)) == {
        "zone": "Europe/Berlin", f"{SALES}/backup": "PJSIP/+15550199@carrier,25"}
