from dataclasses import replace
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from callctl.domain.directory import ALL_REACHABLE, Department, Directory, Employee, Presence
from callctl.domain.catalog import Catalog
from callctl.domain.flow import NOBODY_AVAILABLE, Ring, Target
from callctl.domain.planner import plan_call
from callctl.pbx.dial import dial_string
from callctl.domain.schedule import WeeklySchedule
from callctl.domain.scheme import BlockSpec, Branch, Direction, Scheme

TZ = "Europe/Berlin"
TUESDAY_10 = datetime(2026, 11, 24, 10, 15, tzinfo=ZoneInfo(TZ))
SATURDAY_19 = datetime(2026, 11, 28, 19, 5, tzinfo=ZoneInfo(TZ))
WEEKDAYS = WeeklySchedule.from_dict({"days": "mon-fri", "hours": ["09:00-18:00"]})
WEEKEND = WeeklySchedule.from_dict({"days": "sat-sun"})

MARIA = Employee("Maria Manager", "201", ("maria",), ("+15550101",), department="Sales")
MARK = Employee("Mark Manager", "202", ("mark",), ("+15550102",), department="Sales")
HELEN = Employee("Helen Head", "200", ("helen",), ("+15550199",), department="Sales")
DIRECTORY = Directory(employees=(MARIA, MARK, HELEN), departments=(Department("Sales", "600"),))
REGISTERED = Presence(frozenset({"maria", "mark", "helen"}))


def d(kind, target):
    return Direction(kind, target)


def scheme(kind, *blocks, name="Sales", schedule=WEEKDAYS, branch="Weekdays"):
    return Scheme(name, kind, (Branch(branch, schedule, tuple(blocks)),))


def plan(s, at=TUESDAY_10, directory=DIRECTORY, presence=REGISTERED, sticky=None, more=()):
    schemes = {s.name: s, **{m.name: m for m in more}}
    return plan_call(s.name, Catalog(directory, schemes), presence, at, TZ, sticky)


def dials(result):
    return [[dial_string(t, "carrier") for t in step.targets] for step in result.ring_steps]


def sip(login, employee=None):
    return Target("sip", login, employee)


def phone(number, employee=None):
    return Target("phone", number, employee)


def offline(*names):
    return Directory(employees=tuple(replace(e, online=e.name not in names)
                                     for e in DIRECTORY.employees),
                     departments=DIRECTORY.departments)


# --- seed recipes -------------------------------------------------------------------

def test_given_sales_team_sequential_when_planned_then_manager_1_then_2_then_head_mobile():
    s = scheme("sequential", BlockSpec((d("sip_account", "maria"), d("sip_account", "mark")), 20),
               BlockSpec((d("phone_number", "+15550199"),), 30))
    result = plan(s)
    assert result.ring_steps == (
        Ring((sip("maria", "Maria Manager"),), 20),
        Ring((sip("mark", "Mark Manager"),), 20),
        Ring((phone("+15550199"),), 30))
    assert result.branch == "Weekdays" and not result.uncovered
    assert result.reason == "scheme 'Sales', branch 'Weekdays'"
    assert result.format_trace() == "\n".join([
        "scheme 'Sales' (sequential), call at Tue 2026-11-24 10:15 (Europe/Berlin)",
        "branch 'Weekdays' chosen: Mon–Fri 09:00–18:00 contains Tue 10:15",
        "block 1, 20 s each, one by one:",
        "  step 1: sip_account 'maria' rings SIP maria for 20 s",
        "  step 2: sip_account 'mark' rings SIP mark for 20 s",
        "block 2, 30 s:",
        "  step 3: phone_number '+15550199' rings phone +15550199 for 30 s",
        "then the caller hears asterisk 'vm-nobodyavail' (not answered) and the call ends as missed"])


def test_given_parallel_managers_when_planned_then_all_sip_accounts_then_all_mobiles():
    s = scheme("parallel", BlockSpec((d("sip_account", "maria"), d("sip_account", "mark")), 15),
               BlockSpec((d("phone_number", "+15550101"), d("phone_number", "+15550102")), 25))
    result = plan(s)
    assert dials(result) == [["PJSIP/maria", "PJSIP/mark"],
                             ["PJSIP/+15550101@carrier", "PJSIP/+15550102@carrier"]]
    assert [b.timeout for b in result.ring_steps] == [15, 25]
    assert "block 1, 15 s, all together:" in result.trace
    assert "  -> step 1: these ring together for 15 s" in result.trace


def test_given_other_pbx_sip_account_then_backup_number_when_planned_then_uri_via_trunk():
    s = scheme("sequential", BlockSpec((d("sip_uri", "sip:300@pbx.partner.example"),), 20),
               BlockSpec((d("sip_uri", "desk@10.0.0.5:5070"), d("phone_number", "+15550150")), 20))
    assert dials(plan(s)) == [["PJSIP/carrier/sip:300@pbx.partner.example"],
                              ["PJSIP/carrier/sip:desk@10.0.0.5:5070"],
                              ["PJSIP/+15550150@carrier"]]


def _hours_scheme():
    return Scheme("Main", "sequential", (
        Branch("Weekdays", WEEKDAYS, (BlockSpec((d("employee", "Maria Manager"),), 20),)),
        Branch("Weekend", WEEKEND, (BlockSpec((d("phone_number", "+15550199"),), 40),))))


def test_given_working_hours_when_called_on_weekday_then_weekday_branch():
    result = plan(_hours_scheme())
    assert result.branch == "Weekdays"
    assert dials(result) == [["PJSIP/maria", "PJSIP/+15550101@carrier"]]


def test_given_working_hours_when_called_on_saturday_then_weekend_branch_and_why():
    result = plan(_hours_scheme(), at=SATURDAY_19)
    assert result.branch == "Weekend"
    assert dials(result) == [["PJSIP/+15550199@carrier"]]
    assert result.trace[1:3] == (
        "branch 'Weekdays' (Mon–Fri 09:00–18:00) does not cover Sat 19:05",
        "branch 'Weekend' chosen: Sat, Sun 00:00–23:59 contains Sat 19:05")


def test_given_utc_instant_when_planned_then_branch_chosen_in_project_zone():
    # Fri 17:30 UTC is Fri 18:30 in Berlin: after hours, and no weekend branch yet.
    result = plan(_hours_scheme(), at=datetime(2026, 11, 27, 17, 30, tzinfo=timezone.utc))
    assert result.uncovered


def test_given_no_branch_covers_time_when_planned_then_uncovered_with_reason():
    result = plan(scheme("sequential", BlockSpec((d("employee", "Maria Manager"),), 20)),
                  at=SATURDAY_19)
    assert result.uncovered and result.ring_steps == ()
    assert result.reason == \
        "no branch of 'Sales' covers Sat 19:05: the call goes to the number's fallback"
    assert result.trace[-2:] == (
        "branch 'Weekdays' (Mon–Fri 09:00–18:00) does not cover Sat 19:05", result.reason)


def test_given_unknown_scheme_when_planned_then_uncovered():
    result = plan_call("Ghost", Catalog(DIRECTORY), REGISTERED, TUESDAY_10, TZ)
    assert result.uncovered and result.trace == \
        ("no scheme 'Ghost': the call goes to the number's fallback",)


def test_given_offline_employee_when_planned_then_skipped_without_waiting():
    s = scheme("sequential", BlockSpec((d("employee", "Maria Manager"),
                                        d("employee", "Mark Manager")), 20))
    result = plan(s, directory=offline("Maria Manager"))
    assert dials(result) == [["PJSIP/mark", "PJSIP/+15550102@carrier"]]
    assert "  skip employee 'Maria Manager': offline" in result.trace


def test_given_block_of_only_offline_people_when_planned_then_dropped_at_once():
    s = scheme("parallel", BlockSpec((d("employee", "Maria Manager"),
                                      d("employee", "Mark Manager")), 20),
               BlockSpec((d("phone_number", "+15550199"),), 30))
    result = plan(s, directory=offline("Maria Manager", "Mark Manager"))
    assert result.ring_steps == (Ring((phone("+15550199"),), 30),)
    assert result.trace[2:6] == ("block 1, 20 s, all together:",
                                 "  skip employee 'Maria Manager': offline",
                                 "  skip employee 'Mark Manager': offline",
                                 "  -> nothing reachable: block dropped at once")


def test_given_nobody_reachable_at_all_when_planned_then_ends_missed_at_once():
    s = scheme("sequential", BlockSpec((d("sip_account", "maria"),), 20))
    result = plan(s, presence=Presence())
    assert result.ring_steps == () and not result.uncovered
    assert result.trace[-2:] == ("  skip sip_account 'maria': not registered",
                                 "then the caller hears asterisk 'vm-nobodyavail' (not answered) and the call ends as missed")


def test_given_employee_with_unregistered_phone_when_planned_then_other_contacts_ring():
    s = scheme("parallel", BlockSpec((d("employee", "Maria Manager"),), 20))
    result = plan(s, presence=Presence(frozenset({"mark"})))
    assert dials(result) == [["PJSIP/+15550101@carrier"]]
    assert "  employee 'Maria Manager' rings phone +15550101 (SIP maria not " \
           "registered)" in result.trace


def test_given_department_when_planned_then_every_reachable_member_rings():
    s = scheme("sequential", BlockSpec((d("department", "Sales"),), 25))
    result = plan(s, directory=offline("Mark Manager"), presence=Presence(frozenset({"maria"})))
    assert dials(result) == [["PJSIP/maria", "PJSIP/+15550101@carrier",
                              "PJSIP/+15550199@carrier"]]
    assert result.ring_steps[0].targets[0].employee == "Maria Manager"
    assert "Mark Manager offline; Helen Head SIP helen not registered" in result.trace[3]


def test_given_sip_account_direction_when_planned_then_owner_recorded_for_the_call_log():
    s = scheme("sequential", BlockSpec((d("sip_account", "mark"), d("sip_account", "lobby")), 20))
    result = plan(s, presence=Presence(frozenset({"mark", "lobby"})))
    assert result.ring_steps == (Ring((sip("mark", "Mark Manager"),), 20),
                                  Ring((sip("lobby", None),), 20))


def test_given_same_phone_twice_in_parallel_block_when_planned_then_rung_once():
    s = scheme("parallel", BlockSpec((d("employee", "Maria Manager"), d("department", "Sales")),
                                     20))
    assert dials(plan(s))[0] == ["PJSIP/maria", "PJSIP/+15550101@carrier", "PJSIP/mark",
                                 "PJSIP/+15550102@carrier", "PJSIP/helen",
                                 "PJSIP/+15550199@carrier"]


def test_given_sticky_employee_when_planned_then_rung_first_for_first_block_timeout():
    s = scheme("sequential", BlockSpec((d("sip_account", "maria"), d("sip_account", "mark")), 20),
               BlockSpec((d("phone_number", "+15550199"),), 30))
    result = plan(s, sticky="Mark Manager")
    assert result.ring_steps[0] == Ring((sip("mark", "Mark Manager"),
                                           phone("+15550102", "Mark Manager")), 20)
    # Rung once: the scheme's own block leaves Mark out (he rang first already).
    assert dials(result)[1:] == [["PJSIP/maria"], ["PJSIP/+15550199@carrier"]]
    assert "  skip sip_account 'mark': rung first already (sticky)" in result.trace
    assert result.trace[2] == ("sticky: step 1: Mark Manager talked to this caller today: "
                               "rings SIP mark, phone +15550102 for 20 s; not rung again "
                               "later")


def test_given_sticky_employee_offline_when_planned_then_scheme_starts_at_once():
    s = scheme("sequential", BlockSpec((d("sip_account", "maria"),), 20))
    result = plan(s, directory=offline("Mark Manager"), sticky="Mark Manager")
    assert dials(result) == [["PJSIP/maria"]]
    assert result.trace[2] == "sticky: skip 'Mark Manager': offline"


def test_given_sticky_but_time_uncovered_when_planned_then_fallback_wins():
    s = scheme("sequential", BlockSpec((d("sip_account", "maria"),), 20))
    assert plan(s, at=SATURDAY_19, sticky="Mark Manager").uncovered


def test_given_scheme_direction_when_planned_then_its_branch_inlined_in_order():
    night = Scheme("Backup", "parallel", (
        Branch("Weekend", WEEKEND, (BlockSpec((d("phone_number", "+15550000"),), 5),)),
        Branch("Always", WeeklySchedule.always(),
               (BlockSpec((d("sip_account", "helen"), d("phone_number", "+15550199")), 40),))))
    s = scheme("sequential", BlockSpec((d("sip_account", "maria"), d("scheme", "Backup"),
                                        d("sip_account", "mark")), 20))
    result = plan(s, more=(night,))
    assert dials(result) == [["PJSIP/maria"], ["PJSIP/helen", "PJSIP/+15550199@carrier"],
                             ["PJSIP/mark"]]
    assert [b.timeout for b in result.ring_steps] == [20, 40, 20]
    assert "  scheme 'Backup' (parallel): branch 'Always' (every day 00:00–23:59), walked " \
           "from its start:" in result.trace


def test_given_scheme_direction_in_parallel_block_when_planned_then_follows_block_legs():
    backup = scheme("sequential", BlockSpec((d("phone_number", "+15550199"),), 30),
                    name="Backup")
    s = scheme("parallel", BlockSpec((d("scheme", "Backup"), d("sip_account", "maria"),
                                      d("sip_account", "mark")), 20))
    assert dials(plan(s, more=(backup,))) == [["PJSIP/maria", "PJSIP/mark"],
                                              ["PJSIP/+15550199@carrier"]]


def test_given_referenced_scheme_uncovered_or_cyclic_when_planned_then_skipped_safely():
    weekend_only = scheme("sequential", BlockSpec((d("phone_number", "+15550199"),), 30),
                          name="WeekendOnly", schedule=WEEKEND)
    loop = scheme("sequential", BlockSpec((d("sip_account", "mark"), d("scheme", "Sales")), 10),
                  name="Loop")
    s = scheme("sequential", BlockSpec((d("scheme", "WeekendOnly"), d("scheme", "Loop"),
                                        d("scheme", "Missing")), 20))
    result = plan(s, more=(weekend_only, loop))
    assert dials(result) == [["PJSIP/mark"]]
    text = result.format_trace()
    assert "skip scheme 'WeekendOnly': no branch of it covers Tue 10:15" in text
    assert "skip scheme 'Sales': cyclic reference Sales -> Loop -> Sales" in text
    assert "skip scheme 'Missing': no such scheme" in text


def test_given_webhook_and_crm_directions_when_planned_then_steps_decided_at_call_time():
    from callctl.domain.remote import Manager, Webhook
    s = scheme("sequential", BlockSpec((d("webhook", "general"), d("sip_account", "maria")), 20),
               BlockSpec((d("crm_manager", "deal, lead"),), 15))
    result = plan(s)
    maria = Target("sip", "maria", "Maria Manager")
    assert result.steps[:3] == (Webhook("general", 20), Ring((maria,), 20),
                                Manager(("deal", "lead"), 15))
    assert "  step 1: ask webhook 'general' where the call goes, ring that; all within 20 s" \
        in result.trace
    assert "  step 3: look the caller up in the CRM (deal -> lead) and ring the responsible " \
           "employee; all within 15 s" in result.trace


def test_given_assume_all_reachable_when_planned_then_every_contact_rings():
    s = scheme("parallel", BlockSpec((d("employee", "Helen Head"),), 20))
    assert dials(plan(s, presence=ALL_REACHABLE)) == [["PJSIP/helen", "PJSIP/+15550199@carrier"]]


def test_given_scheme_with_music_on_hold_when_planned_then_result_says_so():
    s = replace(scheme("parallel", BlockSpec((d("sip_account", "maria"),), 20)),
                music_on_hold=True)
    assert plan(s).music_on_hold and not plan(replace(s, music_on_hold=False)).music_on_hold
