import pytest

from callctl import config
from callctl.cli import main

GOOD = """
ari: {password: secret}
ami: {secret: secret}
employees:
  - name: Alice Smith
    extension: "101"
    sip_accounts: [{login: alice, password: longenough1}]
numbers:
  - {number: "+15550100", employee: Alice Smith, ring_timeout: 20}
"""


def write(tmp_path, text):
    path = tmp_path / "callctl.yaml"
    path.write_text(text)
    return path


def test_given_a_valid_file_when_loaded_then_defaults_fill_the_rest(tmp_path):
    cfg = config.load(write(tmp_path, GOOD), environ={})
    assert cfg.ari.url == "http://127.0.0.1:8088"
    assert cfg.numbers[0].ring_timeout == 20
    assert cfg.database.url == f"sqlite:///{(tmp_path / 'callctl.db').resolve()}"


def test_given_env_override_when_loaded_then_secret_comes_from_env(tmp_path):
    cfg = config.load(write(tmp_path, GOOD), environ={"CALLCTL__ARI__PASSWORD": "from-env"})
    assert cfg.ari.password == "from-env"


@pytest.mark.parametrize("change, message", [
    (("ring_timeout: 20", "ring_timeout: 0"), "numbers.0.ring_timeout: Input should be greater than or equal to 1"),
    (("employee: Alice Smith,", "employee: Bob,"), "numbers.0.employee: no employee named 'Bob'"),
    (('extension: "101"', 'extension: "1x"'), "employees.0.extension: an extension is 2 to 8 digits"),
    (("ami: {secret: secret}", "ami: {secret: secret, colour: red}"), "ami.colour: unknown key"),
    (("ari: {password: secret}", "ari: {}"), "ari.password: Field required"),
    (('number: "+15550100"', 'number: "call-me"'), "numbers.0.number: a company number is digits"),
    (("longenough1", "short"), "employees.0.sip_accounts.0.password: String should have at least 8"),
])
def test_given_bad_value_when_loaded_then_error_names_file_and_key(tmp_path, change, message):
    path = write(tmp_path, GOOD.replace(*change))
    with pytest.raises(config.ConfigError) as err:
        config.load(path, environ={})
    assert f"{path}: {message}" in str(err.value)


def test_given_broken_yaml_when_loaded_then_error_gives_the_line(tmp_path):
    path = write(tmp_path, "ari: {password: [unclosed\n")
    with pytest.raises(config.ConfigError, match=r"callctl.yaml: line 2, column 1: not valid YAML"):
        config.load(path, environ={})


def test_given_duplicate_login_when_loaded_then_refused(tmp_path):
    text = GOOD + """  - {number: "+15550101", employee: Alice Smith}
"""
    text = text.replace("employees:\n", """employees:
  - name: Bob
    extension: "102"
    sip_accounts: [{login: alice, password: longenough2}]
""")
    with pytest.raises(config.ConfigError, match="sip_accounts.login 'alice' appears twice"):
        config.load(write(tmp_path, text), environ={})


def test_given_missing_file_when_checked_then_exit_2_and_message(tmp_path, capsys):
    assert main(["check-config", "-c", str(tmp_path / "nope.yaml")]) == 2
    assert "nope.yaml: cannot read" in capsys.readouterr().err


def test_given_bad_file_when_run_then_exit_2_before_anything_starts(tmp_path, capsys):
    path = write(tmp_path, GOOD.replace("ring_timeout: 20", "ring_timeout: 9000"))
    assert main(["run", "-c", str(path)]) == 2
    err = capsys.readouterr().err
    assert "numbers.0.ring_timeout" in err
    assert not (tmp_path / "callctl.db").exists()


def test_given_the_shipped_example_config_when_checked_then_it_is_valid():
    from pathlib import Path
    example = Path(__file__).resolve().parents[2] / "config" / "callctl.example.yaml"
    assert config.load(example, environ={}).numbers[0].fallback == "+15550199"
