"""`callctl doctor` when nothing answers: each side is named with what to check, exit 1."""
import json
import socket

import yaml

from callctl.cli import main


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # nothing listens there once the socket is closed


def test_given_no_asterisk_then_ari_and_ami_are_named_with_their_fixes(tmp_path, capsys):
    http, ami = closed_port(), closed_port()
    config = tmp_path / "callctl.yaml"
    config.write_text(yaml.safe_dump({
        "ari": {"url": f"http://127.0.0.1:{http}", "password": "x"},
        "ami": {"port": ami, "secret": "x"}}))
    assert main(["doctor", "-c", str(config), "--json"]) == 1
    findings = {f["check"]: f for f in json.loads(capsys.readouterr().out)}
    assert set(findings) == {"ARI", "AMI"}
    assert findings["ARI"]["detail"].startswith(
        f"cannot reach Asterisk's HTTP server at http://127.0.0.1:{http}")
    assert "http.conf" in findings["ARI"]["fix"]
    assert findings["AMI"]["detail"].startswith(f"127.0.0.1:{ami}: cannot connect")
    assert "manager.conf" in findings["AMI"]["fix"]
