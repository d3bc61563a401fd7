"""`callctl calls ...` end to end through callctl.cli.main: a config file, a real
database, the project's time zone (Berlin, UTC+1 in November) for input and output."""
import json
import subprocess
import sys
from datetime import datetime, timedelta, timezone

import pytest

from callctl.cli import main
from callctl.store.calls import CallLog
from callctl.store.db import make_engine, sessions, upgrade

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)  # 10:00 in Berlin


@pytest.fixture
def setup(tmp_path, monkeypatch, database_url):
    url = database_url
    config = tmp_path / "callctl.yaml"
    config.write_text("ari: {password: secret}\nami: {secret: secret}\n"
                      f"project: {{timezone: Europe/Berlin}}\ndatabase: {{url: '{url}'}}\n")
    monkeypatch.setenv("CALLCTL_CONFIG", str(config))
    upgrade(url)
    engine = make_engine(url)
    log = CallLog(sessions(engine))
    log.started("c1", "inbound", "+15550100", "+15557654321", T0)
    log.scheme_chosen("c1", "Sales line", "Weekdays")
    log.leg_skipped("c1", "PJSIP/ann", "Ann Lee", "offline", T0)
    log.leg_started("c1", "leg-1", "PJSIP/bob", "Bob Roe", T0)
    log.leg_ended("leg-1", "answered", T0 + timedelta(seconds=4))
    log.answered("c1", "Bob Roe", "PJSIP/bob", T0 + timedelta(seconds=4), department="Sales")
    log.ended("c1", "answered", T0 + timedelta(seconds=64))
    for i in range(2, 5):  # three missed calls, one per day
        log.started(f"c{i}", "inbound", "+15550199", "anonymous", T0 + timedelta(days=i - 1))
        log.ended(f"c{i}", "missed", T0 + timedelta(days=i - 1, seconds=20))
    yield log
    engine.dispose()


def run(capsys, *argv):
    code = main(["calls", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_given_calls_when_listed_then_a_table_in_local_time_and_the_next_cursor(setup, capsys):
    code, out, _ = run(capsys, "list", "--limit", "2")
    lines = out.splitlines()
    assert code == 0
    assert lines[0].split() == ["id", "start", "direction", "number", "caller", "answered",
                                "by", "department", "ring", "s", "talk", "s", "outcome"]
    assert lines[1].split() == ["c4", "2026-11-26", "10:00:00", "inbound", "+15550199",
                                "anonymous", "20", "missed"]
    assert lines[-1].startswith("next page: --before ")

    code, out, _ = run(capsys, "list", "--limit", "2", "--before", lines[-1].split()[-1])
    rows = out.splitlines()
    assert [r.split()[0] for r in rows[1:3]] == ["c2", "c1"] and rows[-1] == "(last page)"
    assert rows[2].split() == ["c1", "2026-11-23", "10:00:00", "inbound", "+15550100",
                               "+15557654321", "Bob", "Roe", "Sales", "4", "60", "answered"]


def test_given_filters_when_listed_as_json_then_only_matching_calls(setup, capsys):
    code, out, _ = run(capsys, "list", "--employee", "Bob Roe", "--json")
    data = json.loads(out)
    assert code == 0 and data["next_cursor"] is None
    assert [(c["id"], c["department"], c["started_at"]) for c in data["calls"]] == \
        [("c1", "Sales", "2026-11-23T10:00:00+01:00")]
    _, out, _ = run(capsys, "list", "--outcome", "missed", "--since", "2026-11-24",
                    "--until", "2026-11-25", "--json")
    assert [c["id"] for c in json.loads(out)["calls"]] == ["c3", "c2"]  # --until: whole day
    _, out, _ = run(capsys, "list", "--since", "2026-11-24 10:00", "--until",
                    "2026-11-25 10:00", "--json")
    assert [c["id"] for c in json.loads(out)["calls"]] == ["c2"]  # a time: exclusive


def test_given_a_call_when_shown_then_details_and_every_leg(setup, capsys):
    code, out, _ = run(capsys, "show", "c1")
    assert code == 0
    assert "scheme        Sales line" in out and "answered_by   Bob Roe" in out
    legs = out.split("\n\n")[1].splitlines()
    assert legs[0].split() == ["target", "employee", "rang", "from", "rang", "to", "result",
                               "reason"]
    assert legs[1].split() == ["PJSIP/ann", "Ann", "Lee", "2026-11-23", "10:00:00",
                               "2026-11-23", "10:00:00", "skipped", "offline"]
    assert legs[2].split() == ["PJSIP/bob", "Bob", "Roe", "2026-11-23", "10:00:00",
                               "2026-11-23", "10:00:04", "answered"]


def test_given_a_call_when_tagged_then_shown_with_tags_and_kept(setup, capsys):
    code, out, _ = run(capsys, "tag", "c1", "--category", "lead", "--comment", "call back")
    assert code == 0 and "category      lead" in out
    code, out, _ = run(capsys, "tag", "c1", "--value", "big", "--json")
    assert (json.loads(out)["category"], json.loads(out)["value"],
            json.loads(out)["comment"]) == ("lead", "big", "call back")


def test_given_a_period_when_reported_then_per_employee_totals(setup, capsys):
    setup.leg_started("c2", "leg-2", "PJSIP/bob", "Bob Roe", T0 + timedelta(days=1))
    setup.leg_ended("leg-2", "no_answer", T0 + timedelta(days=1, seconds=20))
    # Bob calls a customer from his desk phone: 30 s of talk.
    out_at = T0 + timedelta(days=2)
    setup.started("c9", "internal", "0301234567", "bob", out_at)
    setup.outgoing("c9", "Bob Roe", "+15550100", "+49301234567")
    setup.answered("c9", None, "PJSIP/+49301234567@carrier", out_at + timedelta(seconds=5))
    setup.ended("c9", "answered", out_at + timedelta(seconds=35))
    code, out, _ = run(capsys, "report", "--since", "2026-11-23")
    assert code == 0
    assert [line.split() for line in out.splitlines()] == [
        ["employee", "answered", "missed", "talk", "time", "outgoing", "outgoing", "talk"],
        ["Bob", "Roe", "1", "1", "0:01:00", "1", "0:00:30"]]
    code, out, _ = run(capsys, "show", "c9", "--json")
    shown = json.loads(out)
    assert (shown["direction"], shown["employee"], shown["number"], shown["caller_id"],
            shown["ring_seconds"], shown["talk_seconds"], shown["outcome"]) == \
        ("outgoing", "Bob Roe", "+49301234567", "+15550100", 5.0, 30.0, "answered")
    _, out, _ = run(capsys, "report", "--since", "2026-12-01")
    assert "(no calls in this period)" in out


@pytest.mark.parametrize("argv, message", [
    (["show", "nope"], "callctl: calls show: no call with id 'nope'"),
    (["tag", "nope", "--comment", "x"], "callctl: calls tag: no call with id 'nope'"),
    (["tag", "c1"], "give at least one of --category, --value, --comment"),
    (["tag", "c1", "--value", "v" * 65], "--value: at most 64 characters, got 65"),
    (["list", "--before", "abc"], "--before: not a cursor from a previous page"),
    (["list", "--since", "2026-11-25", "--until", "2026-11-24 08:00"],
     "--until: must be after --since"),
])
def test_given_bad_input_when_run_then_exit_2_naming_the_problem(setup, capsys, argv, message):
    code, out, err = run(capsys, *argv)
    assert code == 2 and message in err and out == ""


@pytest.mark.parametrize("argv, message", [
    (["list", "--since", "23.11.2026"], "argument --since: not a date: '23.11.2026'"),
    (["report", "--until", "2026-13-01"], "argument --until: not a date"),
    (["list", "--outcome", "lost"], "argument --outcome: invalid choice: 'lost'"),
    (["list", "--limit", "0"], "argument --limit: must be a whole number from 1 to 500"),
])
def test_given_malformed_options_when_parsed_then_exit_2_naming_the_option(setup, capsys, argv,
                                                                          message):
    with pytest.raises(SystemExit) as exit_:
        main(["calls", *argv])
    assert exit_.value.code == 2 and message in capsys.readouterr().err


def test_given_a_fresh_process_when_a_call_is_shown_then_its_legs_load(setup, capsys):
    # In one pytest process mappers are long configured; a new `callctl` process is not.
    done = subprocess.run([sys.executable, "-m", "callctl.cli", "calls", "show", "c1", "--json"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert [leg["result"] for leg in json.loads(done.stdout)["legs"]] == ["skipped", "answered"]


def test_given_a_transferred_call_when_shown_then_its_transfers_and_parties(setup, capsys):
    from callctl.store.transfers import transfer_ended, transfer_started
    transfer_started(setup, "c1", 1, "blind", "keypad", "Bob Roe", "103", "Cat Poe (103)",
                     T0 + timedelta(seconds=10))
    transfer_ended(setup, "c1", 1, "completed", T0 + timedelta(seconds=14), "Cat Poe",
                   "PJSIP/cat")
    code, out, _ = run(capsys, "show", "c1")
    assert code == 0
    transfers, parties = out.split("\n\n")[2:4]
    assert transfers.splitlines()[1].split()[:9] == [
        "1", "blind", "by", "keypad", "Bob", "Roe", "103", "Cat", "Poe"]
    assert [line.split()[-1] for line in parties.splitlines()[1:]] == ["60", "10", "50"]
    code, out, _ = run(capsys, "show", "c1", "--json")
    shown = json.loads(out)
    assert [(p["who"], p["how"]) for p in shown["parties"]] == [
        ("+15557654321", "caller"), ("Bob Roe", "answered"),
        ("Cat Poe", "transfer 1 (blind, keypad)")]
    assert shown["transfers"][0]["recipient"] == "Cat Poe"
