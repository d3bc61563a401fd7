"""What a directory change answers: the object, messages, and what is shown only once."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Result:
    object: dict
    messages: list[str] = field(default_factory=list)
    secret: str | None = None  # a new SIP password: shown once, never listed
    invitation_token: str | None = None
    detached: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        """The shape `--json` prints and the API returns, so scripts can use either."""
        out = {"object": self.object, "messages": list(self.messages)}
        if self.detached:
            out["detached"] = list(self.detached)
        if self.secret:
            out["password"] = self.secret  # shown this once: SIP-account create or reset
        if self.invitation_token:
            # For the admin to hand over when no mailer is configured. No escalation: an
            # admin can create a token for any employee anyway.
            out["invitation_token"] = self.invitation_token
        return out
