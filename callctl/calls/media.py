"""Prompts as Asterisk media URIs: uploaded and default prompts are served by the daemon
over HTTP (see prompts/media.py), Asterisk's own sounds are played by name."""
from __future__ import annotations

import logging
from typing import Callable

from .. import log
from ..domain.flow import Prompt
from ..prompts.defaults import DefaultSounds
from ..prompts.media import sound_uri
from ..domain.names import name_key

SILENCE = "sound:silence/1"  # a prompt deleted under a running call: nothing, not a crash


class PromptMedia:
    def __init__(self, base_url: str, defaults: DefaultSounds,
                 catalog: Callable[[], dict[str, str]]):
        self.base_url, self.defaults, self._catalog = base_url, defaults, catalog

    def __call__(self, prompt: Prompt) -> str:
        try:
            if prompt.source == "asterisk":
                return f"sound:{prompt.name}"
            if prompt.source == "media":  # already a media URI: number:3, tone:ring...
                return prompt.name
            if prompt.source == "default":
                return self.defaults.uri(self.base_url, prompt.name)
            catalog = self._catalog()
            if prompt.name not in catalog:  # names differ in letter case at most
                catalog = {name_key(k): v for k, v in catalog.items()}
                return sound_uri(catalog, self.base_url, name_key(prompt.name))
            return sound_uri(catalog, self.base_url, prompt.name)
        except KeyError:
            log.event("call.prompt_missing", logging.WARNING, prompt=str(prompt))
            return SILENCE
