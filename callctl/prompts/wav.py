"""A .wav upload: taken only when it already is what Asterisk plays (mono, 16-bit PCM,
8000 Hz). Its samples are kept as they are; the header is written anew, plainly, so that
LIST, fact or cue chunks and extensible headers never reach Asterisk."""
from __future__ import annotations

import struct

from .audio import ACCEPTED, RATE, Audio, AudioRefused, audio_from_pcm

# WAVE format tags people meet, to say what a refused file is.
WAVE_FORMATS = {1: "PCM", 3: "float", 6: "A-law", 7: "µ-law", 2: "MS ADPCM",
                0x11: "IMA ADPCM", 0x31: "GSM 6.10", 0x55: "MP3-in-WAV", 0xFFFE: "extensible"}


def accept_wav(label: str, data: bytes) -> Audio:
    fmt, pcm, announced = _riff_chunks(label, data)
    tag, channels, rate, bits = fmt
    wrong = []
    if tag != 1:
        what = WAVE_FORMATS.get(tag, f"format tag {tag:#06x}")
        what = f"{bits}-bit {what}" if tag == 3 else what
        wrong.append(f"{what} samples (must be 16-bit integer PCM)")
    if channels != 1:
        wrong.append(f"{'stereo' if channels == 2 else f'{channels} channels'} (must be mono)")
    if tag == 1 and bits != 16:
        wrong.append(f"{bits}-bit (must be 16-bit)")
    if rate != RATE:
        wrong.append(f"{rate} Hz (must be {RATE} Hz)")
    if wrong:
        raise AudioRefused(f"{label} cannot be played as it is: {', '.join(wrong)}; "
                           f"{ACCEPTED}")
    if announced is not None:
        raise AudioRefused(f"{label} is truncated: its header announces {announced:,} bytes of "
                           f"audio but only {len(pcm):,} follow; {ACCEPTED}")
    if len(pcm) % 2:
        raise AudioRefused(f"{label} is truncated: it ends in the middle of a sample")
    return audio_from_pcm(label, pcm, "wav")


def _riff_chunks(label: str, data: bytes):
    """((format tag, channels, rate, bits), pcm bytes, announced size if truncated)."""
    fmt = pcm = None
    announced = None
    pos = 12
    while pos + 8 <= len(data):
        cid, size = data[pos:pos + 4], struct.unpack_from("<I", data, pos + 4)[0]
        body = pos + 8
        if cid == b"fmt ":
            if body + 16 > len(data):
                raise AudioRefused(f"{label} is truncated: it ends inside its header")
            if size < 16:
                raise AudioRefused(f"{label} is damaged: its 'fmt ' chunk is {size} bytes, "
                                   f"shorter than any WAV format description")
            tag, channels, rate, _byte_rate, _align, bits = struct.unpack_from(
                "<HHIIHH", data, body)
            if tag == 0xFFFE and size >= 40 and body + 26 <= len(data):
                tag = struct.unpack_from("<H", data, body + 24)[0]  # the sub-format GUID's
            fmt = (tag, channels, rate, bits)
        elif cid == b"data" and pcm is None:
            pcm = data[body:body + size]
            if body + size > len(data):
                announced = size
        pos = body + size + (size & 1)  # chunks are padded to an even length
    if fmt is None:
        raise AudioRefused(f"{label} is not a usable WAV file: it has no 'fmt ' chunk "
                           f"(damaged or truncated); {ACCEPTED}")
    if pcm is None:
        raise AudioRefused(f"{label} holds no audio: it has no 'data' chunk "
                           f"(damaged or truncated); {ACCEPTED}")
    return fmt, pcm, announced


