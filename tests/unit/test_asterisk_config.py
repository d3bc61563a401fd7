"""`callctl asterisk-config`: what it writes, and what it refuses (the sandbox test in
tests/integration/test_doctor.py runs Asterisk on its output)."""
import stat

import pytest
import yaml

from callctl.cli import main
from callctl.config import parse


def run(tmp_path, *extra) -> int:
    return main(["asterisk-config", "-o", str(tmp_path / "out"), "--trunk-host",
                 "sip.carrier.example:5062", *extra])


def test_given_a_trunk_then_the_snippets_and_a_matching_config_are_written(tmp_path, capsys):
    assert run(tmp_path, "--staff-bind", "192.0.2.10:5070") == 0
    out = tmp_path / "out"
    assert sorted(p.name for p in out.iterdir()) == [
        "INSTALL.txt", "callctl-ari.conf", "callctl-extensions.conf", "callctl-http.conf",
        "callctl-manager.conf", "callctl-pjsip.conf", "callctl-sorcery.conf", "callctl.yaml"]
    config = parse(yaml.safe_load((out / "callctl.yaml").read_text()), "callctl.yaml", {})
    ari, ami = (out / "callctl-ari.conf").read_text(), (out / "callctl-manager.conf").read_text()
    assert f"password = {config.ari.password}" in ari and len(config.ari.password) >= 24
    assert f"secret = {config.ami.secret}" in ami and config.ami.secret != config.ari.password
    pjsip = (out / "callctl-pjsip.conf").read_text()
    assert "bind = 192.0.2.10:5070" in pjsip and "contact = sip:sip.carrier.example:5062" in pjsip
    assert "match = sip.carrier.example" in pjsip
    assert "Set(PJSIP_TRANSFER_HANDLING()=ari-only)" in \
        (out / "callctl-extensions.conf").read_text()
    assert not any("@@" in p.read_text() for p in out.iterdir())
    for secret in ("callctl.yaml", "callctl-ari.conf", "callctl-manager.conf"):
        assert stat.S_IMODE((out / secret).stat().st_mode) == 0o600
    assert "callctl doctor -c" in capsys.readouterr().out


def test_given_files_already_there_then_nothing_is_replaced_without_force(tmp_path, capsys):
    assert run(tmp_path) == 0
    before = (tmp_path / "out" / "callctl.yaml").read_text()
    assert run(tmp_path) == 2
    assert "already holds" in capsys.readouterr().err
    assert (tmp_path / "out" / "callctl.yaml").read_text() == before
    assert run(tmp_path, "--force") == 0
    assert (tmp_path / "out" / "callctl.yaml").read_text() != before  # new secrets


@pytest.mark.parametrize("args, message", [
    (["-o", "/etc/asterisk"], "callctl never writes into /etc"),
    (["--staff-bind", "0.0.0.0"], "--staff-bind: '0.0.0.0' is not ADDR:PORT"),
    (["--http-bind", "127.0.0.1:99999"], "--http-bind: '127.0.0.1:99999' is not ADDR:PORT"),
])
def test_given_bad_input_then_it_is_named_and_nothing_written(tmp_path, capsys, args, message):
    assert main(["asterisk-config", "-o", str(tmp_path / "out"), "--trunk-host", "x",
                 *args]) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "out").exists()
