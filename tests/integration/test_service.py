"""The daemon as a systemd service: the notify protocol on a real datagram socket (ready,
watchdog, reload, stopping), and SIGHUP with a real call up: the log level and the directory
reload, a broken file is refused, and the call carries on with sound both ways."""
import shutil
import signal
import socket
import tempfile
from pathlib import Path

import pytest
import yaml

from tests.support.daemon import DaemonProcess
from tests.support.databases import scalar

from .conftest import daemon_config
from .test_first_call import call_log, connect

pytestmark = pytest.mark.integration


@pytest.fixture
def systemd(monkeypatch):
    """systemd's end of the protocol: the socket in $NOTIFY_SOCKET, read message by message."""
    folder = Path(tempfile.mkdtemp(prefix="notify-"))  # short: unix socket paths are limited
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(folder / "notify"))
    sock.settimeout(15)
    monkeypatch.setenv("NOTIFY_SOCKET", str(folder / "notify"))
    monkeypatch.setenv("WATCHDOG_USEC", "400000")  # pings every 0.2 s

    def until(field: str) -> list[dict]:
        """Messages up to and including the first that has `field`."""
        seen = []
        while True:
            message = dict(line.split("=", 1) for line in sock.recv(4096).decode().split("\n"))
            seen.append(message)
            if field in message:
                return seen
    yield until
    sock.close()
    shutil.rmtree(folder)


def test_given_systemd_then_the_daemon_says_ready_pings_reloads_and_stops(
        asterisk, tmp_path, database_url, systemd):
    proc = DaemonProcess(tmp_path, daemon_config(asterisk, database_url)).start(
        wait_ready=False)
    try:
        ready = systemd("READY")[-1]
        assert ready == {"READY": "1", "STATUS": "serving"}
        status, _ = proc.health()  # ready means the HTTP endpoint answers
        assert status in (200, 503)
        assert len([m for m in systemd("WATCHDOG") + systemd("WATCHDOG")
                    if "WATCHDOG" in m]) == 2
        proc.proc.send_signal(signal.SIGHUP)
        reloading = systemd("RELOADING")[-1]
        assert reloading["RELOADING"] == "1" and int(reloading["MONOTONIC_USEC"]) > 0
        assert systemd("READY")[-1] == {"READY": "1", "STATUS": "serving (reloaded)"}
        assert proc.stop() == 0
        assert systemd("STOPPING")[-1] == {"STOPPING": "1"}
    finally:
        proc.stop()


def test_given_a_call_up_when_sighup_then_settings_reload_and_the_call_goes_on(
        daemon, registered, carrier, ari):
    call, answered = connect(carrier, registered["alice"])
    started = daemon.wait_log("call.answered")
    good = daemon.path.read_text()
    version = scalar(daemon.config["database"]["url"],
                     "SELECT value FROM meta WHERE key = 'directory_version'")
    try:
        changed = yaml.safe_load(good)
        changed["log_level"] = "DEBUG"
        changed["http"]["port"] += 1  # not reloadable: named, not applied
        daemon.path.write_text(yaml.safe_dump(changed))
        daemon.proc.send_signal(signal.SIGHUP)
        reloaded = daemon.wait_log("config.reloaded")
        assert (reloaded["log_level"], reloaded["restart_needed_for"]) == ("DEBUG", "http")
        # the directory is read afresh although its version did not move
        daemon.wait_log("directory.loaded", version=str(version))
        assert daemon.health()[0] == 200  # still on the port it started with

        daemon.path.write_text("ari: [this is: not valid")
        daemon.proc.send_signal(signal.SIGHUP)
        refused = daemon.wait_log("config.reload_failed")
        assert "not valid YAML" in refused["error"]
        assert daemon.health()[0] == 200
    finally:
        daemon.path.write_text(good)
    call.play_tone(1000)
    answered.play_tone(1600)
    assert answered.hears_tone(1000) and call.hears_tone(1600)
    answered.hangup()
    call.wait_disconnected()
    daemon.wait_log("call.ended", call=started["call"], outcome="answered")
    ari.assert_clean()
    assert call_log(daemon).get(started["call"]).talk_seconds > 0
