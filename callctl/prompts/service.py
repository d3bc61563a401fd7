"""Uploaded prompts over the database: add (checked and converted first), list, show,
delete. Synchronous, like the directory service: the daemon calls it in a thread.

The audio is checked and converted before the transaction opens (an mp3 takes a moment;
no lock is held meanwhile). A change first calls `on_change(session)` (the daemon passes
DirectoryService.bump_version, so a running daemon reloads at once, with writers taking
SQLite's lock in one order), then checks, then writes; a refusal raises PromptError and
changes nothing.

Deleting a prompt that a menu, voicemail box or queue still plays is refused, naming
where, and there is no force: detached from its prompt, a menu would greet callers with
silence. Replace the prompt's audio instead (`replace=True`), or change those users first.
"""
from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timezone

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from ..directory.errors import DirectoryError
from ..directory.views import iso
from ..store.prompt_models import StoredPrompt
from .audio import Audio, AudioRefused, TooLarge
from ..domain.names import clean_name, name_key
from .upload import accept


class PromptError(DirectoryError):
    """A refused prompt change, in the project's refusal shape (entity, field, message,
    code, usages), so the API and the CLI report it as they report directory refusals.
    Codes: invalid, too_large, conflict, not_found, in_use."""


def _nobody_uses(_name: str) -> list[str]:
    return []


class PromptService:
    def __init__(self, sessions: sessionmaker, *,
                 usages: Callable[[str], list[str]] = _nobody_uses,
                 on_change: Callable[[Session], None] = lambda _session: None,
                 clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc)):
        """`usages(name)` says where a prompt is used ("menu 'Main' greets with it"); the
        menus, voicemail and queue code provide it."""
        self._sessions = sessions
        self._usages = usages
        self._on_change = on_change
        self._clock = clock

    # ---- changes --------------------------------------------------------------------

    def add_prompt(self, name, filename, data: bytes, replace: bool = False) -> dict:
        """Stores the upload `data` (named `filename`) as prompt `name`; an existing prompt
        of that name is refused unless `replace`."""
        name = _clean(name)
        if not isinstance(filename, str) or not filename.strip():
            raise PromptError(f"prompt {name!r}", "file", "the upload has no file name "
                              "(it must end in .wav or .mp3)")
        try:
            audio = accept(filename, data)
        except AudioRefused as refused:
            code = "too_large" if isinstance(refused, TooLarge) else "invalid"
            raise PromptError(f"prompt {name!r}", "file", str(refused), code=code) from None
        return self.save_audio(name, filename, audio, replace)

    def save_audio(self, name: str, filename: str, audio: Audio, replace: bool) -> dict:
        """Stores audio already accepted (the project import converts files while parsing)."""
        name = _clean(name)
        digest = hashlib.sha256(audio.wav).hexdigest()
        now = self._clock()
        try:
            with self._change() as s:
                row = _find(s, name)
                if row is not None and not replace:
                    raise PromptError(f"prompt {name!r}", "name", f"a prompt named "
                                      f"{row.name!r} exists (replace it to change its audio)",
                                      code="conflict")
                replaced = row is not None
                if row is None:
                    row = StoredPrompt(name=name, name_key=name_key(name), created_at=now)
                    s.add(row)
                row.wav, row.sha256, row.size, row.seconds = audio.wav, digest, len(audio.wav), \
                    audio.seconds
                row.original_filename, row.original_format = filename[-255:], audio.source_format
                row.updated_at = now
                s.flush()
                return {**_view(row), "replaced": replaced}
        except IntegrityError:  # another writer took the name meanwhile (PostgreSQL)
            raise PromptError(f"prompt {name!r}", "name", "another prompt has this name",
                              code="conflict") from None

    def delete_prompt(self, name) -> dict:
        with self._change() as s:
            row = _get(s, name)
            used = self._usages(row.name)
            if used:
                raise PromptError(f"prompt {row.name!r}", "name", f"still used: "
                                  f"{'; '.join(used)} (change those first, or replace the "
                                  f"prompt's audio instead)", code="in_use", usages=used)
            view = _view(row)
            s.delete(row)
            return view

    # ---- reading --------------------------------------------------------------------

    def list_prompts(self) -> list[dict]:
        with self._sessions() as s:
            return [_view(p) for p in s.scalars(select(StoredPrompt)
                                                 .order_by(StoredPrompt.name_key))]

    def get_prompt(self, name) -> dict:
        with self._sessions() as s:
            return _view(_get(s, name))

    def get_audio(self, name) -> tuple[dict, bytes]:
        """(the prompt's view, its wav)."""
        with self._sessions() as s:
            row = _get(s, name)
            return _view(row), row.wav

    def wav_for_version(self, sha256: str) -> bytes | None:
        """The audio a media URL names (by content), or None."""
        with self._sessions() as s:
            return s.scalar(select(StoredPrompt.wav).where(StoredPrompt.sha256 == sha256)
                            .limit(1))

    def catalog(self) -> dict[str, str]:
        """name -> version (sha256): what media.sound_uri needs. No audio is loaded."""
        with self._sessions() as s:
            return dict(s.execute(select(StoredPrompt.name, StoredPrompt.sha256)).all())

    # ---- plumbing -------------------------------------------------------------------

    @contextmanager
    def _change(self) -> Iterator[Session]:
        with self._sessions.begin() as s:
            self._on_change(s)
            yield s


def _clean(name) -> str:
    try:
        return clean_name(name)
    except ValueError as exc:
        raise PromptError("prompt", "name", str(exc)) from None


def _find(s: Session, name: str) -> StoredPrompt | None:
    return s.scalar(select(StoredPrompt).where(StoredPrompt.name_key == name_key(name)))


def _get(s: Session, name) -> StoredPrompt:
    try:
        row = _find(s, clean_name(name))
    except ValueError:  # not a valid name: certainly no prompt's
        row = None
    if row is None:
        raise PromptError(f"prompt {name!r}", "name", "not found", code="not_found")
    return row


def _view(p: StoredPrompt) -> dict:
    return {"name": p.name, "sha256": p.sha256, "seconds": p.seconds, "size": p.size,
            "original_filename": p.original_filename, "original_format": p.original_format,
            "created_at": iso(p.created_at), "updated_at": iso(p.updated_at)}

