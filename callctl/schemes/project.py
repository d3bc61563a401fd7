"""Schemes and number assignments in the project document (callctl/directory/project.py).

A stored scheme may name people the document deletes, and a wanted one people it adds, so
the import runs in two halves around the directory's own steps, all in its one transaction:
`detach` first unassigns numbers and deletes every scheme that goes or changes (plus any
scheme walking one of those: a walked scheme cannot be deleted), and `attach`, after the
directory steps, saves the wanted schemes (walked ones first) and assigns the numbers.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from ..domain.scheme import scheme_from_dict, scheme_to_dict
from .service import SchemeService


def export(schemes: SchemeService) -> tuple[list[dict], dict[str, str]]:
    """Every stored document, by name, and number -> scheme name, by number."""
    rows = schemes.list_schemes()  # sorted by name
    assigned = {number: row["name"] for row in rows for number in row["numbers"]}
    return [schemes.get_scheme(row["name"]) for row in rows], dict(sorted(assigned.items()))


def normalise(docs: Iterable[dict]) -> dict[str, dict]:
    """name -> the document as it would be stored, so that a hand-written `days: [mon, tue]`
    compares equal to the exported `days: mon-tue`. Raises SchemeError (structure only;
    names are checked when saved) or ValueError for a name given twice."""
    out: dict[str, dict] = {}
    for doc in docs:
        scheme = scheme_from_dict(doc)
        if scheme.name in out:
            raise ValueError(f"scheme {scheme.name!r} is given twice")
        out[scheme.name] = scheme_to_dict(scheme)
    return out


@dataclass
class SchemeChanges:
    current: dict[str, dict]  # stored documents by name
    wanted: dict[str, dict]  # normalised documents by name
    assigned: dict[str, str]  # number -> scheme, now
    assign: dict[str, str]  # number -> scheme, wanted
    dropped: set[str] = field(default_factory=set)  # deleted by `detach`, to be saved again

    def lines(self) -> list[str]:
        gone = [f"- schemes {n}" for n in sorted(self.current) if n not in self.wanted]
        changed = [f"~ schemes {n}" for n in sorted(self.current)
                   if n in self.wanted and self.wanted[n] != self.current[n]]
        new = [f"+ schemes {n}" for n in sorted(self.wanted) if n not in self.current]
        moved = [f"~ assignments {number}: {self.assigned.get(number)!r} -> "
                 f"{self.assign.get(number)!r}"
                 for number in sorted(set(self.assigned) | set(self.assign))
                 if self.assigned.get(number) != self.assign.get(number)]
        return gone + changed + new + moved


def detach(schemes: SchemeService, ch: SchemeChanges) -> None:
    for number, name in ch.assigned.items():
        if ch.assign.get(number) != name:
            schemes.unassign(number)
    doomed = {n for n, doc in ch.current.items() if ch.wanted.get(n) != doc}
    walks = {n: _walked(doc) for n, doc in ch.current.items()}
    while True:
        walkers = {n for n, targets in walks.items() if targets & doomed} - doomed
        if not walkers:
            break
        doomed |= walkers
    for name in reversed(_walked_first(doomed, walks)):  # walkers before what they walk
        schemes.delete_scheme(name, force=True)  # force: `attach` assigns the numbers again
    ch.dropped = doomed


def attach(schemes: SchemeService, ch: SchemeChanges) -> None:
    walks = {n: _walked(doc) for n, doc in ch.wanted.items()}
    missing = {n for n in ch.wanted if n not in ch.current or n in ch.dropped}
    for name in _walked_first(missing, walks):
        schemes.save_scheme(ch.wanted[name])
    now = schemes.snapshot()[1]
    for number, name in ch.assign.items():
        if now.get(number) != name:
            schemes.assign(number, name)  # NotFound: the document assigns a non-number


def _walked(doc: dict) -> set[str]:
    """The schemes a stored document walks (its `scheme` directions)."""
    return {d["scheme"] for br in doc["branches"] for bl in br["blocks"]
            for d in bl["directions"] if "scheme" in d}


def _walked_first(names: set[str], walks: Mapping[str, set[str]]) -> list[str]:
    """`names` ordered so that a scheme comes after those it walks. A cycle is left for the
    scheme rules to report when the scheme is saved."""
    order: list[str] = []
    seen: set[str] = set()

    def visit(name: str) -> None:
        if name in seen:
            return
        seen.add(name)
        for target in sorted(walks.get(name, ())):
            if target in names:
                visit(target)
        order.append(name)

    for name in sorted(names):
        visit(name)
    return order
