"""systemd's service notification protocol (sd_notify), in the few lines it takes: one
datagram per state change to the unix socket named by $NOTIFY_SOCKET. No library: the
protocol is stable and tiny, the pure-Python `sdnotify` package is unmaintained since 2017, and
the bindings (systemd-python, cysystemd) need libsystemd headers and a compiler to install.
Without $NOTIFY_SOCKET (not run by systemd) every call does nothing."""
from __future__ import annotations

import asyncio
import os
import socket
import time


class Notifier:
    def __init__(self, environ: dict | None = None):
        env = os.environ if environ is None else environ
        address = env.get("NOTIFY_SOCKET", "")
        if address.startswith("@"):  # Linux abstract namespace
            address = "\0" + address[1:]
        self.address = address or None
        usec = env.get("WATCHDOG_USEC", "")
        pid = env.get("WATCHDOG_PID", "")
        mine = not pid or pid == str(os.getpid())
        # Pinged at half the period systemd allows, the usual margin.
        self.watchdog_interval = int(usec) / 2e6 if usec.isdigit() and mine else None

    def send(self, **fields: str) -> None:
        """send(READY="1", STATUS="...") -> "READY=1\\nSTATUS=..." to systemd."""
        if self.address is None:
            return
        message = "\n".join(f"{k}={v}" for k, v in fields.items()).encode()
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
            try:
                sock.sendto(message, self.address)
            except OSError:
                pass  # systemd went away (or is restarting): nothing to tell

    def ready(self, status: str) -> None:
        self.send(READY="1", STATUS=status)

    def status(self, status: str) -> None:
        self.send(STATUS=status)

    def reloading(self) -> None:
        self.send(RELOADING="1", MONOTONIC_USEC=str(time.monotonic_ns() // 1000))

    def stopping(self) -> None:
        self.send(STOPPING="1")

    def watchdog(self) -> None:
        self.send(WATCHDOG="1")


async def keep_watchdog(notifier: Notifier) -> None:
    """Pings systemd's watchdog from the event loop itself: a blocked loop stops the pings,
    and systemd restarts the daemon (WatchdogSec in the unit)."""
    import asyncio
    while notifier.watchdog_interval:
        notifier.watchdog()
        await asyncio.sleep(notifier.watchdog_interval)
