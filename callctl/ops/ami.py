"""A short AMI session for one-off checks (panoramisk underneath): log in, send actions,
collect the events a list action answers with."""
from __future__ import annotations

import asyncio

from panoramisk import Manager


class AmiError(Exception):
    pass


class AmiSession:
    def __init__(self, host: str, port: int, username: str, secret: str, timeout: float = 5):
        self.timeout = timeout
        self.manager = Manager(host=host, port=port, username=username, secret=secret,
                               reconnect=False, ping_delay=0)

    async def __aenter__(self) -> "AmiSession":
        return await self.open()

    async def __aexit__(self, *exc) -> None:
        self.close()

    async def open(self) -> "AmiSession":
        try:
            await asyncio.wait_for(self.manager.connect(), self.timeout)
            login = self.manager.authenticated_future
            if login is not None:
                await asyncio.wait_for(asyncio.shield(login), self.timeout)
        except (OSError, asyncio.TimeoutError) as exc:
            self.manager.close()
            raise AmiError(f"cannot connect: {exc or type(exc).__name__}") from None
        if not self.manager.authenticated:
            self.manager.close()
            raise AmiError("login refused (wrong user name or secret, or not permitted from "
                           "this address)")
        return self

    def close(self) -> None:
        self.manager.close()

    async def _send(self, name: str, fields: dict, as_list: bool | None = None) -> list:
        try:
            reply = await asyncio.wait_for(
                self.manager.send_action({"Action": name, **fields}, as_list=as_list),
                self.timeout)
        except asyncio.TimeoutError:
            raise AmiError(f"{name}: no answer within {self.timeout} s") from None
        return reply if isinstance(reply, list) else [reply]

    async def action(self, name: str, *, background: bool = False, **fields) -> dict:
        """`background`: an action Asterisk carries out later (Originate with Async): its
        first answer ("queued") is the answer, the events that follow are not awaited."""
        first = (await self._send(name, fields, False if background else None))[0]
        if first.get("Response") != "Success":
            raise AmiError(f"{name}: {first.get('Message') or first.get('Response')}")
        return first

    async def events(self, name: str, event: str, missing_ok: bool = False,
                     **fields) -> list[dict]:
        """The `event` messages a list action answers with; [] when the object does not exist
        and missing_ok."""
        messages = await self._send(name, fields)
        if messages[0].get("Response") != "Success":
            if missing_ok:
                return []
            raise AmiError(f"{name}: {messages[0].get('Message') or 'refused'}")
        return [m for m in messages if m.get("Event") == event]
