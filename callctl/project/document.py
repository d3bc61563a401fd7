"""Reading a project document: which sections it has, each read by its own `Section`.

Everything that can be checked without the database is checked here, before a single row
is touched, and each problem names the file and line: the top level's shape, unknown
sections, wrong types, names and numbers under the same rules the services apply
(domain/names.py, domain/phones.py), and an entry given twice in one section.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from ..domain.names import shown
from ..yamldoc import Document, label


class ProjectError(Exception):
    """A document refused as a whole; str() has one problem a line, each naming where."""


@dataclass(frozen=True)
class Reading:
    """What a section's `read` gets: the document (for line numbers) and the country."""
    doc: Document
    country: str

    def at(self, *path) -> str:
        """`file, line N: key[3].field` for an error message."""
        return f"{self.doc.where(path)}: {label(path)}"


class Section(Protocol):
    """One or more top-level keys of the document and how they are imported.

    `retract` runs for every section, in reverse order, before any `apply`: it deletes
    or unlinks what goes or changes, so what others delete is no longer used. `apply`
    then creates and edits, in order (a section comes after those it names)."""
    keys: tuple[str, ...]

    def read(self, given: dict[str, Any], r: Reading) -> Any: ...
    def export(self, services) -> dict[str, Any]: ...
    def plan(self, services, wanted: Any, prune: bool) -> Any: ...
    def lines(self, plan: Any) -> list[str]: ...
    def retract(self, services, plan: Any) -> list: ...
    def apply(self, services, plan: Any) -> list: ...
    def verify(self, services, plan: Any) -> None: ...


def read_document(doc: Document, country: str, sections: list) -> list[tuple[Any, Any]]:
    """(section, wanted) for each section the document has. An empty document, or one
    without any section, is refused: it would import nothing, and is more likely a
    mistake (a wrong or truncated file) than a wish."""
    known = [k for s in sections for k in s.keys]
    if doc.data is None:
        raise ProjectError(f"{doc.source}: the document is empty: nothing to import "
                           f"(sections: {', '.join(known)})")
    if not isinstance(doc.data, dict):
        raise ProjectError(f"{doc.where(())}: the top level must be a mapping of sections "
                           f"({', '.join(known)}), got {shown(doc.data, 40)}")
    problems = [f"{doc.where((key,))}: unknown section {shown(key, 40)} (sections: "
                f"{', '.join(known)})" for key in doc.data if key not in known]
    if problems:
        raise ProjectError("\n".join(problems))
    if not doc.data:
        raise ProjectError(f"{doc.source}: names no section: nothing to import "
                           f"(sections: {', '.join(known)})")
    reading, out = Reading(doc, country), []
    for section in sections:
        given = {k: doc.data[k] for k in section.keys if k in doc.data}
        if given:
            try:
                out.append((section, section.read(given, reading)))
            except ProjectError as exc:
                problems += str(exc).splitlines()
    if problems:
        raise ProjectError("\n".join(problems))
    return out


def duplicates(keys: list[tuple[Any, str, str]], r: Reading) -> list[str]:
    """`keys`: (identity key, path-label of the entry, what the key is). An identity key
    seen before is a problem naming both places."""
    seen: dict[Any, str] = {}
    problems = []
    for key, where, what in keys:
        if key in seen:
            problems.append(f"{where}: {what} is given twice: also at {seen[key]}")
        else:
            seen[key] = where
    return problems
