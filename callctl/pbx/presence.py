"""Which SIP accounts are registered: seeded from ARI's endpoint list, then kept current
from AMI ContactStatus events (see contacts.py)."""
from __future__ import annotations

from ..domain.directory import Presence

GONE = ("Removed", "Unreachable")


class PresenceTracker:
    def __init__(self):
        self.online: set[str] = set()
        self.contacts: dict[str, set[str]] = {}  # login -> its registered contact URIs
        self._snapshot = Presence(frozenset())

    def seed(self, endpoints: list[dict]) -> list[tuple[str, str, str | None]]:
        """From GET /endpoints/PJSIP after a (re)connect, when events may have been missed;
        returns the changes it made, as `contact` does."""
        before = set(self.online)
        self.online = {e["resource"] for e in endpoints if e.get("state") == "online"}
        self.contacts = {k: v for k, v in self.contacts.items() if k in self.online}
        self._snapshot = Presence(frozenset(self.online))
        return [(login, "online" if login in self.online else "offline",
                 max(self.contacts.get(login) or [""]) or None)
                for login in sorted(before ^ self.online)]

    def contact(self, login: str, uri: str | None, status: str) -> tuple[str, str, str | None]:
        """One contact of `login` changed; returns (login, 'online'|'offline', contact)."""
        # A phone re-registering from a new port: Asterisk adds the new contact, then
        # removes the old one. Offline only when no contact is left.
        uris = self.contacts.setdefault(login, set())
        if status in GONE:
            uris.discard(uri)
        elif uri:
            uris.add(uri)
        online = bool(uris)
        (self.online.add if online else self.online.discard)(login)
        self._snapshot = Presence(frozenset(self.online))
        return login, "online" if online else "offline", max(uris) if uris else None

    def snapshot(self) -> Presence:
        return self._snapshot
