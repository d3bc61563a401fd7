"""`callctl project export|import`: the whole directory as one YAML document."""
from pathlib import Path

import pytest

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
    assert "~ numbers 5550100: ring_timeout: 20 -> 25, fallback: 'Bob Jones' -> 'Bob Jonas'" \
        in out
    assert "~ sip_accounts bob: employee: 'Bob Jones' -> 'Bob Jonas'" in out
    assert "+ employees Bob Jonas" in out and "- employees Bob Jones" in out
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
    assert code == 2 and "bad.yaml: employees.0.shoe_size: unknown key" in err
