"""Voicemail boxes: who is told about a message, how long a message may be.

Plain immutable data and its YAML form. A box is a direction kind of schemes and menus
(`voicemail: General`) and can serve a company number directly. Its greeting is its own
prompt, or callctl's default for working hours or for off hours (the scheme branch says
which one the call is in).
"""
from __future__ import annotations

import re
import dataclasses
from dataclasses import dataclass

from .directory import Directory
from .flow import Prompt
from .ivr import prompt_from_value, prompt_to_value
from .names import BadName, clean_name, clean_text, shown

WORKING_GREETING = Prompt("voicemail-working", "default")
OFF_HOURS_GREETING = Prompt("voicemail-closed", "default")
NOTIFY_KINDS = ("employee", "department", "email", "sms")
MAX_SECONDS = 600
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
PHONE = re.compile(r"\+?\d{3,15}")


@dataclass(frozen=True)
class VoicemailBox:
    name: str
    greeting: Prompt | None = None  # None: the default for working / off hours
    max_seconds: int = 120
    silence_seconds: int = 10  # a message ends after this much silence; 0: never
    notify: tuple[tuple[str, str], ...] = ()  # (kind, target): see NOTIFY_KINDS

    def greeting_for(self, off_hours: bool) -> Prompt:
        if self.greeting is not None:
            return self.greeting
        return OFF_HOURS_GREETING if off_hours else WORKING_GREETING

    def recipients(self, directory: Directory) -> tuple[list[str], list[str]]:
        """(e-mail addresses, SMS numbers) to tell, resolved against the directory now:
        a department means its members as they are when the message arrives."""
        emails: list[str] = []
        phones: list[str] = []
        for kind, target in self.notify:
            if kind == "email":
                emails.append(target)
            elif kind == "sms":
                phones.append(target)
            elif kind == "employee":
                e = directory.employee(target)
                if e is not None and e.email:
                    emails.append(e.email)
            elif kind == "department":
                emails += [e.email for e in directory.members(target) if e.email]
        return list(dict.fromkeys(emails)), list(dict.fromkeys(phones))


def rename_in_box(box: VoicemailBox, kind: str, old: str, new: str) -> VoicemailBox:
    """The box telling `new` where it told `old` (an employee or department was renamed)."""
    notify = tuple((k, new if (k, t) == (kind, old) else t) for k, t in box.notify)
    return box if notify == box.notify else dataclasses.replace(box, notify=notify)


class BoxError(ValueError):
    def __init__(self, box: str, problems: list[str]):
        self.box, self.problems = box, problems
        super().__init__("\n".join(f"voicemail box {shown(box, 60)}: {p}" for p in problems))


BOX_KEYS = {"name", "greeting", "max_seconds", "silence_seconds", "notify"}


def box_from_dict(data, name: str | None = None) -> VoicemailBox:
    label = name or (data.get("name") if isinstance(data, dict) else None)
    label = label if isinstance(label, str) and label else "?"
    if not isinstance(data, dict):
        raise BoxError(label, [f"a voicemail box must be a mapping, got {shown(data, 40)}"])
    problems: list[str] = []
    unknown = sorted(set(data) - BOX_KEYS, key=str)
    if unknown:
        problems.append(f"unknown key {shown(unknown[0], 40)} (expected "
                        f"{', '.join(sorted(BOX_KEYS))})")
    if name is None and not isinstance(data.get("name"), str):
        problems.append("key 'name' is missing")
    greeting = None
    if data.get("greeting") is not None:
        try:
            greeting = prompt_from_value(data["greeting"], "key 'greeting'")
        except ValueError as exc:
            problems.append(str(exc))
    limits = {}
    for key, default, low in (("max_seconds", 120, 1), ("silence_seconds", 10, 0)):
        value = data.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= MAX_SECONDS:
            problems.append(f"key {key!r}: {shown(value, 40)} must be a whole number of "
                            f"seconds from {low} to {MAX_SECONDS}")
        limits[key] = value
    notify = []
    raw = data.get("notify", [])
    if not isinstance(raw, list):
        problems.append(f"key 'notify': must be a list, e.g. [{{employee: Alice Smith}}, "
                        f"{{email: office@example.com}}, {{sms: '+15550123'}}]")
        raw = []
    for entry in raw:
        try:
            item = _notify(entry)
        except ValueError as exc:
            problems.append(str(exc))
            continue
        if item in notify:
            problems.append(f"notify {item[0]} {shown(item[1], 40)}: is given twice")
        else:
            notify.append(item)
    if problems:
        raise BoxError(label, problems)
    return VoicemailBox(label, greeting, limits["max_seconds"], limits["silence_seconds"],
                        tuple(notify))


def _notify(entry) -> tuple[str, str]:
    """One `notify` entry, {kind: target}, with its target normalised; ValueError naming
    what is wrong."""
    if not (isinstance(entry, dict) and len(entry) == 1):
        raise ValueError(f"notify {shown(entry, 40)}: write it as {{kind: target}}, kind one "
                         f"of {', '.join(NOTIFY_KINDS)}")
    (kind, target), = entry.items()
    if kind not in NOTIFY_KINDS or not isinstance(target, str) or not target.strip():
        raise ValueError(f"notify {shown(entry, 40)}: kind one of {', '.join(NOTIFY_KINDS)}, "
                         f"with a text target (quote phone numbers: '+1555...')")
    try:
        target = clean_name(target) if kind in ("employee", "department") else \
            clean_text(target, max_length=254).strip()
    except BadName as exc:
        raise ValueError(f"notify {kind}: {exc}") from None
    if kind == "email" and not EMAIL.fullmatch(target):
        raise ValueError(f"notify email {shown(target, 40)}: not an e-mail address")
    if kind == "sms" and not PHONE.fullmatch(target):
        raise ValueError(f"notify sms {shown(target, 40)}: not a phone number (3 to 15 "
                         f"digits, optional leading +)")
    return kind, target


def box_to_dict(box: VoicemailBox) -> dict:
    out = {"name": box.name, "max_seconds": box.max_seconds,
           "silence_seconds": box.silence_seconds,
           "notify": [{kind: target} for kind, target in box.notify]}
    if box.greeting is not None:
        out["greeting"] = prompt_to_value(box.greeting)
    return out
