"""`callctl schemes ...` and `callctl simulate`, run in-process against a real database.

The directory is the seed's recipe 1, a small sales team: manager 1 (Mia) for T s, then
manager 2 (Max), then the head's mobile through the trunk; Saturdays only the mobile.
"""
import sys
from types import SimpleNamespace

import pytest

from callctl.cli import main
from callctl.project.services import build_services
from callctl.store.db import make_engine, sessions, upgrade

SALES_TEAM = """\
name: Sales team
kind: sequential
branches:
- name: weekdays
  schedule: {days: mon-fri, hours: ['09:00-18:00']}
  blocks:
  - timeout: 15
    directions:
    - employee: Mia Park
    - employee: Max Stone
    - phone_number: '+15550199'
- name: weekend
  schedule: {days: sat, hours: ['10:00-14:00']}
  blocks:
  - timeout: 30
    directions:
    - phone_number: '+15550199'
"""
THURSDAY = "2026-11-26 10:30"
SATURDAY = "2026-11-28 11:00"


@pytest.fixture
def env(tmp_path, database_url):
    url = database_url
    config = tmp_path / "callctl.yaml"
    config.write_text(f"ari: {{password: secret}}\nami: {{secret: secret}}\n"
                      f"database: {{url: '{url}'}}\nproject: {{timezone: Europe/Berlin}}\n")
    upgrade(url)
    d = build_services(sessions(make_engine(url))).directory
    d.add_department("Sales", "200")
    d.add_employee("Mia Park", "mia@example.com", "101", department="Sales")
    d.add_employee("Max Stone", "max@example.com", "102", department="Sales")
    for login, owner in (("mia", "Mia Park"), ("max", "Max Stone")):
        d.add_sip_account(employee=owner, login=login)
        d.set_registration(login, "online")
    d.add_number("+15550100", "Mia Park", fallback="Max Stone")
    d.add_number("+15550101", "Max Stone")
    (tmp_path / "sales.yaml").write_text(SALES_TEAM)
    return SimpleNamespace(config=str(config), directory=d, path=tmp_path)


def run(env, capsys, *args):
    """(exit code, stdout, stderr) of `callctl ARGS -c CONFIG`."""
    capsys.readouterr()
    code = main([*args, "-c", env.config])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def sales(env, capsys):
    assert run(env, capsys, "schemes", "add", str(env.path / "sales.yaml"))[0] == 0
    assert run(env, capsys, "schemes", "assign", "+15550100", "Sales team")[0] == 0
    return env


def simulate(env, capsys, at, *extra):
    code, out, err = run(env, capsys, "simulate", "--number", "+15550100", "--caller",
                         "+4930555", "--at", at, *extra)
    assert (code, err) == (0, "")
    return out


# ---- schemes --------------------------------------------------------------------------

def test_given_a_scheme_file_when_added_then_saved_with_its_gaps_listed(env, capsys):
    code, out, _ = run(env, capsys, "schemes", "add", str(env.path / "sales.yaml"))
    assert code == 0
    assert out.splitlines()[0] == "scheme 'Sales team' saved (sequential, 2 branches)"
    assert "Sat 14:01–23:59 uncovered" in out.splitlines()


def test_given_schemes_when_listed_then_a_table_and_json(sales, capsys):
    assert run(sales, capsys, "schemes", "list")[1] == (
        "NAME        KIND        BRANCHES  NUMBERS\n"
        "Sales team  sequential  2         +15550100\n")
    code, out, _ = run(sales, capsys, "schemes", "list", "--json")
    assert out.replace(" ", "").replace("\n", "") == (
        '[{"name":"Salesteam","kind":"sequential","branches":2,"numbers":["+15550100"]}]')


def test_given_a_scheme_when_shown_then_yaml_with_its_numbers(sales, capsys):
    out = run(sales, capsys, "schemes", "show", "Sales team")[1]
    assert out.startswith("name: Sales team\nkind: sequential\nbranches:\n- name: weekdays\n")
    assert out.endswith("# numbers: +15550100\n")


def test_given_an_existing_name_when_added_again_then_exit_2_and_nothing_changes(sales,
                                                                                   capsys):
    before = run(sales, capsys, "schemes", "show", "Sales team")[1]
    (sales.path / "other.yaml").write_text(SALES_TEAM.replace("timeout: 15", "timeout: 20"))
    code, out, err = run(sales, capsys, "schemes", "add", str(sales.path / "other.yaml"))
    assert (code, out) == (2, "")
    assert err == ("callctl: refused, nothing changed: scheme 'Sales team': a scheme with this "
                   "name already exists (save it with replace to overwrite it)\n")
    assert run(sales, capsys, "schemes", "show", "Sales team")[1] == before
    assert run(sales, capsys, "schemes", "add", str(sales.path / "other.yaml"),
               "--replace")[1].startswith("scheme 'Sales team' replaced")


def test_given_a_scheme_with_problems_when_added_then_every_problem_on_its_own_line(env,
                                                                                     capsys):
    (env.path / "bad.yaml").write_text(SALES_TEAM.replace("Max Stone", "Nobody")
                                       .replace("10:00-14:00", "18:01-08:59"))
    code, out, err = run(env, capsys, "schemes", "add", str(env.path / "bad.yaml"))
    assert (code, out) == (2, "")
    # A schedule that cannot be read stops before names are checked: one line.
    assert err == ("callctl: refused, nothing changed: "
                   "scheme 'Sales team', branch 'weekend': key 'schedule': 18:01–08:59 "
                   "crosses midnight: split it into 18:01–23:59 and 00:00–08:59\n")
    (env.path / "bad.yaml").write_text(SALES_TEAM.replace("Max Stone", "Nobody")
                                       .replace("timeout: 30", "timeout: 0"))
    err = run(env, capsys, "schemes", "add", str(env.path / "bad.yaml"))[2]
    assert err == ("callctl: refused, nothing changed:\n"
                   "  scheme 'Sales team', branch 'weekdays', block 1: direction employee "
                   "'Nobody': no such employee\n"
                   "  scheme 'Sales team', branch 'weekend', block 1: timeout 0 s: must be "
                   "between 1 and 600\n")
    assert run(env, capsys, "schemes", "list", "--json")[1] == "[]\n"


def test_given_broken_yaml_when_added_then_exit_2_with_the_line(env, capsys):
    (env.path / "broken.yaml").write_text("name: [unclosed\n")
    code, _, err = run(env, capsys, "schemes", "add", str(env.path / "broken.yaml"))
    assert code == 2 and "broken.yaml: line 2, column 1: not valid YAML" in err


def test_given_a_scheme_when_copied_then_both_exist_and_the_copy_has_no_numbers(sales,
                                                                                  capsys):
    code, out, _ = run(sales, capsys, "schemes", "copy", "Sales team", "Sales backup")
    assert (code, out) == (0, "scheme 'Sales team' copied to 'Sales backup' "
                              "(no numbers assigned yet)\n")
    original = run(sales, capsys, "schemes", "show", "Sales team")[1]
    copy = run(sales, capsys, "schemes", "show", "Sales backup")[1]
    assert copy == original.replace("name: Sales team", "name: Sales backup") \
        .replace("# numbers: +15550100", "# numbers: none")


def test_given_an_assigned_scheme_when_deleted_then_refused_unless_forced(sales, capsys):
    code, _, err = run(sales, capsys, "schemes", "delete", "Sales team")
    assert code == 2
    assert err == ("callctl: refused, nothing changed: scheme 'Sales team': still used: number "
                   "+15550100 is assigned it (delete with force to detach the numbers)\n")
    assert run(sales, capsys, "schemes", "delete", "Sales team", "--force")[1] == (
        "scheme 'Sales team' deleted\ndetached: number +15550100: scheme cleared\n")
    assert run(sales, capsys, "schemes", "list", "--json")[1] == "[]\n"


def test_given_a_missing_number_or_scheme_when_assigning_then_exit_2(sales, capsys):
    assert run(sales, capsys, "schemes", "assign", "+15559999", "Sales team")[2] == (
        "callctl: refused, nothing changed: number '+15559999': not a company number\n")
    assert run(sales, capsys, "schemes", "assign", "+15550101", "Gone")[2] == (
        "callctl: refused, nothing changed: scheme 'Gone': no such scheme\n")
    assert run(sales, capsys, "schemes", "show", "Gone")[:3:2] == (
        2, "callctl: scheme 'Gone': no such scheme\n")


def test_given_an_assigned_number_when_unassigned_then_it_rings_its_employee(sales, capsys):
    assert run(sales, capsys, "schemes", "unassign", "+15550100")[1] == (
        "number +15550100: scheme 'Sales team' detached; it rings its employee target\n")
    assert run(sales, capsys, "schemes", "unassign", "42")[:3:2] == (
        2, "callctl: refused, nothing changed: number '42': not a company number\n")


def test_given_a_scheme_when_coverage_asked_then_gaps_as_ranges_and_a_png(sales, capsys):
    png = sales.path / "coverage.png"
    code, out, _ = run(sales, capsys, "schemes", "coverage", "Sales team", "--png", str(png))
    assert code == 0
    assert out.splitlines() == [
        *[f"{day} {gap} uncovered" for day in ("Mon", "Tue", "Wed", "Thu", "Fri")
          for gap in ("00:00–08:59", "18:01–23:59")],
        "Sat 00:00–09:59 uncovered", "Sat 14:01–23:59 uncovered", "Sun 00:00–23:59 uncovered",
        f"picture written to {png}"]
    assert png.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")


def test_given_no_matplotlib_when_a_picture_asked_then_a_clear_message_and_no_file(
        sales, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)  # as if not installed
    monkeypatch.delitem(sys.modules, "callctl.schemes.coverage_png", raising=False)
    png = sales.path / "coverage.png"
    code, out, err = run(sales, capsys, "schemes", "coverage", "Sales team", "--png", str(png))
    assert code == 2 and out == "" and not png.exists()
    assert err.startswith("callctl: --png needs matplotlib") and "callctl[plot]" in err


def test_given_a_full_week_scheme_when_coverage_asked_then_everything_is_covered(env, capsys):
    (env.path / "always.yaml").write_text(
        "name: Always\nkind: parallel\nbranches:\n- name: all\n  blocks:\n"
        "  - {timeout: 20, directions: [{department: Sales}]}\n"
        "- name: late\n  schedule: {days: fri, hours: ['17:00-23:59']}\n  blocks:\n"
        "  - {timeout: 20, directions: [{employee: Max Stone}]}\n")
    run(env, capsys, "schemes", "add", str(env.path / "always.yaml"))
    assert run(env, capsys, "schemes", "coverage", "Always")[1] == (
        "every minute of the week is covered\n"
        "note: branches 'all' and 'late' overlap on Fri 17:00–23:59: 'all' takes those calls\n")


# ---- simulate -------------------------------------------------------------------------

def test_given_recipe_1_on_a_weekday_when_simulated_then_managers_then_mobile(sales, capsys):
    assert simulate(sales, capsys, THURSDAY) == """\
call from +4930555 to +15550100 at Thu 2026-11-26 10:30 (Europe/Berlin)
scheme 'Sales team' (sequential), call at Thu 2026-11-26 10:30 (Europe/Berlin)
branch 'weekdays' chosen: Mon–Fri 09:00–18:00 contains Thu 10:30
block 1, 15 s each, one by one:
  step 1: employee 'Mia Park' rings SIP mia for 15 s
  step 2: employee 'Max Stone' rings SIP max for 15 s
  step 3: phone_number '+15550199' rings phone +15550199 for 15 s
then the caller hears asterisk 'vm-nobodyavail' (not answered) and the call ends as missed
"""


def test_given_recipe_1_on_a_saturday_when_simulated_then_only_the_mobile(sales, capsys):
    assert simulate(sales, capsys, SATURDAY) == """\
call from +4930555 to +15550100 at Sat 2026-11-28 11:00 (Europe/Berlin)
scheme 'Sales team' (sequential), call at Sat 2026-11-28 11:00 (Europe/Berlin)
branch 'weekdays' (Mon–Fri 09:00–18:00) does not cover Sat 11:00
branch 'weekend' chosen: Sat 10:00–14:00 contains Sat 11:00
block 1, 30 s:
  step 1: phone_number '+15550199' rings phone +15550199 for 30 s
then the caller hears asterisk 'vm-nobodyavail' (not answered) and the call ends as missed
"""


def test_given_an_unregistered_phone_and_an_offline_employee_when_simulated_then_skipped(
        sales, capsys):
    sales.directory.set_registration("mia", "offline")
    sales.directory.edit_employee("Max Stone", online=False)
    lines = simulate(sales, capsys, THURSDAY).splitlines()
    assert lines[4:7] == ["  skip employee 'Mia Park': SIP mia not registered",
                          "  skip employee 'Max Stone': offline",
                          "  step 1: phone_number '+15550199' rings phone +15550199 "
                          "for 15 s"]
    assert "step 2: employee 'Max Stone' rings SIP max for 15 s" in \
        simulate(sales, capsys, THURSDAY, "--assume-all-reachable")


def test_given_a_sticky_employee_when_simulated_then_they_ring_first(sales, capsys):
    lines = simulate(sales, capsys, THURSDAY, "--sticky-employee", "Max Stone").splitlines()
    assert lines[3:6] == [
        "sticky: step 1: Max Stone talked to this caller today: rings SIP max for 15 s; not "
        "rung again later",
        "block 1, 15 s each, one by one:",
        "  step 2: employee 'Mia Park' rings SIP mia for 15 s"]


def test_given_an_uncovered_minute_when_simulated_then_the_fallback_is_named(sales, capsys):
    assert simulate(sales, capsys, "2026-11-28 19:05").splitlines()[-2:] == [
        "no branch of 'Sales team' covers Sat 19:05: the call goes to the number's fallback",
        "fallback: Max Stone (PJSIP/max)"]


def test_given_a_number_without_scheme_when_simulated_then_its_employee_rings(env, capsys):
    assert simulate(env, capsys, THURSDAY) == (
        "call from +4930555 to +15550100 at Thu 2026-11-26 10:30 (Europe/Berlin)\n"
        "number +15550100 rings Mia Park: step 1: rings SIP mia for 30 s\n"
        "then the caller hears asterisk 'vm-nobodyavail' (not answered) and the call ends as "
        "missed\n")


def test_given_not_a_company_number_when_simulated_then_not_in_service(env, capsys):
    code, out, _ = run(env, capsys, "simulate", "--number", "+15559999", "--caller",
                       "+15557654321", "--at", THURSDAY)
    assert (code, out.splitlines()[-1]) == (0, "+15559999 is not a company number: the caller "
                                               "hears asterisk 'ss-noservice' (not answered) "
                                               "and the call ends")


@pytest.mark.parametrize("option, value", [("--number", ""), ("--number", "abc"),
                                           ("--caller", "\u0661\u0662\u0663")])
def test_given_a_number_that_is_not_one_when_simulated_then_exit_2(env, capsys, option, value):
    args = {"--number": "+15550100", "--caller": "+15557654321", option: value}
    code, out, err = run(env, capsys, "simulate", *[x for kv in args.items() for x in kv],
                         "--at", THURSDAY)
    assert code == 2 and out == "" and f"callctl: {option}: " in err


def test_given_a_bad_time_when_simulated_then_exit_2(env, capsys):
    code, _, err = run(env, capsys, "simulate", "--number", "+15550100", "--caller", "1",
                       "--at", "Saturday evening")
    assert code == 2
    assert err == ("callctl: --at 'Saturday evening': write it as \"YYYY-MM-DD HH:MM\" "
                   "(local time in Europe/Berlin)\n")
