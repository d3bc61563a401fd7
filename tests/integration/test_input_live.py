"""Issue 16 against the running daemon and the sandbox Asterisk: numbers written as people
write them reach the right phones (stored in E.164), and a refused import (an empty file)
leaves the company working: the next call still rings its employee."""
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import ALICE_NUMBER, cli

pytestmark = pytest.mark.integration

NATIONAL = """\
employees:
- full_name: Bob Jones
  email: bob@example.com
  extension: '102'
  phone_numbers: ['555-0144']
numbers:
- number: (555) 0133
  employee: Bob Jones
  ring_timeout: 10
"""


def test_given_numbers_written_nationally_when_imported_then_calls_reach_them_in_e164(
        daemon, registered, carrier, tmp_path):
    doc = tmp_path / "national.yaml"
    doc.write_text(NATIONAL)
    done = cli(daemon.path, "project", "import", str(doc))
    assert "+ numbers +15550133" in done["changes"]
    assert "~ employees Bob Jones: phone_numbers: [] -> ['+15550144']" in done["changes"]
    daemon.wait_directory_loaded()

    call = carrier.call("+15550133", caller_id="+15557000016")
    started = daemon.wait_log("call.started", number="+15550133")
    at_desk = registered["bob"].wait_incoming()
    at_mobile = carrier.wait_incoming()  # Bob's phone number, dialled out in E.164
    assert at_mobile.local_user == "+15550144"
    at_desk.answer()
    call.wait_state("CONFIRMED")
    at_mobile.wait_disconnected()
    call.hangup()
    at_desk.wait_disconnected()
    daemon.wait_log("call.ended", call=started["call"], outcome="answered")


def test_given_an_empty_project_file_when_imported_then_refused_and_calls_still_ring(
        daemon, registered, carrier, tmp_path):
    empty = tmp_path / "empty.yaml"
    empty.write_text("")
    exe = Path(sys.executable).parent / "callctl"
    done = subprocess.run([str(exe), "project", "import", str(empty), "-c", str(daemon.path)],
                          capture_output=True, text=True)
    assert done.returncode == 2 and "the document is empty: nothing to import" in done.stderr
    assert [e["full_name"] for e in cli(daemon.path, "employees", "list")] == [
        "Alice Smith", "Bob Jones"]

    call = carrier.call(ALICE_NUMBER, caller_id="+15557000017")
    started = daemon.wait_log("call.started", number=ALICE_NUMBER)
    ringing = registered["alice"].wait_incoming()
    ringing.answer()
    call.wait_state("CONFIRMED")
    call.hangup()
    ringing.wait_disconnected()
    daemon.wait_log("call.ended", call=started["call"], outcome="answered")
