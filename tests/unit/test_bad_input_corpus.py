"""The generated bad-input corpus (tests/support/badinput.py) through `project import` and
the CLI: every case refused with exit code 2 and a short message naming what and where, no
traceback, and the database exactly as it was."""
import pytest
import yaml

from callctl.cli import main
from tests.support.badinput import BASE, cli_calls, project_documents

DOCS = project_documents()
CALLS = cli_calls()


@pytest.fixture(scope="module")
def company(tmp_path_factory):
    path = tmp_path_factory.mktemp("corpus")
    cfg = path / "callctl.yaml"
    cfg.write_text("ari: {password: x}\nami: {secret: x}\n")
    (path / "base.yaml").write_text(yaml.safe_dump(BASE, sort_keys=False))
    assert main(["project", "import", str(path / "base.yaml"), "-c", str(cfg)]) == 0
    return path, str(cfg)


def state(capsys, cfg) -> tuple[str, str]:
    capsys.readouterr()
    assert main(["project", "export", "-c", cfg]) == 0
    export = capsys.readouterr().out
    from callctl.config import load
    from callctl.directory import DirectoryService
    from callctl.store.db import make_engine, sessions
    return export, DirectoryService(sessions(make_engine(load(cfg).database.url))).version()


def refused(capsys, cfg, argv) -> str:
    before = state(capsys, cfg)
    try:
        code = main([*argv, "-c", cfg])
    except SystemExit as exc:  # argparse's own refusals: exit 2 with usage and the option
        code = exc.code
    out = capsys.readouterr()
    assert code == 2, out.out + out.err
    assert "Traceback" not in out.err and len(out.err) < 3000
    assert state(capsys, cfg) == before
    return out.err


def test_the_corpus_is_a_few_hundred_cases():
    assert len(DOCS) >= 300 and len(CALLS) >= 80


@pytest.mark.parametrize("case", DOCS, ids=[d.name for d in DOCS])
def test_given_a_bad_document_when_imported_then_refused_naming_where(company, capsys, case):
    path, cfg = company
    doc = path / "case.yaml"
    doc.write_bytes(case.data)
    err = refused(capsys, cfg, ["project", "import", str(doc)])
    assert "import refused, nothing changed" in err and str(doc) in err
    assert case.where in err


@pytest.mark.parametrize("case", CALLS, ids=[c.name for c in CALLS])
def test_given_a_bad_cli_call_then_exit_2_naming_what(company, capsys, case):
    path, cfg = company
    argv = [a.replace("no-such-", str(path / "no-such-")) for a in case.argv]
    err = refused(capsys, cfg, argv)
    assert case.where.lower() in err.lower()
