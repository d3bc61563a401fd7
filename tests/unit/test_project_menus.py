"""Menus (`menus:`), voicemail boxes (`voicemail:`) and numbers served by them
(`assignments:`) in the project document: imported through the same services as the CLI,
menus and schemes leading to each other, every refusal naming file and line and changing
nothing."""
from __future__ import annotations

import json

import pytest
import yaml

from tests.support import audio as gen

from .test_project_yaml import DEMO, cfg, run  # noqa: F401 - cfg is a fixture

ALWAYS = {"days": "mon-sun", "hours": ["00:00-23:59"]}


def company(**sections) -> dict:
    """Two people, a department, two numbers; then the given sections."""
    return {
        "departments": [{"name": "Sales", "extension": "200"}],
        "employees": [
            {"full_name": "Alice Smith", "email": "alice@example.com", "extension": "101",
             "department": "Sales"},
            {"full_name": "Bob Jones", "email": "bob@example.com", "extension": "102"}],
        "numbers": [{"number": "+15550100", "employee": "Alice Smith"},
                    {"number": "+15550101", "employee": "Bob Jones"}],
        **sections}


MAIN = {"name": "Main", "greeting": {"asterisk": "hello-world"},
        "options": {1: {"scheme": "Day"}, 2: {"employee": "Bob Jones"},
                    0: {"voicemail": "General"}, "*": "repeat"}}
GENERAL = {"name": "General", "notify": [{"employee": "Alice Smith"}]}
# Day's evening branch goes back to the menu: the menu and the scheme lead to each other.
DAY = {"name": "Day", "kind": "sequential", "branches": [
    {"name": "day", "schedule": {"days": "mon-fri", "hours": ["09:00-17:59"]},
     "blocks": [{"timeout": 20, "directions": [{"department": "Sales"}]}]},
    {"name": "evening", "schedule": ALWAYS, "off_hours": True,
     "blocks": [{"timeout": 60, "directions": [{"ivr": "Main"}]}]}]}
CYCLE = company(voicemail=[GENERAL], menus=[MAIN], schemes=[DAY],
                assignments={"+15550100": {"ivr": "Main"}, "+15550101": "Day"})


def imported(cfg, capsys, tmp_path, doc, *flags, name="project.yaml"):
    path = tmp_path / name
    path.write_text(doc if isinstance(doc, str) else yaml.safe_dump(doc, sort_keys=False))
    return run(capsys, "project", "import", str(path), *flags, "-c", cfg)


def exported(cfg, capsys) -> dict:
    code, out, _ = run(capsys, "project", "export", "-c", cfg)
    assert code == 0
    return yaml.safe_load(out)


def refused(cfg, capsys, tmp_path, doc, *flags) -> str:
    before = run(capsys, "project", "export", "-c", cfg)[1]
    code, out, err = imported(cfg, capsys, tmp_path, doc, *flags)
    assert (code, out) == (2, ""), err
    assert "import refused, nothing changed" in err and "Traceback" not in err
    assert run(capsys, "project", "export", "-c", cfg)[1] == before
    return err


def test_given_a_menu_and_a_scheme_leading_to_each_other_when_imported_then_both_saved(
        cfg, capsys, tmp_path):
    code, out, err = imported(cfg, capsys, tmp_path, CYCLE)

    assert (code, err) == (0, "")
    assert {"+ voicemail General", "+ menus Main", "+ schemes Day",
            "~ assignments +15550100: None -> {'ivr': 'Main'}",
            "~ assignments +15550101: None -> 'Day'"} <= set(out.splitlines())
    doc = exported(cfg, capsys)
    assert doc["menus"] == [{"name": "Main", "greeting": {"asterisk": "hello-world"},
                             "options": {"0": {"voicemail": "General"}, "1": {"scheme": "Day"},
                                         "2": {"employee": "Bob Jones"}, "*": "repeat"},
                             "digit_timeout": 5, "retries": 2, "ring_timeout": 30}]
    assert doc["voicemail"] == [{"name": "General", "max_seconds": 120,
                                 "silence_seconds": 10,
                                 "notify": [{"employee": "Alice Smith"}]}]
    assert doc["assignments"] == {"+15550100": {"ivr": "Main"}, "+15550101": "Day"}
    code, out, _ = run(capsys, "menus", "show", "Main", "-c", cfg)
    assert "used_by:\n- number +15550100 is served by it\n- scheme 'Day', branch 'evening', " \
           "block 1" in out


def test_given_the_cycle_when_exported_and_imported_again_then_no_changes(cfg, capsys,
                                                                           tmp_path):
    imported(cfg, capsys, tmp_path, CYCLE)
    first = run(capsys, "project", "export", "-c", cfg)[1]

    code, out, _ = imported(cfg, capsys, tmp_path, first, name="again.yaml")

    assert (code, out.strip()) == (0, "no changes")
    assert run(capsys, "project", "export", "-c", cfg)[1] == first


def test_given_both_ends_of_the_cycle_changed_when_imported_then_both_are_replaced(
        cfg, capsys, tmp_path):
    imported(cfg, capsys, tmp_path, CYCLE)
    doc = exported(cfg, capsys)
    doc["menus"][0]["options"]["2"] = {"employee": "Alice Smith"}
    doc["schemes"][0]["branches"][1]["blocks"][0]["timeout"] = 90

    code, out, err = imported(cfg, capsys, tmp_path, doc)

    assert (code, err) == (0, "")
    assert [line for line in out.splitlines() if line[0] in "+-~"] == [
        "~ menus Main", "~ schemes Day"]
    assert exported(cfg, capsys) == doc


def test_given_a_number_moved_from_a_menu_to_a_box_when_imported_then_served_by_the_box(
        cfg, capsys, tmp_path):
    imported(cfg, capsys, tmp_path, CYCLE)

    code, out, _ = imported(cfg, capsys, tmp_path, {"assignments": {
        "+15550100": {"voicemail": "General"}, "+15550101": None}})

    assert code == 0 and out.splitlines() == [
        "~ assignments +15550100: {'ivr': 'Main'} -> {'voicemail': 'General'}",
        "~ assignments +15550101: 'Day' -> None"]
    assert exported(cfg, capsys)["assignments"] == {"+15550100": {"voicemail": "General"}}
    listed = json.loads(run(capsys, "voicemail", "list", "--json", "-c", cfg)[1])
    assert listed == [{"name": "General", "numbers": ["+15550100"]}]


def test_given_a_menu_playing_a_prompt_of_the_same_document_when_imported_then_it_plays_it(
        cfg, capsys, tmp_path):
    (tmp_path / "hello.wav").write_bytes(gen.wav(freq=700))
    menu = {**MAIN, "greeting": "Hello", "options": {1: {"employee": "Bob Jones"}}}
    doc = company(prompts=[{"name": "Hello", "file": "hello.wav"}], menus=[menu])

    code, out, err = imported(cfg, capsys, tmp_path, doc)

    assert (code, err) == (0, "")
    assert out.index("+ prompts Hello") < out.index("+ menus Main")
    code, _, err = run(capsys, "prompts", "delete", "Hello", "-c", cfg)
    assert code == 2 and "still used: menu 'Main'" in err


def test_given_the_menus_section_left_out_when_imported_then_menus_stay(cfg, capsys,
                                                                        tmp_path):
    imported(cfg, capsys, tmp_path, CYCLE)
    code, out, _ = imported(cfg, capsys, tmp_path, {"departments": CYCLE["departments"]})
    assert (code, out.strip()) == (0, "no changes")
    assert [m["name"] for m in exported(cfg, capsys)["menus"]] == ["Main"]


def test_given_an_extra_menu_when_pruned_then_only_that_one_goes(cfg, capsys, tmp_path):
    other = {"name": "Other", "greeting": {"default": "ivr-timeout"},
             "options": {1: "hangup"}}
    imported(cfg, capsys, tmp_path, {**CYCLE, "menus": [MAIN, other]})
    code, out, _ = imported(cfg, capsys, tmp_path, {"menus": [MAIN]})
    assert out.splitlines() == ["= menus kept, not in the document (--prune deletes them): "
                                "Other"]

    code, out, _ = imported(cfg, capsys, tmp_path, {"menus": [MAIN]}, "--prune")

    assert (code, out.splitlines()) == (0, ["- menus Other"])
    assert [m["name"] for m in exported(cfg, capsys)["menus"]] == ["Main"]


# ---- refusals: file and line, nothing changed ----------------------------------------------

def test_given_a_menu_naming_someone_unknown_when_imported_then_refused_at_its_line(
        cfg, capsys, tmp_path):
    imported(cfg, capsys, tmp_path, company())
    menu = {**MAIN, "options": {1: {"employee": "Nobody"}, 2: {"voicemail": "Nope"}}}

    err = refused(cfg, capsys, tmp_path, company(menus=[menu]))

    assert "project.yaml, line 18: menus[0] ('Main'): menu 'Main': option '1': direction " \
           "employee 'Nobody': no such employee" in err
    assert "menu 'Main': option '2': direction voicemail 'Nope': no such voicemail box" in err


def test_given_a_menu_with_a_prompt_nobody_uploaded_when_imported_then_refused(
        cfg, capsys, tmp_path):
    err = refused(cfg, capsys, tmp_path, company(menus=[{**MAIN, "greeting": "Nope",
                                                         "options": {1: "hangup"}}]))
    assert "menus[0] ('Main'): menu 'Main': prompt 'Nope': no such prompt (upload it first" \
        in err


def test_given_a_kept_scheme_walking_a_pruned_menu_when_imported_then_refused_naming_it(
        cfg, capsys, tmp_path):
    imported(cfg, capsys, tmp_path, CYCLE)
    doc = exported(cfg, capsys)
    doc["menus"] = []
    doc["assignments"]["+15550100"] = None

    err = refused(cfg, capsys, tmp_path, doc, "--prune")

    assert "schemes[0] ('Day'): scheme 'Day', branch 'evening', block 1: direction ivr " \
           "'Main': no such IVR menu" in err


def test_given_a_pruned_menu_still_serving_a_number_when_imported_then_refused(
        cfg, capsys, tmp_path):
    imported(cfg, capsys, tmp_path, CYCLE)
    doc = exported(cfg, capsys)
    doc["menus"] = []
    del doc["schemes"]  # kept as they are: Day walks the menu too

    err = refused(cfg, capsys, tmp_path, doc, "--prune")

    assert "assignments.+15550100: number +15550100: direction ivr 'Main': no such IVR menu" \
        in err


def test_given_a_pruned_employee_a_kept_menu_names_when_imported_then_refused_naming_it(
        cfg, capsys, tmp_path):
    imported(cfg, capsys, tmp_path, CYCLE)
    doc = exported(cfg, capsys)
    doc["employees"] = doc["employees"][:1]
    doc["numbers"][1]["employee"] = "Alice Smith"

    err = refused(cfg, capsys, tmp_path, doc, "--prune")

    assert "employee 'Bob Jones': usages: still used and cannot be detached: menu 'Main', " \
           "option '2' names it" in err


@pytest.mark.parametrize("section, entries, message", [
    ("menus", [MAIN, {**MAIN, "name": "MAIN"}],
     "menus[1] ('MAIN'): IVR menu 'MAIN' is given twice: also at "),
    ("voicemail", [GENERAL, {"name": "general "}],
     "voicemail[1] ('general'): voicemail box 'general' is given twice: also at "),
    ("menus", {"name": "Main"}, "menus: must be a list (write [] for none)"),
    ("voicemail", [{**GENERAL, "max_seconds": 0}],
     "line 18: voicemail[0]: voicemail box 'General': key 'max_seconds': 0 must be a whole "
     "number of seconds from 1 to 600"),
    ("menus", [{**MAIN, "greeting": {"default": "nope"}}],
     "menus[0]: IVR menu 'Main': prompt {default: 'nope'}: no such default sound"),
])
def test_given_a_bad_menus_or_voicemail_section_when_imported_then_refused_naming_where(
        cfg, capsys, tmp_path, section, entries, message):
    assert message in refused(cfg, capsys, tmp_path, company(**{section: entries}))


@pytest.mark.parametrize("served, message", [
    ({"webhook": "W"}, "assignments.+15550100: write a scheme's name, or one of {ivr: NAME}, "
                       "{voicemail: NAME}, {queue: NAME} (or null for nothing), got "
                       "{'webhook': 'W'}"),
    ({"queue": "Q"}, "assignments.+15550100: number +15550100: queue 'Q': no such queue"),
    ({"ivr": "Nope"}, "assignments.+15550100: number +15550100: IVR menu 'Nope': no such "
                      "IVR menu"),
    ({"ivr": "Main", "voicemail": "General"}, "assignments.+15550100: write a scheme's name"),
    (["Main"], "assignments.+15550100: write a scheme's name"),
])
def test_given_a_bad_assignment_when_imported_then_refused_at_its_line(
        cfg, capsys, tmp_path, served, message):
    err = refused(cfg, capsys, tmp_path, {**CYCLE, "assignments": {"+15550100": served}})
    assert message in err and "project.yaml, line " in err


def test_given_the_demo_when_a_scheme_is_also_written_as_a_mapping_then_the_same(
        cfg, capsys, tmp_path):
    run(capsys, "project", "import", str(DEMO), "-c", cfg)
    text = DEMO.read_text().replace("  '+15550100': Sales", "  '+15550100': {scheme: Sales}")
    code, out, _ = imported(cfg, capsys, tmp_path, text)
    assert (code, out.strip()) == (0, "no changes")
