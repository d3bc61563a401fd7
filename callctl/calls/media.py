"""Prompts as Asterisk media URIs."""
from __future__ import annotations

from ..domain.flow import Prompt

# Until callctl's own sounds/ are served to Asterisk: the nearest of Asterisk's core sounds.
DEFAULTS = {"vm-working": "vm-intro", "vm-off-hours": "vm-intro",
            "ivr-invalid": "pm-invalid-option", "ivr-no-input": "please-try-again"}


def media_uri(prompt: Prompt) -> str:
    if prompt.source == "default":
        return f"sound:{DEFAULTS.get(prompt.name, prompt.name)}"
    return f"sound:{prompt.name}"
