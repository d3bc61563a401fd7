"""Which SIP accounts are registered, from Asterisk's endpoint and contact events."""
from __future__ import annotations

from ..domain.directory import Presence
from .events import Event

EVENTS = frozenset({"EndpointStateChange", "ContactStatusChange"})


class PresenceTracker:
    def __init__(self):
        self.online: set[str] = set()
        self.contacts: dict[str, str] = {}  # login -> contact URI of its registration
        self._snapshot = Presence(frozenset())

    def seed(self, endpoints: list[dict]) -> None:
        """From GET /endpoints/PJSIP after a (re)connect: events missed meanwhile are lost."""
        self.online = {e["resource"] for e in endpoints if e.get("state") == "online"}
        self.contacts = {k: v for k, v in self.contacts.items() if k in self.online}
        self._snapshot = Presence(frozenset(self.online))

    def update(self, ev: Event) -> tuple[str, str, str | None] | None:
        """Apply one event; returns (login, 'online'|'offline', contact) when that changed."""
        raw = ev.raw
        if ev.type == "EndpointStateChange":
            endpoint = raw.get("endpoint") or {}
            if endpoint.get("technology") != "PJSIP":
                return None
            login, online = endpoint.get("resource"), endpoint.get("state") == "online"
            contact = self.contacts.get(login)
        elif ev.type == "ContactStatusChange":
            endpoint, info = raw.get("endpoint") or {}, raw.get("contact_info") or {}
            login = endpoint.get("resource") or info.get("aor")
            online = info.get("contact_status") not in ("Removed", "Unreachable")
            contact = info.get("uri") if online else None
            if contact:
                self.contacts[login] = contact
            else:
                self.contacts.pop(login, None)
        else:
            return None
        if not login or (online == (login in self.online) and ev.type == "EndpointStateChange"):
            return None
        (self.online.add if online else self.online.discard)(login)
        self._snapshot = Presence(frozenset(self.online))
        return login, "online" if online else "offline", contact

    def snapshot(self) -> Presence:
        return self._snapshot
