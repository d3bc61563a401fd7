"""SIP accounts live in Asterisk: pushed over ARI's dynamic configuration (sorcery memory
objects), so a phone can register at once, without a reload, and Asterisk may run on
another host. Memory objects vanish when Asterisk restarts, so every (re)connect pushes
them all again; between connects only what changed is pushed or deleted."""
from __future__ import annotations

import asyncio

from .. import log
from ..domain.directory import Directory, SipAccount
from .ari import Ari, AriError

OBJECT_TYPES = ("auth", "aor", "endpoint")  # created in this order, deleted in reverse


# An "on PC" account is the workspace's softphone in a browser: WebSocket signalling, and
# what browsers require of media (webrtc=yes: ICE, DTLS-SRTP, AVPF, rtcp-mux), with a
# certificate Asterisk makes itself (browsers check its fingerprint from the SDP, not a CA).
WEBRTC = {"webrtc": "yes", "dtls_auto_generate_cert": "yes"}


def account_objects(account: SipAccount, caller_id: str, transport: str,
                    context: str, webrtc_transport: str = "ws") -> list[tuple[str, dict[str, str]]]:
    login = account.login
    media = ({"transport": webrtc_transport, **WEBRTC} if account.on_pc
             else {"transport": transport})
    return [
        ("auth", {"auth_type": "userpass", "username": login, "password": account.password}),
        ("aor", {"max_contacts": "1", "remove_existing": "yes", "qualify_frequency": "0"}),
        ("endpoint", {**media, "context": context, "disallow": "all",
                      "allow": "ulaw,alaw", "auth": login, "aors": login,
                      "callerid": caller_id, "direct_media": "no", "rtp_symmetric": "yes",
                      "force_rport": "yes", "rewrite_contact": "yes"}),
    ]


def caller_id_of(account: SipAccount, directory: Directory) -> str:
    employee = directory.employee(account.employee) if account.employee else None
    if employee is None:
        return f'"{account.login}" <{account.login}>'
    return f'"{employee.name}" <{employee.extension}>'


class Provisioner:
    def __init__(self, ari: Ari, transport: str, context: str, webrtc_transport: str = "ws"):
        self.ari, self.transport, self.context = ari, transport, context
        self.webrtc_transport = webrtc_transport
        self._pushed: dict[str, list] = {}  # login -> the objects last pushed

    def desired(self, directory: Directory) -> dict[str, list]:
        return {a.login: account_objects(a, caller_id_of(a, directory), self.transport,
                                         self.context, self.webrtc_transport)
                for a in directory.sip_accounts}

    async def sync(self, directory: Directory, *, full: bool = False) -> None:
        """Make Asterisk's accounts match the directory. `full`: after a (re)connect, when
        Asterisk may have restarted (lost everything) or kept accounts deleted meanwhile."""
        want = self.desired(directory)
        if full:
            self._pushed = {}
            stale = await self._managed_in_asterisk() - set(want)
        else:
            stale = set(self._pushed) - set(want)
        changed = {k: v for k, v in want.items() if self._pushed.get(k) != v}
        await asyncio.gather(*(self._push(k, v) for k, v in changed.items()),
                             *(self._delete(k) for k in stale))
        if changed or stale:
            log.event("sip.provisioned", pushed=len(changed), deleted=len(stale),
                      accounts=len(want))

    async def _push(self, login: str, objects: list) -> None:
        for kind, fields in objects:
            await self.ari.put_dynamic("res_pjsip", kind, login, fields)
        self._pushed[login] = objects

    async def _delete(self, login: str) -> None:
        try:
            for kind in reversed(OBJECT_TYPES):
                await self.ari.delete_dynamic("res_pjsip", kind, login)
        except AriError as exc:  # e.g. an endpoint from pjsip.conf: not ours to delete
            log.event("sip.delete_refused", login=login, error=str(exc))
        self._pushed.pop(login, None)

    async def _managed_in_asterisk(self) -> set[str]:
        """Endpoints Asterisk has that callctl made: ours carry the staff context."""
        names = [e["resource"] for e in await self.ari.request("GET", "/endpoints/PJSIP")]
        found = await asyncio.gather(*(self._context_of(n) for n in names))
        return {n for n, ctx in zip(names, found) if ctx == self.context}

    async def _context_of(self, login: str) -> str | None:
        try:
            fields = await self.ari.request(
                "GET", f"/asterisk/config/dynamic/res_pjsip/endpoint/{login}")
        except AriError:
            return None
        return next((f["value"] for f in fields if f["attribute"] == "context"), None)
