"""Which SIP accounts are registered, from Asterisk's contact events."""
from __future__ import annotations

from ..domain.directory import Presence
from .events import Event

EVENTS = frozenset({"ContactStatusChange"})
GONE = ("Removed", "Unreachable")


class PresenceTracker:
    def __init__(self):
        self.online: set[str] = set()
        self.contacts: dict[str, set[str]] = {}  # login -> its registered contact URIs
        self._snapshot = Presence(frozenset())

    def seed(self, endpoints: list[dict]) -> None:
        """From GET /endpoints/PJSIP after a (re)connect: events missed meanwhile are lost."""
        self.online = {e["resource"] for e in endpoints if e.get("state") == "online"}
        self.contacts = {k: v for k, v in self.contacts.items() if k in self.online}
        self._snapshot = Presence(frozenset(self.online))

    def update(self, ev: Event) -> tuple[str, str, str | None] | None:
        """Apply one event; returns (login, 'online'|'offline', contact) for the log/DB."""
        if ev.type != "ContactStatusChange":
            return None
        endpoint, info = ev.raw.get("endpoint") or {}, ev.raw.get("contact_info") or {}
        login = endpoint.get("resource") or info.get("aor")
        if not login:
            return None
        # A phone re-registering from a new port: Asterisk adds the new contact, then
        # removes the old one. Offline only when no contact is left.
        uris = self.contacts.setdefault(login, set())
        if info.get("contact_status") in GONE:
            uris.discard(info.get("uri"))
        elif info.get("uri"):
            uris.add(info["uri"])
        online = bool(uris)
        contact = max(uris) if uris else None
        (self.online.add if online else self.online.discard)(login)
        self._snapshot = Presence(frozenset(self.online))
        return login, "online" if online else "offline", contact

    def snapshot(self) -> Presence:
        return self._snapshot
