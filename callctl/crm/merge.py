"""Two cards of the same client made one: the operator chooses where they differ.

The kept card takes the other's phones and e-mails (a union, nothing is lost), its leads,
contacts, deals and tasks; the other card is deleted. For name, company, address and
comment: a value only one card has is kept; where both have different values the
operator's choice decides (`choices[field]` = the id of the card whose value wins), and a
difference left unchosen refuses the merge, naming the field and both values, with
nothing changed.
"""
from __future__ import annotations

from sqlalchemy import update

from ..store.crm_models import Client, CrmEntity, CrmTask
from .service import CrmError, CrmService, client_row

FIELDS = ("name", "company", "address", "comment")


def conflicts(keep: dict, drop: dict) -> dict[str, list]:
    """field -> [kept card's value, other card's value] where both have different ones."""
    return {f: [keep[f], drop[f]] for f in FIELDS
            if keep.get(f) and drop.get(f) and keep[f] != drop[f]}


def merge(crm: CrmService, keep: int, drop: int, choices: dict | None = None) -> dict:
    """The merged card (with its entities and tasks)."""
    choices = choices or {}
    if keep == drop:
        raise CrmError("drop", "a card cannot be merged with itself")
    unknown = set(choices) - set(FIELDS)
    if unknown:
        raise CrmError(sorted(unknown)[0], f"not a field to choose; choose among "
                                           f"{', '.join(FIELDS)}")
    with crm._sessions.begin() as s:
        kept, other = client_row(s, keep), client_row(s, drop)
        values = {f: _value(kept, other, f, choices.get(f)) for f in FIELDS}
        phones = [p.number for p in kept.phones] + [p.number for p in other.phones]
        emails = list(dict.fromkeys([*(kept.emails or []), *(other.emails or [])]))
        for model in (CrmEntity, CrmTask):
            s.execute(update(model).where(model.client_id == other.id)
                      .values(client_id=kept.id))
        other.phones = []  # free the numbers (unique) before the kept card takes them
        s.flush()
        s.delete(other)
        s.flush()
        kept.name = values.pop("name")
        crm._fill(s, kept, {"phones": phones, "emails": emails, **values})  # one transaction
    return crm.get_client(keep)


def _value(kept: Client, other: Client, field: str, choice) -> str | None:
    mine, theirs = getattr(kept, field), getattr(other, field)
    if not mine or not theirs or mine == theirs:
        return mine or theirs
    if choice == kept.id:
        return mine
    if choice == other.id:
        return theirs
    if choice is None:
        raise CrmError(field, f"the cards differ ({mine!r} on card {kept.id}, {theirs!r} on "
                              f"card {other.id}): choose which to keep")
    raise CrmError(field, f"choose card {kept.id} or card {other.id}, not {choice!r}")
