"""Directions decided at call time by someone else: the customer's webhook, or the CRM.

`webhook: NAME` asks the customer's HTTP handler NAME where the call goes; its answer is a
direction (a phone number, a SIP login, an employee, a department or a scheme).
`crm_manager: lead, contact, deal` looks the caller up in the CRM in that order and rings
the responsible employee of the first open entity found. Both are steps of their own: the
block's timeout covers the lookup AND the ringing of its answer; no answer, a bad one or
nobody found: the call goes on with the next block.

Pure: the steps, and the rules for what an answer may be.
"""
from __future__ import annotations

from dataclasses import dataclass

from typing import TYPE_CHECKING

from .names import shown
from .phones import BadNumber, to_e164

if TYPE_CHECKING:
    from .scheme import Direction

REMOTE_KINDS = ("webhook", "crm_manager")
ENTITY_KINDS = ("lead", "contact", "deal")
# What a webhook may send a call to (never a menu or voicemail: those are the scheme's).
ANSWER_KINDS = ("phone_number", "sip_account", "employee", "department", "scheme")


@dataclass(frozen=True)
class Webhook:
    """Ask webhook `name` where the call goes, then ring that; all within `timeout`."""
    name: str
    timeout: int
    off_hours: bool = False  # the branch's kind, for a scheme the answer names


@dataclass(frozen=True)
class Manager:
    """Look the caller up in the CRM (`order`: entity kinds) and ring the responsible
    employee of the first open entity found."""
    order: tuple[str, ...]
    timeout: int


def parse_order(text: str) -> tuple[str, ...]:
    """'lead, contact, deal' -> ('lead', 'contact', 'deal'); ValueError naming what is
    wrong."""
    if not isinstance(text, str) or not text.strip():
        raise ValueError("the lookup order is empty (e.g. 'lead, contact, deal')")
    order = tuple(part.strip().lower() for part in text.split(","))
    for kind in order:
        if kind not in ENTITY_KINDS:
            raise ValueError(f"{shown(kind)} is not a CRM entity (one of "
                             f"{', '.join(ENTITY_KINDS)}, in the order to look)")
    if len(set(order)) != len(order):
        raise ValueError("an entity is named twice in the lookup order")
    return order


def webhook_answer(body, country: str) -> Direction:
    """A webhook's JSON answer as a direction; ValueError saying what is wrong with it.
    Written as a direction is in a scheme: {"employee": "Alice Smith"}, or
    {"kind": "employee", "target": "Alice Smith"}."""
    from .scheme import Direction, direction_from_dict  # scheme.py imports this module
    if not isinstance(body, dict):
        raise ValueError(f"the answer must be a JSON object such as "
                         f"{{\"employee\": \"Alice Smith\"}}, got {shown(body, 40)}")
    d = direction_from_dict(body)
    if d.kind not in ANSWER_KINDS:
        raise ValueError(f"a webhook cannot send a call to a {d.kind} (one of "
                         f"{', '.join(ANSWER_KINDS)})")
    if d.kind == "phone_number":
        try:
            return Direction("phone_number", to_e164(d.target, country))
        except BadNumber as exc:
            raise ValueError(f"phone_number: {exc}") from None
    return d
