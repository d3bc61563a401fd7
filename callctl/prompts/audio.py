"""What every upload check shares: the target format, the limits, the refusal and the
stored form. The checks themselves are in wav.py and mp3.py; upload.py picks one."""
from __future__ import annotations

import io
import wave
from dataclasses import dataclass

RATE = 8000  # what Asterisk's format_wav plays: 8 kHz, mono, 16-bit signed PCM
MAX_BYTES = 5 * 1024 * 1024
MAX_SECONDS = 600  # longer than any greeting or hold loop; keeps a stored wav under 10 MB
MIN_SECONDS = 0.1  # an encoder's lone padding frame (26 ms) is not a prompt
ACCEPTED = ("accepted: a .wav file that is mono, 16-bit PCM, 8000 Hz, or an .mp3 file "
            "(converted on upload), at most 5 MB")


class AudioRefused(ValueError):
    """The upload cannot become a prompt; str() says what is wrong and what is accepted."""


class TooLarge(AudioRefused):
    """Over MAX_BYTES (the API answers 413)."""


def too_large(label: str, size: int | None = None) -> TooLarge:
    has = f" is {size / 1024 / 1024:.1f} MB ({size:,} bytes)" if size else " is larger"
    return TooLarge(f"{label}{has}; the limit is 5 MB ({MAX_BYTES:,} bytes)")


@dataclass(frozen=True)
class Audio:
    wav: bytes  # 8 kHz mono 16-bit PCM, a plain 44-byte header
    seconds: float
    source_format: str  # "wav" | "mp3"


def audio_from_pcm(label: str, pcm: bytes, source_format: str) -> Audio:
    """The stored form of 8 kHz mono 16-bit samples: refused when empty or too long."""
    seconds = len(pcm) / 2 / RATE
    if seconds < MIN_SECONDS:
        raise AudioRefused(f"{label} holds no audio to speak of ({seconds:.3f} seconds; a "
                           f"prompt lasts at least {MIN_SECONDS} seconds)")
    if seconds > MAX_SECONDS:
        raise AudioRefused(too_long(label, seconds))
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(pcm)
    return Audio(out.getvalue(), round(seconds, 3), source_format)


def too_long(label: str, seconds: float) -> str:
    return (f"{label} is {seconds / 60:.1f} minutes long; a prompt may last at most "
            f"{MAX_SECONDS // 60} minutes")
