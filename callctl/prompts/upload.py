"""An uploaded prompt, checked and made playable by Asterisk: a file name and its bytes in,
an 8 kHz mono 16-bit PCM wav or a refusal (what is wrong, what would be accepted) out.
Pure: no files, no database, no clock, so the corpus of bad uploads is tested alone.

The content must match the name: an MP3 named .wav is refused, not guessed at, so what the
list shows is what the file is.
"""
from __future__ import annotations

from . import mp3
from .audio import ACCEPTED, MAX_BYTES, Audio, AudioRefused, too_large
from .wav import accept_wav


def accept(filename: str, data: bytes) -> Audio:
    """The prompt to store for an upload named `filename` holding `data`, or AudioRefused."""
    label = repr(filename)
    ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if ext not in ("wav", "mp3"):
        what = f" (it holds {sniff(data)})" if data else ""
        raise AudioRefused(f"{label}: only .wav and .mp3 files are taken{what}; {ACCEPTED}")
    if not data:
        raise AudioRefused(f"{label} is empty (0 bytes); {ACCEPTED}")
    if len(data) > MAX_BYTES:
        raise too_large(label, len(data))
    kind = sniff(data)
    if ext == "wav":
        if kind != "WAV audio":
            hint = "; rename it to .mp3 to have it converted" if kind == "MP3 audio" else ""
            raise AudioRefused(f"{label} is named .wav but holds {kind}{hint}; {ACCEPTED}")
        return accept_wav(label, data)
    if kind == "WAV audio":
        raise AudioRefused(f"{label} is named .mp3 but holds WAV audio: rename it to .wav "
                           f"(it must be mono, 16-bit PCM, 8000 Hz); {ACCEPTED}")
    if kind not in ("MP3 audio", "an ID3 tag"):
        raise AudioRefused(f"{label} is named .mp3 but holds {kind}; {ACCEPTED}")
    return mp3.convert(label, data)


def sniff(data: bytes) -> str:
    """What `data` holds, as a phrase for a message: 'WAV audio', 'Ogg audio', 'text'..."""
    head = data[:12]
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return "WAV audio"
    for magic, what in ((b"RIFF", "a RIFF file that is not WAV (e.g. AVI)"),
                        (b"RF64", "RF64 (64-bit WAV) audio"), (b"RIFX", "big-endian WAV audio"),
                        (b"OggS", "Ogg audio"), (b"fLaC", "FLAC audio"),
                        (b"#!AMR", "AMR audio"), (b"FORM", "AIFF audio"),
                        (b"%PDF", "a PDF document"), (b"PK\x03\x04", "a ZIP archive"),
                        (b"\x89PNG", "a PNG image"), (b"\xff\xd8\xff", "a JPEG image")):
        if head.startswith(magic):
            return what
    if head[4:8] == b"ftyp":
        return "MP4/M4A audio or video"
    start = mp3.audio_start(data)  # after any ID3 tag
    header = mp3.frame_header(data, start)
    if header is not None:
        return "MP3 audio" if header.layer == 3 else f"MPEG layer {header.layer} audio"
    if start:
        return "an ID3 tag"  # and no audio after it: mp3.convert says so
    try:
        text = data[:4096].decode("utf-8")
    except UnicodeDecodeError as exc:
        text = data[:exc.start].decode("utf-8") if exc.start > 4090 else None
    if text is not None and "\x00" not in text:
        return "text, not audio"
    return "data that is not audio in a known format"


