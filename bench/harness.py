"""The benchmark's world: its own sandbox Asterisk, the callctl daemon as a process, the
company it serves, and what /proc says about each process.

Everything runs beside a possibly running test suite: a sandbox dir and port offset of
its own (scripts/bench sets CALLCTL_SANDBOX_DIR and CALLCTL_SANDBOX_PORT_OFFSET), and only
processes started here are stopped here.
"""
from __future__ import annotations

import base64
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import yaml

from callctl.domain.directory import SipAccount
from callctl.pbx.bridges import POOL_PREFIX
from callctl.pbx.provision import account_objects

REPO = Path(__file__).resolve().parent.parent
SANDBOX = REPO / "scripts" / "asterisk-sandbox"
CALLCTL = Path(sys.executable).parent / "callctl"
CLK_TCK = os.sysconf("SC_CLK_TCK")

NUMBER = "+15550700"  # the company number: callctl rings the phone through a one-block scheme


def scheme(login: str) -> dict:
    return {"name": "bench", "kind": "parallel", "branches": [
        {"name": "always", "blocks": [{"timeout": 30, "directions": [{"sip_account": login}]}]}]}


def sandbox(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run([str(SANDBOX), *args], capture_output=True, text=True, check=check)


class Sandbox:
    """The bench's own Asterisk: started if it is not running, stopped only if we started it."""

    def __init__(self):
        self.started_here = False

    def __enter__(self) -> "Sandbox":
        self.started_here = sandbox("status", check=False).returncode != 0
        done = sandbox("start", check=False)
        if done.returncode != 0:
            raise SystemExit(f"bench: the sandbox Asterisk did not start:\n{done.stderr}")
        self.state = json.loads(sandbox("env").stdout)
        home = Path(os.environ.get("CALLCTL_SANDBOX_DIR", REPO / ".sandbox"))
        self.home = home
        self.pid = int((home / "asterisk.pid").read_text())
        token = base64.b64encode(
            f"{self.state['ari_user']}:{self.state['ari_password']}".encode()).decode()
        self._auth = {"Authorization": f"Basic {token}"}
        return self

    def __exit__(self, *exc) -> None:
        if self.started_here:
            sandbox("stop", check=False)

    def ari(self, path: str, method: str = "GET"):
        req = urllib.request.Request(f"http://127.0.0.1:{self.state['http_port']}/ari{path}",
                                     headers=self._auth, method=method)
        with urllib.request.urlopen(req, timeout=10) as resp:
            return json.loads(resp.read() or b"null")

    @property
    def messages_log(self) -> Path:
        return self.home / "root/var/log/asterisk/messages.log"

    def log_mark(self) -> int:
        return self.messages_log.stat().st_size if self.messages_log.exists() else 0

    def overloads_since(self, mark: int) -> int:
        """Asterisk's taskprocessor high-water warnings logged since `mark`: while one is
        raised, PJSIP ignores new INVITEs and callers retransmit them 500 ms later."""
        with open(self.messages_log, "rb") as f:
            f.seek(mark)
            return f.read().count(b"high water mark")

    def restart_bare(self, login: str, password: str) -> None:
        """Asterisk without callctl: restarted (a stopped daemon's Stasis app stays in
        Asterisk, still subscribed to every PJSIP endpoint, and Asterisk refuses to drop
        that subscription), then the phone's account pushed as callctl pushes it."""
        done = sandbox("restart", check=False)
        if done.returncode != 0:
            raise SystemExit(f"bench: the sandbox Asterisk did not restart:\n{done.stderr}")
        self.pid = int((self.home / "asterisk.pid").read_text())
        account = SipAccount(login, password, "Bench Agent")
        for kind, fields in account_objects(account, '"Bench Agent" <701>', "staff",
                                            "callctl-internal"):
            body = json.dumps({"fields": [{"attribute": k, "value": v}
                                          for k, v in fields.items()]}).encode()
            req = urllib.request.Request(
                f"http://127.0.0.1:{self.state['http_port']}/ari/asterisk/config/dynamic/"
                f"res_pjsip/{kind}/{login}", data=body, method="PUT",
                headers={**self._auth, "Content-Type": "application/json"})
            urllib.request.urlopen(req, timeout=10).read()

    def clear(self) -> None:
        """Hang up whatever is left (our own sandbox): bridges go with their channels."""
        for channel in self.ari("/channels"):
            try:
                self.ari(f"/channels/{channel['id']}", "DELETE")
            except urllib.error.HTTPError:
                pass  # gone meanwhile
        for bridge in self.call_bridges():
            try:
                self.ari(f"/bridges/{bridge['id']}", "DELETE")
            except urllib.error.HTTPError:
                pass

    def call_bridges(self) -> list[dict]:
        """Every bridge but the empty ones callctl keeps for its next call."""
        return [b for b in self.ari("/bridges")
                if b.get("channels") or not b["id"].startswith(POOL_PREFIX)]

    def leftovers(self, timeout: float = 15) -> tuple[int, int]:
        """(channels, bridges) still in Asterisk once calls have ended (bounded wait)."""
        deadline = time.monotonic() + timeout
        while True:
            counts = len(self.ari("/channels")), len(self.call_bridges())
            if counts == (0, 0) or time.monotonic() > deadline:
                return counts
            time.sleep(0.2)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Daemon:
    """`callctl run` as ops run it, with a company of one employee and one SIP account."""

    def __init__(self, box: Sandbox, workdir: Path):
        st = box.state
        self.workdir = workdir
        workdir.mkdir(parents=True, exist_ok=True)
        for old in ("callctl.db", "daemon.log"):
            (workdir / old).unlink(missing_ok=True)
        self.port = free_port()
        self.config = {
            "ari": {"url": f"http://127.0.0.1:{st['http_port']}", "username": st["ari_user"],
                    "password": st["ari_password"]},
            "ami": {"port": st["ami_port"], "username": st["ami_user"],
                    "secret": st["ami_secret"]},
            "database": {"url": f"sqlite:///{workdir / 'callctl.db'}"},
            "http": {"port": self.port}}
        self.path = workdir / "callctl.yaml"
        self.path.write_text(yaml.safe_dump(self.config, sort_keys=False))
        self.logfile = workdir / "daemon.log"
        self.proc: subprocess.Popen | None = None

    def cli(self, *args: str) -> dict:
        done = subprocess.run([str(CALLCTL), *args, "-c", str(self.path), "--json"],
                              capture_output=True, text=True)
        if done.returncode != 0:
            raise SystemExit(f"bench: callctl {' '.join(args)} failed: {done.stderr}")
        return json.loads(done.stdout)

    def make_company(self) -> tuple[str, str]:
        """The employee, their SIP account, the number and its scheme: (login, password).
        A new login each run: Asterisk keeps a login's contacts across restarts (astdb), and
        a stale contact being replaced makes the daemon think the phone went offline."""
        login = f"bench{secrets.token_hex(3)}"
        # Call waiting: the one phone takes every concurrent call, as plain Dial() does
        # (without it the busy agent is skipped, as a real PBX does, and callers hear 480).
        self.cli("employees", "add", "--name", "Bench Agent", "--extension", "701",
                 "--email", "agent@bench.example.com", "--call-waiting")
        password = self.cli("sip", "add", "--employee", "Bench Agent", "--login", login)["password"]
        self.cli("numbers", "add", "--number", NUMBER, "--employee", "Bench Agent")
        path = self.workdir / "scheme.yaml"
        path.write_text(yaml.safe_dump(scheme(login)))
        self.cli("schemes", "add", str(path), "--replace")
        self.cli("schemes", "assign", NUMBER, "bench")
        return login, password

    def start(self, argv: list[str] | None = None) -> "Daemon":
        """Starts `callctl run` (or `argv`, e.g. the ARI tracer) and waits until connected."""
        cmd = argv or [str(CALLCTL), "run", "-c", str(self.path)]
        with open(self.logfile, "ab") as log:
            self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=log,
                                         start_new_session=True)
        try:
            self.wait_log("event=ari.reconciled", 20)
        except BaseException:
            self.stop()  # never leave a half-started daemon behind
            raise
        return self

    def wait_online(self, login: str, timeout: float = 10) -> None:
        """Until the daemon's last word on the phone's registration is 'online'."""
        needle = f"event=sip.registration login={login} state="
        deadline = time.monotonic() + timeout
        while True:
            states = [line.split(needle, 1)[1].split()[0] for line in
                      self.logfile.read_text(errors="replace").splitlines() if needle in line]
            if states and states[-1] == "online":
                return
            if time.monotonic() > deadline:
                raise SystemExit(f"bench: the daemon does not see {login} online; see "
                                 f"{self.logfile}")
            time.sleep(0.1)

    def wait_log(self, needle: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while needle not in self.logfile.read_text(errors="replace"):
            if self.proc.poll() is not None:
                raise SystemExit(f"bench: the daemon exited; see {self.logfile}")
            if time.monotonic() > deadline:
                raise SystemExit(f"bench: no {needle!r} in {self.logfile} within {timeout}s")
            time.sleep(0.1)

    def health(self) -> dict:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/health", timeout=5) as r:
            return json.loads(r.read())

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)


class ProcStat:
    """CPU and memory of one process (or, with `tid`, CPU of one of its threads, e.g. the
    daemon's event loop: its main thread), from /proc (no psutil needed)."""

    def __init__(self, pid: int, tid: int | None = None):
        self.pid = pid
        self.stat = f"/proc/{pid}/task/{tid}/stat" if tid else f"/proc/{pid}/stat"
        self.mark()

    def cpu_s(self) -> float:
        fields = Path(self.stat).read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime + stime

    def rss_mb(self) -> float:
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return 0.0

    def threads(self) -> int:
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("Threads:"):
                return int(line.split()[1])
        return 0

    def fds(self) -> int:
        return len(os.listdir(f"/proc/{self.pid}/fd"))

    def fd_limit(self) -> int:
        """The process's open-file limit (soft), from /proc/<pid>/limits."""
        for line in Path(f"/proc/{self.pid}/limits").read_text().splitlines():
            if line.startswith("Max open files"):
                return int(line.split()[3])
        return 0

    def mark(self) -> None:
        self._t, self._cpu = time.monotonic(), self.cpu_s()

    def cpu_pct(self) -> float:
        """CPU used since the last mark, in % of one core (200 = both cores busy)."""
        elapsed = time.monotonic() - self._t
        return 100 * (self.cpu_s() - self._cpu) / elapsed if elapsed > 0 else 0.0
