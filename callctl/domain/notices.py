"""Telling people about a voicemail message: what the e-mail and the SMS say, and when a
failed notification is tried again. Pure: no clock, no network; the outbox (store) and the
notifier (voicemail/notifier.py) do the I/O.
"""
from __future__ import annotations

import string
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

# What an SMS gateway's URL and body templates may name, e.g. "{recipient}".
PLACEHOLDERS = {
    "recipient": "the phone number the SMS goes to",
    "caller": "the caller's number",
    "caller_name": "the caller's name as their caller ID gave it (may be empty)",
    "number": "the company number that was dialled",
    "box": "the voicemail box",
    "seconds": "the message's length in whole seconds",
    "time": "when the message was left, project time zone, YYYY-MM-DD HH:MM",
    "link": "the link to listen to the message (expires)",
    "text": "a ready-made sentence with caller, number, length and link",
}


@dataclass(frozen=True)
class Notice:
    """One stored message as a notification tells of it."""
    message_id: int
    call_id: str
    box: str
    caller: str
    caller_name: str | None
    number: str
    seconds: float
    at: datetime  # when the message was left (aware)
    link: str
    link_expires: datetime

    def fields(self, zone: ZoneInfo, recipient: str) -> dict[str, str]:
        """The values of PLACEHOLDERS for one recipient."""
        values = {"recipient": recipient, "caller": self.caller or "unknown",
                  "caller_name": self.caller_name or "", "number": self.number,
                  "box": self.box, "seconds": str(round(self.seconds)),
                  "time": _local(self.at, zone).strftime("%Y-%m-%d %H:%M"), "link": self.link}
        values["text"] = (f"Voicemail from {values['caller']} to {self.number}, "
                          f"{values['seconds']} s, {values['time']}: {self.link}")
        return values

    def subject(self) -> str:
        return f"Voicemail from {self._who()} ({_length(self.seconds)})"

    def email_body(self, zone: ZoneInfo) -> str:
        at, until = _local(self.at, zone), _local(self.link_expires, zone)
        return (f"A caller left a message in the voicemail box {self.box!r}.\n\n"
                f"Caller:   {self._who()}\n"
                f"Dialled:  {self.number}\n"
                f"Time:     {at:%Y-%m-%d %H:%M} ({zone.key})\n"
                f"Length:   {_length(self.seconds)}\n\n"
                f"Listen to it (the link works until {until:%Y-%m-%d %H:%M}):\n\n"
                f"    {self.link}\n\n"
                f"It stays in the call log as call {self.call_id}.\n")

    def _who(self) -> str:
        caller = self.caller or "an unknown number"
        return f"{self.caller_name} <{caller}>" if self.caller_name else caller


def template_problem(template: str) -> str | None:
    """Why a gateway template cannot be rendered, or None. E.g. an unknown placeholder."""
    try:
        names = [name for _, name, _, _ in string.Formatter().parse(template)
                 if name is not None]
    except ValueError as exc:  # "Single '}' encountered in format string"
        return f"{exc} (write a literal brace as {{{{ or }}}})"
    for name in names:
        if name not in PLACEHOLDERS:
            return (f"unknown placeholder {{{name}}} (known: "
                    f"{', '.join('{' + p + '}' for p in PLACEHOLDERS)})")
    return None


def render(template: str, values: dict[str, str]) -> str:
    return template.format_map(values)


@dataclass(frozen=True)
class RetryPolicy:
    """Capped exponential backoff from `first` seconds up to `cap`, for at most `give_up`
    after the notification was queued. The last try lands on that deadline."""
    first: float = 30.0
    cap: float = 1800.0
    give_up: float = 48 * 3600.0

    def delay(self, attempts: int) -> float:
        """Seconds to wait after the `attempts`-th failed try (1, 2, ...)."""
        return min(self.cap, self.first * 2 ** max(attempts - 1, 0))

    def next_attempt(self, attempts: int, queued_at: datetime,
                     now: datetime) -> datetime | None:
        """When to try again after `attempts` failures; None: give up now."""
        deadline = utc(queued_at) + timedelta(seconds=self.give_up)
        now = utc(now)
        if now >= deadline:
            return None
        return min(now + timedelta(seconds=self.delay(attempts)), deadline)


def _length(seconds: float) -> str:
    whole = round(seconds)
    return f"{whole // 60}:{whole % 60:02}"


def utc(at: datetime) -> datetime:
    """Aware, in UTC; a naive value (as SQLite hands it back) is UTC already."""
    return at.astimezone(timezone.utc) if at.tzinfo else at.replace(tzinfo=timezone.utc)


def _local(at: datetime, zone: ZoneInfo) -> datetime:
    return utc(at).astimezone(zone)
