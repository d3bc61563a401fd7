"""One rule for the names people give things (employees, departments, schemes, branches,
SIP logins, and whatever comes next: menus, voicemail boxes, prompts, queues).

A name is stored normalised: Unicode NFC, every run of whitespace (NBSP and the other
Unicode spaces included) one plain space, none at the ends. Control characters (newline
and tab too), lone surrogates, private-use, unassigned and invisible formatting characters
are refused: a name is one line a person can read and type. Uniqueness compares `name_key`:
case-insensitive and blind to compatibility forms (full-width letters) and to the joiners
some scripts need (ZWJ/ZWNJ), so "ALICE  SMITH" and "Alice Smith" are the same person.

Pure: no I/O. Callers turn `BadName` into their own error naming the entity and field.
"""
from __future__ import annotations

import re
import unicodedata

MAX_NAME = 128
_JOINERS = "\u200c\u200d"  # ZWNJ, ZWJ: part of correct spelling in Persian, Indic, emoji
_SPACES = re.compile(r"\s+")  # \s in str patterns: every Unicode space


class BadName(ValueError):
    """The text is not acceptable; str() says why, without echoing it at length."""


def clean_name(value: object, *, max_length: int = MAX_NAME) -> str:
    """`value` normalised as a name, or BadName saying what is wrong."""
    if not isinstance(value, str):
        raise BadName(f"must be text, not {_type_name(value)}")
    text = clean_text(value, max_length=None)
    text = _SPACES.sub(" ", text).strip()
    if not text:
        raise BadName("must not be empty")
    if len(text) > max_length:
        raise BadName(f"at most {max_length} characters (got {len(text)})")
    return text


def clean_text(value: object, *, max_length: int | None = 255) -> str:
    """One line of free text (an e-mail address, a URI): NFC, no character `clean_name`
    refuses, at most `max_length` characters. Spaces are kept as they are."""
    if not isinstance(value, str):
        raise BadName(f"must be text, not {_type_name(value)}")
    for i, ch in enumerate(value):
        problem = _refused(ch)
        if problem:
            raise BadName(f"{problem} U+{ord(ch):04X} at position {i + 1}")
    text = unicodedata.normalize("NFC", value)
    if max_length is not None and len(text) > max_length:
        raise BadName(f"at most {max_length} characters (got {len(text)})")
    return text


def name_key(name: str) -> str:
    """What two names are compared by: equal keys are the same name."""
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", name).casefold())
    folded = folded.translate({ord(j): None for j in _JOINERS})
    return _SPACES.sub(" ", folded).strip()


def shown(value: object, limit: int = 60) -> str:
    """A value for an error message: its repr, cut to `limit` characters, so a message
    never echoes a megabyte of input back."""
    text = repr(value)
    if len(text) <= limit:
        return text
    size = f" ({len(value)} characters)" if isinstance(value, str) else ""
    return f"{text[:limit - 1]}…{size}"


def _refused(ch: str) -> str | None:
    category = unicodedata.category(ch)
    if category == "Cc":
        return "control character"
    if category == "Cs":
        return "lone surrogate (not valid Unicode)"
    if category == "Co":
        return "private-use character"
    if category == "Cn":
        return "unassigned character"
    if category == "Cf" and ch not in _JOINERS:
        return "invisible formatting character"
    if category in ("Zl", "Zp"):
        return "line break"
    return None


def _type_name(value: object) -> str:
    if value is None:
        return "null"
    return {bool: "true/false", int: "a number", float: "a number", list: "a list",
            dict: "a mapping"}.get(type(value), type(value).__name__)
