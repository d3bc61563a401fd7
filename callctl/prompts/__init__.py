"""Prompts: uploaded audio (.wav, or .mp3 converted once) and the default sounds, stored in
the database and served to Asterisk over HTTP by their content's version.

`upload.accept` checks and converts (pure), `service.PromptService` stores, `media` makes
the `sound:` URIs the call engine plays, `defaults` holds the default prompts by key.
"""
from .service import PromptError, PromptService

__all__ = ["PromptError", "PromptService"]
