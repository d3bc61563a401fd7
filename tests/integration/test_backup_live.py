"""A backup taken with the real CLI while the real daemon has a call up, restored into an
empty database: the company and the call (as it stood) are there, and the daemon never
noticed."""
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.support.databases import fresh_database

from .conftest import cli
from .test_first_call import connect

pytestmark = pytest.mark.integration
CALLCTL = str(Path(sys.executable).parent / "callctl")


def test_given_a_call_up_when_backed_up_and_restored_then_company_and_call_are_there(
        daemon, registered, carrier, ari, tmp_path):
    call, answered = connect(carrier, registered["alice"])
    started = daemon.wait_log("call.answered")
    archive = tmp_path / "callctl.tar.gz"
    made = subprocess.run([CALLCTL, "backup", "-o", str(archive), "-c", str(daemon.path)],
                          capture_output=True, text=True)
    assert made.returncode == 0, made.stderr
    call.play_tone(1000)
    assert answered.hears_tone(1000)  # the daemon and the call carried on
    answered.hangup()
    call.wait_disconnected()
    daemon.wait_log("call.ended", call=started["call"], outcome="answered")
    ari.assert_clean()

    with fresh_database(tmp_path / "restored.db") as url:
        config = tmp_path / "restored.yaml"
        config.write_text(yaml.safe_dump({**daemon.config, "database": {"url": url}}))
        done = subprocess.run([CALLCTL, "restore", str(archive), "-c", str(config)],
                              capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        assert done.stdout.startswith(f"restored from {archive}: made ")
        names = {e["full_name"] for e in cli(config, "employees", "list")}
        assert names == {"Alice Smith", "Bob Jones"}
        snapshot = cli(config, "calls", "show", started["call"])
        assert snapshot["outcome"] == "in_progress"  # as it stood at the backup
        assert snapshot["answered_by"] == "Alice Smith"
