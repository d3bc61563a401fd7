"""`callctl project export|import`: the whole directory as one YAML document."""
from pathlib import Path

import pytest
import yaml

from callctl.cli import main

DEMO = Path(__file__).resolve().parents[2] / "config" / "demo-project.yaml"


@pytest.fixture
def cfg(tmp_path):
    path = tmp_path / "callctl.yaml"
    path.write_text("ari: {password: x}\nami: {secret: x}\n")
    return str(path)


def run(capsys, *args):
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_given_a_project_when_imported_and_exported_then_round_trip_is_identical(
        cfg, capsys, tmp_path):
    code, out, _ = run(capsys, "project", "import", str(DEMO), "-c", cfg)
    assert code == 0 and "+ employees Alice Smith" in out and "password" in out
    _, first, _ = run(capsys, "project", "export", "-c", cfg)
    assert first == DEMO.read_text().split("\n", 1)[1]  # the demo file, minus its comment
    exported = tmp_path / "exported.yaml"
    exported.write_text(first)
    code, out, _ = run(capsys, "project", "import", str(exported), "-c", cfg)
    assert (code, out.strip()) == (0, "no changes")
    assert run(capsys, "project", "export", "-c", cfg)[1] == first


def test_given_changes_when_dry_run_then_the_diff_is_printed_and_nothing_changes(
        cfg, capsys, tmp_path):
    run(capsys, "project", "import", str(DEMO), "-c", cfg)
    before = run(capsys, "project", "export", "-c", cfg)[1]
    changed = tmp_path / "changed.yaml"
    changed.write_text(before.replace("ring_timeout: 20", "ring_timeout: 25")
                       .replace("Bob Jones", "Bob Jonas"))
    code, out, _ = run(capsys, "project", "import", str(changed), "--dry-run", "-c", cfg)
    assert code == 0
    assert "~ numbers +15550100: ring_timeout: 20 -> 25, fallback: 'Bob Jones' -> 'Bob Jonas'" \
        in out
    assert "~ sip_accounts bob: employee: 'Bob Jones' -> 'Bob Jonas'" in out
    # Issue 16, item 8: the same e-mail is the same person: renamed, not deleted and re-added.
    assert "~ employees Bob Jones: full_name: 'Bob Jones' -> 'Bob Jonas'" in out
    assert "+ employees" not in out and "- employees" not in out
    assert "(dry run: nothing was changed)" in out
    assert run(capsys, "project", "export", "-c", cfg)[1] == before


def test_given_one_bad_entry_when_imported_then_nothing_at_all_is_applied(
        cfg, capsys, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(DEMO.read_text().replace("bob@example.com", "bob@example.ru"))
    code, _, err = run(capsys, "project", "import", str(bad), "-c", cfg)
    assert code == 2
    assert "import refused, nothing changed" in err and ".ru" in err
    assert run(capsys, "employees", "list", "--json", "-c", cfg)[1].strip() == "[]"


def test_given_an_unknown_key_when_imported_then_refused_naming_it(cfg, capsys, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("employees:\n- full_name: X\n  email: x@example.com\n  extension: '150'\n"
                   "  shoe_size: 44\n")
    code, _, err = run(capsys, "project", "import", str(bad), "-c", cfg)
    assert code == 2 and "bad.yaml, line 5: employees[0].shoe_size: unknown key" in err


# ---- schemes and assignments ride along --------------------------------------------------

def imported(cfg, capsys, tmp_path, text, *flags):
    path = tmp_path / "project.yaml"
    path.write_text(text)
    return run(capsys, "project", "import", str(path), *flags, "-c", cfg)


def test_given_the_demo_when_imported_then_its_scheme_is_saved_and_assigned(cfg, capsys):
    code, out, _ = run(capsys, "project", "import", str(DEMO), "-c", cfg)
    assert code == 0
    assert "+ schemes Sales" in out and "~ assignments +15550100: None -> 'Sales'" in out
    assert "+ voicemail General" in out and "+ menus Main" in out
    assert "~ assignments +15550101: None -> {'ivr': 'Main'}" in out
    _, listed, _ = run(capsys, "schemes", "list", "-c", cfg)
    assert listed.splitlines()[1].split() == ["Sales", "sequential", "3", "+15550100"]
    assert run(capsys, "menus", "list", "-c", cfg)[1] == "Main  numbers: +15550101\n"
    assert run(capsys, "voicemail", "list", "-c", cfg)[1] == "General  numbers: -\n"


def test_given_a_person_renamed_in_people_and_scheme_when_imported_then_both_follow(
        cfg, capsys, tmp_path):
    # The stored scheme names Bob Jones, so he can only go once the scheme has been
    # replaced: the import deletes changed schemes first and saves them after the people.
    run(capsys, "project", "import", str(DEMO), "-c", cfg)
    renamed = run(capsys, "project", "export", "-c", cfg)[1].replace("Bob Jones", "Bob Jonas")

    code, out, _ = imported(cfg, capsys, tmp_path, renamed, "--dry-run")
    assert code == 0 and "~ schemes Sales" in out and "assignments" not in out
    code, out, err = imported(cfg, capsys, tmp_path, renamed)
    assert (code, err) == (0, "")
    assert run(capsys, "project", "export", "-c", cfg)[1] == renamed


def test_given_a_scheme_dropped_from_the_document_when_imported_then_it_and_its_people_go(
        cfg, capsys, tmp_path):
    run(capsys, "project", "import", str(DEMO), "-c", cfg)
    doc = yaml.safe_load(run(capsys, "project", "export", "-c", cfg)[1])
    doc.update(schemes=[], menus=[], assignments={})  # the menu leads to the scheme
    doc["employees"] = [e for e in doc["employees"] if e["full_name"] != "Bob Jones"]
    doc["sip_accounts"] = [a for a in doc["sip_accounts"] if a["login"] != "bob"]
    doc["numbers"][0]["fallback"] = None
    doc["numbers"][1]["employee"] = "Alice Smith"

    code, out, _ = imported(cfg, capsys, tmp_path, yaml.safe_dump(doc), "--prune")

    assert code == 0
    assert "- schemes Sales" in out and "~ assignments +15550100: 'Sales' -> None" in out
    assert "- menus Main" in out and "~ assignments +15550101: {'ivr': 'Main'} -> None" in out
    assert "- employees Bob Jones" in out
    assert yaml.safe_load(run(capsys, "project", "export", "-c", cfg)[1]) == doc


def test_given_a_kept_scheme_naming_a_deleted_person_when_imported_then_refused(
        cfg, capsys, tmp_path):
    run(capsys, "project", "import", str(DEMO), "-c", cfg)
    before = run(capsys, "project", "export", "-c", cfg)[1]
    doc = yaml.safe_load(before)
    doc["employees"] = [e for e in doc["employees"] if e["full_name"] != "Bob Jones"]

    code, _, err = imported(cfg, capsys, tmp_path, yaml.safe_dump(doc), "--prune")

    assert code == 2 and "import refused, nothing changed" in err
    assert "('bob'): employee: the document contradicts itself" in err
    assert run(capsys, "project", "export", "-c", cfg)[1] == before


def test_given_a_scheme_walked_by_another_when_changed_then_both_survive_the_import(
        cfg, capsys, tmp_path):
    run(capsys, "project", "import", str(DEMO), "-c", cfg)
    doc = yaml.safe_load(run(capsys, "project", "export", "-c", cfg)[1])
    doc["schemes"].insert(0, {"name": "Front", "kind": "parallel", "branches": [
        {"name": "always", "schedule": {"days": "mon-sun", "hours": ["00:00-23:59"]},
         "blocks": [{"timeout": 10, "directions": [{"scheme": "Sales"}]}]}]})
    doc["assignments"]["+15550100"] = "Front"
    assert imported(cfg, capsys, tmp_path, yaml.safe_dump(doc))[0] == 0
    doc["schemes"][1]["branches"][0]["blocks"][0]["timeout"] = 15  # Sales, walked by Front

    code, out, _ = imported(cfg, capsys, tmp_path, yaml.safe_dump(doc))

    assert code == 0
    assert [line for line in out.splitlines() if "schemes" in line or "assign" in line] == [
        "~ schemes Sales"]
    assert yaml.safe_load(run(capsys, "project", "export", "-c", cfg)[1]) == doc


def test_given_a_hand_written_scheme_when_imported_twice_then_no_changes(cfg, capsys, tmp_path):
    text = DEMO.read_text().replace("days: mon-fri", "days: [mon, tue, wed, thu, fri]")
    assert imported(cfg, capsys, tmp_path, text)[0] == 0
    assert imported(cfg, capsys, tmp_path, text)[1].strip() == "no changes"


@pytest.mark.parametrize("old, new, message", [
    ("- 09:00-18:00", "- 18:01-08:59",
     "project.yaml, line 79: schemes[0]: scheme 'Sales', branch 'weekdays': key 'schedule': "),
    ("  '+15550100': Sales", "  '+15559999': Sales",
     "project.yaml, line 117: assignments.+15559999: number '+15559999': not a company number"),
    ("  '+15550100': Sales", "  '+15550100': Gone", "scheme 'Gone': no such scheme"),
])
def test_given_a_bad_scheme_section_when_imported_then_refused_and_nothing_changed(
        cfg, capsys, tmp_path, old, new, message):
    code, _, err = imported(cfg, capsys, tmp_path, DEMO.read_text().replace(old, new))
    assert code == 2 and "import refused, nothing changed" in err and message in err
    assert run(capsys, "employees", "list", "--json", "-c", cfg)[1].strip() == "[]"
