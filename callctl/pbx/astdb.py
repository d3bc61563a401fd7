"""The fallback table in AstDB, written over AMI: what the dialplan dials when the daemon
is absent (see dialplan/callctl.conf)."""
from __future__ import annotations

import asyncio

from panoramisk import Manager

from .. import log

FAMILY = "callctl_fallback"


class AstDbError(Exception):
    pass


async def write_fallbacks(host: str, port: int, username: str, secret: str,
                          table: dict[str, str], timeout: float = 10) -> None:
    """Replace the whole fallback family with `table` (number -> Dial() target)."""
    manager = Manager(host=host, port=port, username=username, secret=secret,
                      reconnect=False, ping_delay=0)
    try:
        await asyncio.wait_for(manager.connect(), timeout)
        await _action(manager, {"Action": "DBDelTree", "Family": FAMILY}, allow_missing=True)
        for number, target in table.items():
            await _action(manager, {"Action": "DBPut", "Family": FAMILY, "Key": number,
                                    "Val": target})
    finally:
        manager.close()
    log.event("astdb.fallbacks_written", numbers=len(table))


async def _action(manager: Manager, action: dict, allow_missing: bool = False) -> None:
    reply = await manager.send_action(action)
    if isinstance(reply, list):
        reply = reply[0]
    if reply.get("Response") != "Success":
        message = reply.get("Message", "")
        if allow_missing and "not" in message.lower():
            return
        raise AstDbError(f"AMI {action['Action']} failed: {message}")
