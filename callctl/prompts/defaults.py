"""The default prompts the call engine plays when a company uploaded none of its own.

Each has a key the engine asks for. Where one of Asterisk's English core sounds says the
right thing (the Debian package asterisk-core-sounds-en, installed with Asterisk), the key
names it and Asterisk plays it from its own disk: the queue announcements in the same voice
as the digits of `number:N`. The others are files in the top-level `sounds/` folder, made by
scripts/make-sounds from the texts below (espeak-ng + sox), served over HTTP exactly like
uploaded prompts.
"""
from __future__ import annotations

import hashlib
import sys
from dataclasses import dataclass
from pathlib import Path

from .media import sound_uri
from .upload import accept


@dataclass(frozen=True)
class DefaultSound:
    key: str
    text: str  # what it says
    file: str | None = None  # in sounds/: made by scripts/make-sounds from `text`
    core: str | None = None  # else an Asterisk core sound, played by its name


DEFAULTS = (
    DefaultSound("voicemail-working", "Thank you for calling. Nobody can take your call right "
                 "now. Please leave a message after the tone. When you are done, hang up, or "
                 "press the pound key.", file="voicemail-working.wav"),
    DefaultSound("voicemail-closed", "Thank you for calling. We are closed at the moment. "
                 "Please leave a message after the tone, and we will call you back. When you "
                 "are done, hang up, or press the pound key.", file="voicemail-closed.wav"),
    DefaultSound("ivr-invalid", "That option is invalid. Please try again.",
                 core="pm-invalid-option"),
    DefaultSound("ivr-timeout", "Sorry, we did not get your choice.", file="ivr-timeout.wav"),
    DefaultSound("outgoing-barred", "Calls to outside numbers are not allowed from this "
                 "phone.", file="outgoing-barred.wav"),
    DefaultSound("beep", "(a beep: also what ARI's record plays with beep=true)", core="beep"),
    DefaultSound("queue-busy", "All of our representatives are currently busy. Please stay "
                 "on the line and your call will be answered by the next available "
                 "representative.", core="queue-periodic-announce"),
    DefaultSound("queue-position", "You are currently caller number (then play number:N)",
                 core="queue-thereare"),
    DefaultSound("queue-first", "Your call is now first in line and will be answered by the "
                 "next available representative.", core="queue-youarenext"),
    DefaultSound("queue-hold-time", "The estimated hold time is currently (then number:N "
                 "and queue-minutes)", core="queue-holdtime"),
    DefaultSound("queue-minutes", "minutes", core="queue-minutes"),
    DefaultSound("queue-thanks", "Thank you for your patience.", core="queue-thankyou"),
    DefaultSound("queue-callback", "Thank you. We will call you back as soon as it is your "
                 "turn. Goodbye.", file="queue-callback.wav"),
)
BY_KEY = {d.key: d for d in DEFAULTS}


def sounds_dir() -> Path:
    """`sounds/` of a source checkout (or editable install), else where pip put it."""
    for folder in (Path(__file__).resolve().parents[2] / "sounds",
                   Path(sys.prefix) / "share" / "callctl" / "sounds"):
        if folder.is_dir():
            return folder
    raise FileNotFoundError("the default prompts (sounds/) are not installed")


@dataclass(frozen=True)
class DefaultSounds:
    catalog: dict[str, str]  # key -> version, for the bundled files
    wavs: dict[str, bytes]  # version -> audio, for the media route

    def uri(self, base_url: str, key: str) -> str:
        """The ARI media URI of default `key` (KeyError for an unknown key)."""
        core = BY_KEY[key].core
        return f"sound:{core}" if core else sound_uri(self.catalog, base_url, key)


def load_defaults(folder: Path | None = None) -> DefaultSounds:
    """Reads and checks the bundled files (as an upload is checked: a wrong file in sounds/
    fails the daemon's start, not a caller's call)."""
    folder = folder or sounds_dir()
    catalog, wavs = {}, {}
    for d in DEFAULTS:
        if d.file:
            wav = accept(d.file, (folder / d.file).read_bytes()).wav
            version = hashlib.sha256(wav).hexdigest()
            catalog[d.key], wavs[version] = version, wav
    return DefaultSounds(catalog, wavs)
