"""The callctl daemon as a real process (`callctl run -c FILE`), with its structured log
lines readable as events the tests can wait for."""
from __future__ import annotations

import ctypes
import json
import os
import queue
import shlex
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import yaml

from tests.support.databases import scalar


def _die_with_parent() -> None:
    """In the child: SIGTERM when the test process dies, even by a crash, so no stray daemon
    stays connected to the sandbox (it would take over the ARI app of the next run)."""
    PR_SET_PDEATHSIG = 1
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def parse_logfmt(line: str) -> dict:
    fields = {}
    for token in shlex.split(line):
        key, _, value = token.partition("=")
        fields[key] = value
    return fields


class DaemonProcess:
    def __init__(self, workdir: Path, config: dict):
        self.workdir, self.config = workdir, config
        self.path = workdir / "callctl.yaml"
        self.path.write_text(yaml.safe_dump(config, sort_keys=False))
        self.proc: subprocess.Popen | None = None
        self.lines: list[dict] = []
        self._new: "queue.Queue[dict]" = queue.Queue()
        self.logfile = workdir / "daemon.log"

    @property
    def health_url(self) -> str:
        return f"http://127.0.0.1:{self.config['http']['port']}/health"

    def start(self, wait_ready: bool = True) -> "DaemonProcess":
        # The installed console script, as ops run it.
        cmd = [str(Path(sys.executable).parent / "callctl"), "run", "-c", str(self.path)]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                     text=True, bufsize=1, preexec_fn=_die_with_parent)
        threading.Thread(target=self._read, args=(self.proc,), daemon=True).start()
        if wait_ready:
            self.wait_log("ari.reconciled", timeout=15)
        return self

    def _read(self, proc: subprocess.Popen) -> None:
        with open(self.logfile, "a") as out:
            for line in proc.stderr:
                out.write(line)
                out.flush()
                fields = parse_logfmt(line.strip()) if "event=" in line else {"raw": line}
                self._new.put(fields)

    def forget_past(self) -> None:
        """Only events logged from now on count for wait_log."""
        self.lines.clear()
        while True:
            try:
                self._new.get_nowait()
            except queue.Empty:
                return

    def wait_log(self, event: str, timeout: float = 10, **match) -> dict:
        """The next log event named `event` (matching `match`), from those not yet taken."""
        for fields in self.lines:
            if fields.get("event") == event and all(fields.get(k) == v for k, v in match.items()):
                self.lines.remove(fields)
                return fields
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"no log event {event} {match or ''} within {timeout}s; "
                                     f"see {self.logfile}")
            try:
                fields = self._new.get(timeout=remaining)
            except queue.Empty:
                continue
            if fields.get("event") == event and all(fields.get(k) == v for k, v in match.items()):
                return fields
            self.lines.append(fields)

    def wait_directory_loaded(self, timeout: float = 5) -> dict:
        """Until the daemon runs on the directory as it is in the database now (changes made
        by the CLI reach it by polling)."""
        version = scalar(self.config["database"]["url"],
                         "SELECT value FROM meta WHERE key = 'directory_version'")
        return self.wait_log("directory.loaded", timeout=timeout, version=str(version))

    def health(self) -> tuple[int, dict]:
        try:
            with urllib.request.urlopen(self.health_url, timeout=2) as resp:
                return resp.status, json.loads(resp.read())
        except urllib.error.HTTPError as err:
            return err.code, json.loads(err.read())

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 10) -> int:
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else 0
        self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            raise AssertionError("daemon did not stop on SIGTERM")
