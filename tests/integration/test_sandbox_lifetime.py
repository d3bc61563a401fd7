"""The tests' sandbox Asterisk never outlives the test run that started it."""
import os
import select
import signal
import subprocess
import sys
import urllib.error

import pytest

from tests.support.sandbox import REPO, AriReader

pytestmark = pytest.mark.integration

# A test run in miniature: it starts the sandbox as the tests do, says Asterisk's pid, waits.
TEST_RUN = """
import signal
from tests.support.sandbox import PIDFILE, TestSandbox
TestSandbox().start()
print(PIDFILE.read_text().strip(), flush=True)
signal.pause()
"""


def exits_within(pid: int, seconds: float) -> bool:
    fd = os.pidfd_open(pid)  # readable once the process has exited
    try:
        return bool(select.select([fd], [], [], seconds)[0])
    finally:
        os.close(fd)


def test_given_a_test_run_is_killed_then_its_sandbox_asterisk_stops_with_it(
        sandbox_asterisk, asterisk):
    sandbox_asterisk.stop()  # made again below, as it was, for the tests that follow
    try:
        run = subprocess.Popen([sys.executable, "-c", TEST_RUN], cwd=REPO,
                               stdout=subprocess.PIPE, text=True)
        pid = int(run.stdout.readline())
        assert AriReader(asterisk).get("/asterisk/info")["system"]  # up, for that run
        run.send_signal(signal.SIGKILL)  # a timeout's kill: none of its own clean-up runs
        run.wait()
        assert exits_within(pid, 20), f"Asterisk (pid {pid}) outlived the killed test run"
        with pytest.raises(urllib.error.URLError):
            AriReader(asterisk).get("/asterisk/info")
    finally:
        sandbox_asterisk.start()
