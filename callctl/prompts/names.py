"""A prompt's name: what menus, voicemail boxes and queues will refer to it by.

One function to swap for the project's shared name rule when there is one: Unicode NFC,
whitespace collapsed, no control characters, 1 to 128 characters; two names that differ
only in letter case are the same name (`name_key`).
"""
from __future__ import annotations

import unicodedata

MAX_NAME = 128


def clean_name(value: object) -> str:
    """The name as stored; ValueError saying what is wrong with it otherwise."""
    if not isinstance(value, str):
        raise ValueError("must be text")
    name = " ".join(unicodedata.normalize("NFC", value).split())
    if not name:
        raise ValueError("required (1 to 128 characters)")
    if any(unicodedata.category(c) in ("Cc", "Cf", "Cs", "Co", "Cn") for c in name):
        raise ValueError("must not hold control, format or unassigned characters")
    if len(name) > MAX_NAME:
        raise ValueError(f"at most {MAX_NAME} characters (this one has {len(name)})")
    return name


def name_key(name: str) -> str:
    """What two names must differ in to be two prompts."""
    return name.casefold()
