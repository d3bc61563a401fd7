"""Phone numbers as people write them, normalised to E.164 (`+15550199`).

A number may be written with spaces, dashes, dots and parentheses, and in the national form
of the project's country (`project.country`): "(201) 555-0123" in the US is +12015550123.
Only the ASCII digits count: letters (vanity numbers) and other scripts' digits are
refused rather than guessed at, because a misread digit rings a stranger. A number must be
a possible one for its country by length (libphonenumber's rule); whether it is allocated
is the carrier's business, so fictional 555 numbers pass.

Pure; `phonenumbers` is imported on first use, so commands that never read a number do not
pay for it.
"""
from __future__ import annotations

import re

from .names import shown

MAX_WRITTEN = 32
_WRITTEN = re.compile(r"\+?[0-9 ()./-]+")


class BadNumber(ValueError):
    """Not a phone number; str() says why."""


def to_e164(value: object, country: str = "US") -> str:
    """`value` as an E.164 number, or BadNumber."""
    if isinstance(value, bool) or isinstance(value, int):
        raise BadNumber(f"{value} is a number, not text: write it in quotes, e.g. "
                        f"'+{value}' (YAML drops a leading + and zeros of a bare number)")
    if not isinstance(value, str) or not value.strip():
        raise BadNumber("must be a phone number as text, e.g. '+15550199'")
    text = value.strip()
    if len(text) > MAX_WRITTEN or not _WRITTEN.fullmatch(text):
        raise BadNumber(f"{shown(text)} is not a phone number (the digits 0-9 with an "
                        f"optional leading '+'; spaces, '-', '.', '(' and ')' may separate "
                        f"them)")
    import phonenumbers  # noqa: PLC0415 - lazy: see the module's docstring

    try:
        parsed = phonenumbers.parse(text, country)
    except phonenumbers.NumberParseException:
        parsed = None
    if parsed is None or not phonenumbers.is_possible_number(parsed):
        where = "its country" if text.startswith("+") else f"country {country}"
        raise BadNumber(f"{shown(text)} is not a possible phone number for {where} (write "
                        f"it as +<country code><number>, e.g. '+15550199')")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def is_country(code: object) -> bool:
    """Whether `code` is a region libphonenumber knows (ISO 3166 alpha-2, e.g. "DE")."""
    import phonenumbers  # noqa: PLC0415

    return isinstance(code, str) and code in phonenumbers.SUPPORTED_REGIONS
