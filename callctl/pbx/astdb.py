"""AstDB over AMI: the daemon writes the fallback programs there (pbx/fallback.py) and reads
back what the dialplan wrote while the daemon could not watch (calls/outage.py). One short
AMI connection per use; AstDB lives in Asterisk, wherever that runs."""
from __future__ import annotations

import asyncio

from panoramisk import Manager


class AstDbError(Exception):
    pass


class AstDb:
    """`async with AstDb(host, port, username, secret) as db:` then tree/put/delete."""

    def __init__(self, host: str, port: int, username: str, secret: str,
                 timeout: float = 10):
        self._manager = Manager(host=host, port=port, username=username, secret=secret,
                                reconnect=False, ping_delay=0)
        self._timeout = timeout

    async def __aenter__(self) -> "AstDb":
        try:
            await asyncio.wait_for(self._manager.connect(), self._timeout)
        except BaseException:
            self._manager.close()
            raise
        return self

    async def __aexit__(self, *exc) -> None:
        self._manager.close()

    async def tree(self, family: str) -> dict[str, str]:
        """Every key of `family` (without the '/family/' prefix) -> its value."""
        replies = await self._action({"Action": "DBGetTree", "Family": family})
        prefix = f"/{family}/"
        return {r["Key"][len(prefix):]: r.get("Val", "") for r in replies
                if r.get("Event") == "DBGetTreeResponse" and r.get("Key", "").startswith(prefix)}

    async def put(self, family: str, key: str, value: str) -> None:
        await self._action({"Action": "DBPut", "Family": family, "Key": key, "Val": value})

    async def delete(self, family: str, key: str) -> None:
        await self._action({"Action": "DBDel", "Family": family, "Key": key},
                           allow_missing=True)

    async def delete_tree(self, family: str) -> None:
        await self._action({"Action": "DBDelTree", "Family": family}, allow_missing=True)

    async def sync(self, family: str, table: dict[str, str]) -> int:
        """Make `family` hold exactly `table`, writing only what differs (the dialplan
        reads it meanwhile: it never sees it empty). Returns how many keys changed."""
        now = await self.tree(family)
        changed = [k for k, v in table.items() if now.get(k) != v]
        for key in changed:
            await self.put(family, key, table[key])
        gone = [k for k in now if k not in table]
        for key in gone:
            await self.delete(family, key)
        return len(changed) + len(gone)

    async def _action(self, action: dict, allow_missing: bool = False) -> list:
        reply = await asyncio.wait_for(self._manager.send_action(action), self._timeout)
        replies = reply if isinstance(reply, list) else [reply]
        first = replies[0]
        if first.get("Response") != "Success":
            message = first.get("Message", "")
            if allow_missing and "not" in message.lower():
                return []
            raise AstDbError(f"AMI {action['Action']} failed: {message}")
        return replies
