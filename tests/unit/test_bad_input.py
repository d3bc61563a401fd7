"""Issue 16: bad input through the CLI and `project import`. One regression test (at least)
per item; each asserts the exit code, a message naming what and where, and that the
database did not change."""
import json
import os
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import pytest
import yaml

from callctl.cli import main

from .test_project_yaml import DEMO, cfg, run  # noqa: F401 - cfg is a fixture


@pytest.fixture
def demo(cfg, capsys):
    assert main(["project", "import", str(DEMO), "-c", cfg]) == 0
    capsys.readouterr()
    return cfg


def export(capsys, cfg) -> str:
    return run(capsys, "project", "export", "-c", cfg)[1]


def refused_import(capsys, cfg, path, *flags) -> str:
    """Imports `path`, asserts a refusal that changed nothing; returns stderr."""
    before = export(capsys, cfg)
    code, out, err = run(capsys, "project", "import", str(path), *flags, "-c", cfg)
    assert (code, out) == (2, ""), err
    assert "import refused, nothing changed" in err and "Traceback" not in err
    assert export(capsys, cfg) == before
    return err


def write(tmp_path, text, name="project.yaml") -> Path:
    path = tmp_path / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    return path


# ---- 1. an empty document wipes nothing; a missing section is left as it is --------------

@pytest.mark.parametrize("text, message", [
    ("", "the document is empty: nothing to import"),
    ("# only a comment\n", "the document is empty"), ("null\n", "the document is empty"),
    ("{}\n", "names no section: nothing to import"),
    ("[]\n", "the top level must be a mapping of sections"),
    ("employees:\n", "employees: must be a list (write [] for none), got None"),
])
def test_given_an_empty_document_when_imported_then_refused_and_nothing_deleted(
        demo, capsys, tmp_path, text, message):
    assert message in refused_import(capsys, demo, write(tmp_path, text))


def test_given_dev_null_when_imported_then_refused(demo, capsys):
    assert "the document is empty" in refused_import(capsys, demo, os.devnull)


def test_given_a_document_without_assignments_when_imported_then_numbers_keep_their_scheme(
        demo, capsys, tmp_path):
    doc = yaml.safe_load(export(capsys, demo))
    del doc["assignments"], doc["schemes"]
    code, out, _ = run(capsys, "project", "import", str(write(tmp_path, yaml.safe_dump(doc))),
                       "-c", demo)
    assert (code, out.strip()) == (0, "no changes")
    assert yaml.safe_load(export(capsys, demo))["assignments"] == {"+15550100": "Sales",
                                                                   "+15550101": {"ivr": "Main"}}


def test_given_a_partial_section_when_imported_then_the_rest_is_kept_unless_pruned(
        demo, capsys, tmp_path):
    part = write(tmp_path, "employees:\n- full_name: Carol White\n  email: carol@example.com\n"
                           "  extension: '103'\n")
    code, out, _ = run(capsys, "project", "import", str(part), "-c", demo)
    assert code == 0 and "+ employees Carol White" in out
    assert "= employees kept, not in the document (--prune deletes them): Alice Smith, " \
           "Bob Jones" in out
    assert len(json.loads(run(capsys, "employees", "list", "--json", "-c", demo)[1])) == 3

    code, out, _ = run(capsys, "project", "import", str(part), "--prune", "--dry-run",
                       "-c", demo)
    assert code == 0 and "- employees Alice Smith" in out and "- employees Bob Jones" in out


# ---- 2. duplicates inside one section ----------------------------------------------------

@pytest.mark.parametrize("old, new, message", [
    ("- login: bob\n", "- login: ALICE\n",
     "sip_accounts[1] ('ALICE'): login 'ALICE' is given twice: also at "),
    ("  email: bob@example.com", "  email: Alice@Example.com",
     "employees[1] ('Bob Jones'): email 'Alice@Example.com' is given twice: also at "),
    ("- full_name: Bob Jones\n", "- full_name: alice  smith\n",
     "employees[1] ('alice smith'): full_name 'alice smith' is given twice"),
    ("assignments:\n", "assignments:\n  '(555) 0100': Sales\n",
     "assignments.+15550100: number +15550100 is given twice: also at "),
    ("assignments:\n", "assignments:\n  '+15550100': Sales\n",
     "line 118, column 3: key '+15550100' is given twice in one mapping (first at line 117)"),
])
def test_given_a_duplicate_in_a_section_when_imported_then_refused_naming_both_places(
        demo, capsys, tmp_path, old, new, message):
    text = DEMO.read_text().replace(old, new, 1)
    err = refused_import(capsys, demo, write(tmp_path, text))
    assert message in err


def test_given_two_numbers_that_are_one_when_imported_then_refused(demo, capsys, tmp_path):
    text = DEMO.read_text().replace("numbers:\n", "numbers:\n- number: (555) 0100\n"
                                                  "  employee: Bob Jones\n")
    err = refused_import(capsys, demo, write(tmp_path, text))
    assert "numbers[1] ('+15550100'): number '+15550100' is given twice: also at " in err
    assert "project.yaml, line 34: numbers[0] ('+15550100')" in err


# ---- 3. one rule on every path: a number rings an employee -------------------------------

def test_given_a_number_without_employee_when_imported_then_refused_like_cli_and_api(
        demo, capsys, tmp_path):
    text = DEMO.read_text().replace("  employee: Alice Smith\n  ring_timeout", "  ring_timeout")
    err = refused_import(capsys, demo, write(tmp_path, text.replace("+15550100", "+15550111")))
    assert "numbers[0] ('+15550111'): number +15550111: employee: required: the employee " \
           "the number rings" in err


# ---- 4. alias bombs ----------------------------------------------------------------------

def test_given_a_yaml_alias_bomb_when_imported_then_refused_quickly_with_a_short_message(
        demo, capsys, tmp_path):
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    lines += [f"{chr(98 + i)}: &{chr(98 + i)} [{','.join([f'*{chr(97 + i)}'] * 9)}]"
              for i in range(8)]
    bomb = write(tmp_path, "\n".join(lines) + "\nemployees: *i\n")
    assert bomb.stat().st_size < 2000
    tracemalloc.start()
    started = time.monotonic()
    err = refused_import(capsys, demo, bomb)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert "aliases expand to more than 200000 values: refused" in err
    assert len(err) < 300 and time.monotonic() - started < 5 and peak < 50_000_000


# ---- 5. no tracebacks --------------------------------------------------------------------

@pytest.mark.parametrize("raw, message", [
    ("employees: []\n".encode("utf-16"), "is UTF-16 text: save it as UTF-8"),
    (b"employees:\n- full_name: Jos\xe9\n", "line 2: not UTF-8 text (byte 0xe9)"),
    (bytes(range(256)), "is a binary file, not YAML text"),
    (b"employees: " + b"[" * 5000 + b"]" * 5000, "nested deeper than 64 levels"),
    (b"employees:\n- full_name: \"Ann \\ud800\"\n  email: a@example.com\n  extension: '150'\n",
     "employees[0].full_name: lone surrogate (not valid Unicode) U+D800"),
])
def test_given_a_file_that_is_not_a_document_when_imported_then_a_message(
        demo, capsys, tmp_path, raw, message):
    assert message in refused_import(capsys, demo, write(tmp_path, raw))


@pytest.mark.parametrize("raw, message", [
    ("name: S\n".encode("utf-16"), "is UTF-16 text"), (b"\x00\x01", "is a binary file"),
    (b"[" * 3000, "nested deeper than 64 levels"),
])
def test_given_a_scheme_file_that_is_not_a_document_when_added_then_exit_2(
        demo, capsys, tmp_path, raw, message):
    code, out, err = run(capsys, "schemes", "add", str(write(tmp_path, raw, "s.yaml")),
                         "-c", demo)
    assert (code, out) == (2, "") and message in err and "s.yaml" in err


def test_given_coverage_png_into_a_missing_folder_then_exit_2(demo, capsys, tmp_path):
    code, _, err = run(capsys, "schemes", "coverage", "Sales", "--png",
                       str(tmp_path / "no-such-dir" / "x.png"), "-c", demo)
    assert code == 2 and "x.png: cannot write: No such file or directory" in err


def _callctl(*args, cfg, **kw):
    return subprocess.run([sys.executable, "-m", "callctl.cli", *args, "-c", cfg],
                          capture_output=True, **kw)


def test_given_argv_that_is_not_utf8_when_run_then_exit_2_without_traceback(demo):
    done = _callctl(b"employees", b"add", b"--name", b"Jos\xe9", b"--email", b"j@example.com",
                    b"--extension", b"150", cfg=demo)
    assert done.returncode == 2 and b"argument 4 is not valid UTF-8 text" in done.stderr
    assert b"Traceback" not in done.stderr


def test_given_output_piped_into_a_closed_reader_then_no_traceback(demo):
    proc = subprocess.Popen([sys.executable, "-m", "callctl.cli", "employees", "list", "-c",
                             demo], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.close()  # the reader is gone before a line is written, as with `| head -0`
    err = proc.stderr.read()
    assert proc.wait() == 2 and b"Traceback" not in err


# ---- 6. strict types and E.164 -----------------------------------------------------------

@pytest.mark.parametrize("old, new, message", [
    ("ring_timeout: 20", "ring_timeout: true", "numbers[0].ring_timeout: Input should be a "
                                               "valid integer, got True"),
    ("- number: '+15550100'", "- number: +15550100",
     "numbers[0].number: Input should be a valid string, got 15550100"),
    ("- phone_number: '+15550199'", "- phone_number: +15550199",
     "direction phone_number: target 15550199 is a number, not text: write it in quotes"),
    ("- phone_number: '+15550199'", "- phone_number: '\u0665\u0665\u0665\u0660\u0661\u0669'",
     "is not a phone number (the digits 0-9"),
    ("online: true", "online: 'yes'", "employees[0].online: Input should be a valid boolean"),
])
def test_given_a_value_whose_intent_could_be_misread_when_imported_then_refused(
        demo, capsys, tmp_path, old, new, message):
    err = refused_import(capsys, demo, write(tmp_path, DEMO.read_text().replace(old, new, 1)))
    assert message in err


def test_given_numbers_written_nationally_when_imported_then_stored_in_e164(cfg, capsys,
                                                                            tmp_path):
    text = DEMO.read_text().replace("'+15550100'", "'(555) 0100'").replace(
        "'+15550199'", "555-0199")
    assert run(capsys, "project", "import", str(write(tmp_path, text)), "-c", cfg)[0] == 0
    assert export(capsys, cfg) == DEMO.read_text().split("\n", 1)[1]


# ---- 7. names: one rule everywhere ------------------------------------------------------

@pytest.mark.parametrize("name, message", [
    ("Bob\nJones", "employee: full_name: control character U+000A at position 4"),
    ("ALICE SMITH", "employee 'ALICE SMITH': full_name: another employee already has this "
                    "name ('Alice Smith')"),
    ("Alice\u00a0Smith", "another employee already has this name"),
])
def test_given_a_bad_or_duplicate_name_on_the_cli_then_exit_2(demo, capsys, name, message):
    before = export(capsys, demo)
    code, out, err = run(capsys, "employees", "add", "--name", name, "--email",
                         "new@example.com", "--extension", "150", "-c", demo)
    assert (code, out) == (2, "") and message in err
    assert export(capsys, demo) == before


# ---- 8. the reason given is the real one -------------------------------------------------

def test_given_a_bad_name_for_someone_in_an_import_then_the_name_is_the_reason(
        demo, capsys, tmp_path):
    text = DEMO.read_text().replace("full_name: Alice Smith", "full_name: \"Alice\\tSmith\"")
    err = refused_import(capsys, demo, write(tmp_path, text))
    assert "line 6: employees[0].full_name: control character U+0009 at position 6" in err
    assert "still used" not in err


def test_given_a_loop_between_two_new_schemes_when_imported_then_the_loop_is_named(
        demo, capsys, tmp_path):
    doc = yaml.safe_load(export(capsys, demo))
    doc["schemes"] += [{"name": n, "kind": "parallel", "branches": [{"name": "always", "blocks": [
        {"timeout": 10, "directions": [{"scheme": other}]}]}]} for n, other in (("A", "B"),
                                                                                ("B", "A"))]
    err = refused_import(capsys, demo, write(tmp_path, yaml.safe_dump(doc)))
    assert "cyclic scheme reference A -> B -> A" in err and "no such scheme" not in err


def test_given_a_rename_in_the_document_then_the_token_and_invitation_stay(demo, capsys,
                                                                           tmp_path):
    from callctl.config import load
    from callctl.store.api_tokens import ApiTokens
    from callctl.store.db import make_engine, sessions
    tokens = ApiTokens(sessions(make_engine(load(demo).database.url)))
    token = tokens.create_token("Bob Jones")
    text = export(capsys, demo).replace("Bob Jones", "Robert Jones")
    code, out, _ = run(capsys, "project", "import", str(write(tmp_path, text)), "-c", demo)
    assert code == 0 and "cleared" not in out
    assert "~ employees Bob Jones: full_name: 'Bob Jones' -> 'Robert Jones'" in out
    assert tokens.resolve(token).employee == "Robert Jones"


# ---- 9. the smaller ones ----------------------------------------------------------------

def test_given_an_employee_in_a_scheme_when_force_deleted_on_the_cli_then_detached(demo,
                                                                                   capsys):
    code, out, _ = run(capsys, "employees", "delete", "Bob Jones", "--force", "-c", demo)
    assert code == 0
    assert "detached: scheme 'Sales', branch 'weekdays', block 1: direction employee " \
           "'Bob Jones' removed" in out
    assert "Bob Jones" not in run(capsys, "schemes", "show", "Sales", "-c", demo)[1]


def test_given_no_mailer_when_adding_an_employee_then_the_invitation_token_is_printed(
        demo, capsys):
    code, out, _ = run(capsys, "employees", "add", "--name", "Carol White", "--email",
                       "carol@example.com", "--extension", "103", "-c", demo)
    token = next(line for line in out.splitlines() if "invitation token" in line)
    assert code == 0 and len(token.split("invitation token: ")[1].split()[0]) >= 40


@pytest.mark.parametrize("args", [
    ("employees", "add", "--name", "Alice Smith", "--email", "x@example.com",
     "--extension", "150"),
    ("employees", "show", "Nobody"), ("schemes", "show", "Nope"),
    ("schemes", "assign", "+15559999", "Sales"), ("tokens", "create", "Nobody"),
    ("simulate", "--number", "", "--caller", "+15557654321", "--at", "2026-11-26 10:00"),
])
def test_given_json_output_when_refused_then_the_error_is_json(demo, capsys, args):
    code, out, _ = run(capsys, *args, "--json", "-c", demo)
    assert code == 2 and json.loads(out)["error"]["message"]


def test_given_simulate_json_then_stdout_is_only_json(demo, capsys):
    code, out, _ = run(capsys, "simulate", "--number", "+15550100", "--caller", "+15557654321",
                       "--at", "2026-11-26 10:00", "--assume-all-reachable", "--json",
                       "-c", demo)
    assert code == 0 and json.loads(out)["scheme"] == "Sales"
