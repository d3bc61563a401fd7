"""The sandbox Asterisk, seen from the tests: start/stop through scripts/asterisk-sandbox,
and a small synchronous ARI reader for assertions."""
from __future__ import annotations

import base64
import json
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts" / "asterisk-sandbox"


def sandbox(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run([str(SCRIPT), *args], capture_output=True, text=True, check=check)


def state() -> dict:
    return json.loads(sandbox("env").stdout)


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
        return self.get("/bridges")

    def assert_clean(self, timeout: float = 5.0) -> None:
        """Nothing left behind: no channel and no bridge in Asterisk. Hang-ups complete a few
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
