"""Prompts in the project document, by reference: `prompts: [{name: ..., file: ...}]`, each
file a path relative to the document (a .wav or .mp3, checked like an upload).

A document without a `prompts:` section leaves the stored prompts as they are; with one,
the stored prompts become exactly its entries. Every file is read and checked while the
document is parsed, before anything is changed, so one bad file refuses the whole import.
The import then stores new and changed audio first (`upsert`: menus saved later may play
it) and deletes the prompts the document dropped last (`prune`: after whatever stops
using them), all in the import's one transaction.

Export writes each prompt's audio as `prompts/<name>.wav` beside the document.
"""
from __future__ import annotations

import hashlib
import re
from pathlib import Path

from pydantic import BaseModel, ConfigDict, PrivateAttr

from .audio import Audio, AudioRefused
from ..domain.names import clean_name, name_key
from .upload import accept

FOLDER = "prompts"  # beside an exported document


class PromptEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    file: str
    _audio: Audio | None = PrivateAttr(None)  # set by load()


def load(entries: list[PromptEntry] | None, source: str) -> None:
    """Reads and checks every entry's file (relative to the document `source`); ValueError
    listing every problem, each naming its entry."""
    problems, seen = [], {}
    for i, entry in enumerate(entries or ()):
        where = f"prompts[{i}]"
        try:
            entry.name = clean_name(entry.name)
        except ValueError as exc:
            problems.append(f"{where}.name: {exc}")
            continue
        if name_key(entry.name) in seen:
            problems.append(f"{where}.name: {entry.name!r} is given twice (also "
                            f"prompts[{seen[name_key(entry.name)]}])")
        seen.setdefault(name_key(entry.name), i)
        path = Path(source).parent / entry.file
        try:
            entry._audio = accept(path.name, path.read_bytes())
        except OSError as exc:
            problems.append(f"{where}.file: {entry.file}: cannot read: {exc.strerror}")
        except AudioRefused as exc:
            problems.append(f"{where}.file: {exc}")
    if problems:
        raise ValueError("\n".join(problems))


class PromptChanges:
    """What an import does to the stored prompts of `service` (a PromptService); with
    `prune`, the stored prompts the entries leave out are deleted."""

    def __init__(self, service, entries: list[PromptEntry] | None, prune: bool = True):
        self.service, self.entries, self.prune_them = service, entries, prune
        self.stored = {name_key(p["name"]): p for p in service.list_prompts()}

    def _changed(self) -> list[PromptEntry]:
        return [e for e in self.entries or () if self.stored.get(name_key(e.name), {})
                .get("sha256") != hashlib.sha256(e._audio.wav).hexdigest()]

    def dropped(self) -> list[str]:
        """The stored prompts the entries leave out."""
        wanted = {name_key(e.name) for e in self.entries or ()}
        return [] if self.entries is None else \
            [p["name"] for key, p in sorted(self.stored.items()) if key not in wanted]

    def _deleted(self) -> list[str]:
        return self.dropped() if self.prune_them else []

    def lines(self) -> list[str]:
        return [f"- prompts {name}" for name in self._deleted()] + \
            [f"{'~' if name_key(e.name) in self.stored else '+'} prompts {e.name}"
             for e in self._changed()]

    def upsert(self) -> None:
        for e in self._changed():
            self.service.save_audio(e.name, Path(e.file).name, e._audio, replace=True)

    def prune(self) -> None:
        for name in self._deleted():
            self.service.delete_prompt(name)


def export(service, folder: Path | None) -> list[dict]:
    """The entries for every stored prompt; with `folder` (the exported document's), their
    audio is written to `folder/prompts/`."""
    entries, taken = [], set()
    for p in service.list_prompts():
        stem = re.sub(r"[^A-Za-z0-9._-]+", "_", p["name"]).strip("._") or "prompt"
        file, n = f"{stem}.wav", 1
        while file.lower() in taken:  # two names that differ only in dropped characters
            n += 1
            file = f"{stem}-{n}.wav"
        taken.add(file.lower())
        entries.append({"name": p["name"], "file": f"{FOLDER}/{file}"})
        if folder is not None:
            (folder / FOLDER).mkdir(exist_ok=True)
            (folder / FOLDER / file).write_bytes(service.get_audio(p["name"])[1])
    return entries
