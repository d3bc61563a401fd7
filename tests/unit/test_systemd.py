"""The service unit as systemd reads it, and the notify protocol's addressing."""
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

from callctl.ops.systemd import Notifier

UNIT = Path(__file__).resolve().parents[2] / "config" / "systemd" / "callctl.service"


def test_given_the_unit_then_systemd_accepts_every_line(tmp_path):
    # verify needs the program to exist: point ExecStart at this installation's callctl
    exe = Path(sys.executable).parent / "callctl"
    (tmp_path / "callctl.service").write_text(
        UNIT.read_text().replace("/usr/local/bin/callctl", str(exe)))
    done = subprocess.run([shutil.which("systemd-analyze"), "verify",
                           str(tmp_path / "callctl.service")], capture_output=True, text=True)
    assert (done.returncode, done.stderr) == (0, "")
    text = UNIT.read_text()
    for line in ("Type=notify", "Restart=on-failure", "WatchdogSec=30", "User=callctl",
                 "ExecReload=/bin/kill -HUP $MAINPID", "ProtectSystem=strict"):
        assert f"\n{line}\n" in text


def test_given_an_abstract_socket_then_messages_reach_it():
    name = f"callctl-test-{os.getpid()}"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind("\0" + name)
        Notifier({"NOTIFY_SOCKET": "@" + name}).ready("serving")
        assert sock.recv(100) == b"READY=1\nSTATUS=serving"


def test_given_no_systemd_then_notifying_does_nothing_and_no_watchdog_runs():
    quiet = Notifier({})
    quiet.ready("serving")
    assert quiet.address is None and quiet.watchdog_interval is None


def test_given_a_watchdog_for_another_process_then_this_one_does_not_ping():
    assert Notifier({"WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "1"}).watchdog_interval \
        is None
    assert Notifier({"WATCHDOG_USEC": "30000000",
                     "WATCHDOG_PID": str(os.getpid())}).watchdog_interval == 15
