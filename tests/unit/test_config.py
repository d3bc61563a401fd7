import re
from pathlib import Path

import pytest

from callctl import config
from callctl.cli import main

GOOD = """
ari: {password: secret}
ami: {secret: secret}
project: {timezone: Europe/Berlin}
smtp: {host: 127.0.0.1, port: 2525}
"""


def write(tmp_path, text):
    path = tmp_path / "callctl.yaml"
    path.write_text(text)
    return path


def test_given_a_valid_file_when_loaded_then_defaults_fill_the_rest(tmp_path):
    cfg = config.load(write(tmp_path, GOOD), environ={})
    assert cfg.ari.url == "http://127.0.0.1:8088"
    assert cfg.smtp.port == 2525 and cfg.project.seats_included == 3
    assert cfg.database.url == f"sqlite:///{(tmp_path / 'callctl.db').resolve()}"


def test_given_env_override_when_loaded_then_secret_comes_from_env(tmp_path):
    cfg = config.load(write(tmp_path, GOOD), environ={"CALLCTL__ARI__PASSWORD": "from-env"})
    assert cfg.ari.password == "from-env"


@pytest.mark.parametrize("change, message", [
    (("port: 2525", "port: 0"), "smtp.port: Input should be greater than or equal to 1"),
    (("Europe/Berlin", "Mars/Olympus"), "project.timezone: unknown time zone 'Mars/Olympus'"),
    (("ami: {secret: secret}", "ami: {secret: secret, colour: red}"), "ami.colour: unknown key"),
    (("ari: {password: secret}", "ari: {}"), "ari.password: Field required"),
    (("ari: {password: secret}", "ari: {password: s, url: ftp://x}"),
     "ari.url: must be an http:// or https:// URL"),
])
def test_given_bad_value_when_loaded_then_error_names_file_and_key(tmp_path, change, message):
    path = write(tmp_path, GOOD.replace(*change))
    with pytest.raises(config.ConfigError) as err:
        config.load(path, environ={})
    assert re.search(rf"{re.escape(str(path))}, line \d+: {re.escape(message)}", str(err.value))


def test_given_broken_yaml_when_loaded_then_error_gives_the_line(tmp_path):
    path = write(tmp_path, "ari: {password: [unclosed\n")
    with pytest.raises(config.ConfigError, match=r"callctl.yaml: line 2, column 1: not valid YAML"):
        config.load(path, environ={})


def test_given_missing_file_when_checked_then_exit_2_and_message(tmp_path, capsys):
    assert main(["check-config", "-c", str(tmp_path / "nope.yaml")]) == 2
    assert "nope.yaml: cannot read" in capsys.readouterr().err


def test_given_bad_file_when_run_then_exit_2_before_anything_starts(tmp_path, capsys):
    path = write(tmp_path, GOOD.replace("port: 2525", "port: 99999"))
    assert main(["run", "-c", str(path)]) == 2
    assert "smtp.port" in capsys.readouterr().err
    assert not (tmp_path / "callctl.db").exists()


def test_given_the_shipped_example_config_when_checked_then_it_is_valid():
    example = Path(__file__).resolve().parents[2] / "config" / "callctl.example.yaml"
    assert config.load(example, environ={}).project.timezone == "Europe/Berlin"


@pytest.mark.parametrize("raw, message", [
    ("ari: {password: é}\n".encode("utf-16"), "is UTF-16 text: save it as UTF-8"),
    (b"ari: {password: \xe9}\n", "line 1: not UTF-8 text (byte 0xe9)"),
    (b"\x7fELF\x02\x01\x00\x00", "is a binary file"),
    (b"ari: " + b"[" * 3000, "nested deeper than 64 levels"),
])
def test_given_a_file_that_is_not_yaml_text_when_checked_then_exit_2_naming_it(
        tmp_path, capsys, raw, message):
    path = tmp_path / "callctl.yaml"
    path.write_bytes(raw)
    assert main(["check-config", "-c", str(path)]) == 2
    err = capsys.readouterr().err
    assert f"{path}: " in err and message in err and "Traceback" not in err


def test_given_a_database_in_a_missing_folder_when_loaded_then_refused(tmp_path, capsys):
    path = write(tmp_path, GOOD + "database: {url: 'sqlite:///no-such-dir/callctl.db'}\n")
    assert main(["employees", "list", "-c", str(path)]) == 2
    err = capsys.readouterr().err
    assert f"database.url: the folder {tmp_path / 'no-such-dir'} does not exist" in err
    assert not (tmp_path / "no-such-dir").exists()


def test_given_a_country_when_loaded_then_it_is_checked_and_upper_cased(tmp_path):
    assert config.load(write(tmp_path, GOOD), environ={}).project.country == "US"
    path = write(tmp_path, GOOD.replace("{timezone: Europe/Berlin}",
                                        "{timezone: Europe/Berlin, country: de}"))
    assert config.load(path, environ={}).project.country == "DE"
    with pytest.raises(config.ConfigError, match="project.country: 'Germany' is not a two"):
        config.load(write(tmp_path, GOOD.replace("{timezone: Europe/Berlin}",
                                                 "{country: Germany}")), environ={})
