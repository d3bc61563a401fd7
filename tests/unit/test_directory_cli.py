"""`callctl employees|sip …` as a user runs them, in-process against a real database."""
import json

import pytest

from callctl.cli import main


@pytest.fixture
def cfg(tmp_path):
    path = tmp_path / "callctl.yaml"
    path.write_text(f"ari: {{password: x}}\nami: {{secret: x}}\n"
                    f"database: {{url: 'sqlite:///{tmp_path / 'callctl.db'}'}}\n")
    return str(path)


def test_given_employees_add_with_sip_when_json_then_the_employee_lists_its_new_account(
        cfg, capsys):
    code = main(["employees", "add", "--name", "Manny Diaz", "--extension", "101",
                 "--email", "manny@example.com", "--sip", "--json", "-c", cfg])
    employee, account = json.loads(capsys.readouterr().out)
    assert code == 0
    login = account["object"]["login"]
    assert employee["object"]["sip_accounts"] == [login]
    assert account["object"]["employee"] == "Manny Diaz" and account["password"]
    main(["employees", "show", "Manny Diaz", "--json", "-c", cfg])
    assert json.loads(capsys.readouterr().out)["sip_accounts"] == [login]
