"""The sandbox Asterisk, seen from the tests: start/stop through scripts/asterisk-sandbox,
and a small synchronous ARI reader for assertions."""
from __future__ import annotations

import base64
import json
import os
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

from callctl.pbx.bridges import POOL_PREFIX

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts" / "asterisk-sandbox"
PIDFILE = Path(os.environ.get("CALLCTL_SANDBOX_DIR", REPO / ".sandbox")) / "asterisk.pid"


def sandbox(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run([str(SCRIPT), *args], capture_output=True, text=True, check=check)


def state() -> dict:
    return json.loads(sandbox("env").stdout)


class TestSandbox:
    """The sandbox Asterisk of a test run. One already running was started by someone
    (`asterisk-sandbox start`, the demo): it is used as it is and left running. Otherwise
    it is started here with `asterisk-sandbox run`, which stops Asterisk when this process
    dies, however it dies (a killed test run must not leave it on the tests' ports)."""
    __test__ = False  # not a test class, whatever its name

    def __init__(self):
        self.proc: subprocess.Popen | None = None
        self.theirs = sandbox("status", check=False).returncode == 0

    def start(self) -> None:
        if self.theirs:
            sandbox("start")
            return
        self.proc = subprocess.Popen([str(SCRIPT), "run"], stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True,
                                     start_new_session=True)  # a Ctrl-C is for pytest
        output = []
        for line in self.proc.stdout:  # until it says it is up, or exits
            output.append(line)
            if line.startswith("Asterisk is up"):
                return
        raise RuntimeError(f"the sandbox Asterisk did not start: {''.join(output)}")

    def stop(self) -> None:
        if self.theirs:
            sandbox("stop")
        elif self.proc is not None:
            self.proc.terminate()
            self.proc.wait(30)
            self.proc = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def close(self) -> None:
        if not self.theirs:
            self.stop()


class AriReader:
    def __init__(self, st: dict):
        self.base = f"http://127.0.0.1:{st['http_port']}/ari"
        token = base64.b64encode(f"{st['ari_user']}:{st['ari_password']}".encode()).decode()
        self.headers = {"Authorization": f"Basic {token}"}

    def get(self, path: str):
        req = urllib.request.Request(self.base + path, headers=self.headers)
        with urllib.request.urlopen(req, timeout=5) as resp:
            return json.loads(resp.read() or b"null")

    def channels(self) -> list[dict]:
        return self.get("/channels")

    def bridges(self) -> list[dict]:
        """The bridges calls are in: not the empty ones callctl keeps for the next call."""
        return [b for b in self.get("/bridges") if not idle(b)]

    def assert_clean(self, timeout: float = 5.0) -> None:
        """Nothing left behind: no channel and no bridge in Asterisk but the empty ones
        callctl keeps for the next call (pbx/bridges.py). Hang-ups complete a few
        milliseconds after the REST call that asked for them, hence the bounded wait."""
        deadline = time.monotonic() + timeout
        while True:
            channels, bridges = self.channels(), self.bridges()
            if not channels and not bridges:
                return
            if time.monotonic() > deadline:
                raise AssertionError(f"left behind: channels={[c['name'] for c in channels]} "
                                     f"bridges={[b['id'] for b in bridges]}")
            time.sleep(0.05)

    def wait_endpoint_exists(self, login: str, timeout: float = 2.0) -> None:
        """Until Asterisk knows the account (callctl pushes it when it sees the change)."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.get(f"/endpoints/PJSIP/{login}")
                return
            except urllib.error.HTTPError as err:
                if err.code != 404 or time.monotonic() > deadline:
                    raise AssertionError(f"endpoint {login} not in Asterisk after {timeout}s")
            time.sleep(0.02)

    def wait_endpoint_online(self, login: str, timeout: float = 5.0) -> None:
        deadline = time.monotonic() + timeout
        while self.get(f"/endpoints/PJSIP/{login}")["state"] != "online":
            if time.monotonic() > deadline:
                raise AssertionError(f"endpoint {login} not online")
            time.sleep(0.05)


def idle(bridge: dict) -> bool:
    """An empty bridge of callctl's pool, kept for the next call."""
    return bridge["id"].startswith(POOL_PREFIX) and not bridge.get("channels")
