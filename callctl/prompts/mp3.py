"""An .mp3 upload: checked frame by frame, then decoded and resampled to 8 kHz once.

miniaudio (dr_mp3) decodes, soxr resamples: miniaudio's own resampler leaves a 6 kHz tone's
alias about 16 dB down, soxr far below what 16 bits can hold. The decoder skips damaged
bytes without a word, so the frames are walked here first: that is how a file that only
looks like an MP3 (random bytes with a sync pattern, an ID3 tag and nothing after it) or a
cut-off download is told apart from a real one, and how an over-long file is refused before
anything is decoded.
"""
from __future__ import annotations

from dataclasses import dataclass

from .audio import (ACCEPTED, MAX_SECONDS, RATE, Audio, AudioRefused, audio_from_pcm,
                    too_long)

# Layer III bitrates (kbit/s) by bitrate index, for MPEG-1 and for MPEG-2/2.5.
_BITRATES = {1: (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320),
             2: (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160)}
_RATES = {3: (44100, 48000, 32000), 2: (22050, 24000, 16000), 0: (11025, 12000, 8000)}
_TRAILERS = (b"TAG", b"APETAGEX", b"LYRICSBEGIN")  # tags that may follow the last frame


@dataclass(frozen=True)
class FrameHeader:
    version: int  # 3: MPEG-1, 2: MPEG-2, 0: MPEG-2.5
    layer: int  # 1, 2 or 3
    sample_rate: int
    channels: int
    length: int  # bytes, header included (0 for layers I/II: not walked)
    samples: int  # per channel


def frame_header(data: bytes, pos: int) -> FrameHeader | None:
    """The MPEG audio frame header at `pos`, or None when there is none."""
    if pos + 4 > len(data):
        return None
    b0, b1, b2, b3 = data[pos:pos + 4]
    version, layer_bits = (b1 >> 3) & 3, (b1 >> 1) & 3
    bitrate_index, rate_index = b2 >> 4, (b2 >> 2) & 3
    if b0 != 0xFF or b1 & 0xE0 != 0xE0 or version == 1 or layer_bits == 0 \
            or bitrate_index == 15 or rate_index == 3:
        return None
    layer = 4 - layer_bits
    rate = _RATES[version][rate_index]
    channels = 1 if b3 >> 6 == 3 else 2
    if layer != 3:
        return FrameHeader(version, layer, rate, channels, 0, 1152 if layer == 2 else 384)
    kbps = _BITRATES[1 if version == 3 else 2][bitrate_index]
    per_frame = 1152 if version == 3 else 576
    length = per_frame // 8 * kbps * 1000 // rate + ((b2 >> 1) & 1) if kbps else 0
    return FrameHeader(version, layer, rate, channels, length, per_frame)


@dataclass(frozen=True)
class Stream:
    sample_rate: int
    channels: int
    frames: int
    seconds: float


def walk(label: str, data: bytes) -> Stream:
    """Checks that `data` is a whole Layer III stream; its rate, channels and length."""
    pos = audio_start(data)
    first = frame_header(data, pos)
    if first is None:
        if pos:
            raise AudioRefused(f"{label} holds an ID3 tag but no MP3 audio after it; {ACCEPTED}")
        raise AudioRefused(f"{label} is not an MP3 file; {ACCEPTED}")
    if first.layer != 3:
        raise AudioRefused(f"{label} is MPEG layer {first.layer} audio (.mp{first.layer}), "
                           f"not MP3; {ACCEPTED}")
    if not first.length:
        raise AudioRefused(f"{label} uses a free-format bitrate, which is not supported; "
                           f"re-encode it at a standard bitrate")
    frames = 0
    while pos < len(data):
        h = frame_header(data, pos)
        if h is None or (h.layer, h.version, h.sample_rate) != \
                (first.layer, first.version, first.sample_rate) or not h.length:
            if data.startswith(_TRAILERS, pos) or not data[pos:].strip(b"\x00"):
                break
            raise AudioRefused(f"{label} is damaged: no MP3 frame where one should start "
                               f"(byte {pos:,} of {len(data):,})")
        if pos + h.length > len(data):
            raise AudioRefused(f"{label} is truncated: its last MP3 frame is cut off "
                               f"({len(data) - pos} of {h.length} bytes)")
        frames += 1
        pos += h.length
    seconds = frames * first.samples / first.sample_rate
    return Stream(first.sample_rate, first.channels, frames, seconds)


def audio_start(data: bytes) -> int:
    """Where the audio starts: after any ID3v2 tags (and the zero padding some add)."""
    pos = 0
    while data.startswith(b"ID3", pos) and pos + 10 <= len(data):
        size = 0
        for byte in data[pos + 6:pos + 10]:  # "syncsafe": 7 bits per byte
            size = size << 7 | (byte & 0x7F)
        pos += 10 + size + (10 if data[pos + 5] & 0x10 else 0)  # a footer follows
        while pos < len(data) and data[pos] == 0:
            pos += 1
    return pos


def convert(label: str, data: bytes) -> Audio:
    stream = walk(label, data)
    if stream.seconds > MAX_SECONDS:
        raise AudioRefused(too_long(label, stream.seconds))
    return audio_from_pcm(label, to_pcm(data, stream.sample_rate), "mp3")


def to_pcm(data: bytes, sample_rate: int) -> bytes:
    """Decoded (mixed down to mono by miniaudio, at the file's own rate: no resampling
    there), then resampled to 8 kHz by soxr, chunk by chunk, and rounded to 16 bits."""
    import miniaudio
    import numpy as np
    import soxr

    resampler = soxr.ResampleStream(sample_rate, RATE, 1, dtype="float32", quality="HQ")
    out = []
    chunks = miniaudio.stream_memory(data, miniaudio.SampleFormat.FLOAT32, nchannels=1,
                                     sample_rate=sample_rate, frames_to_read=sample_rate)
    for chunk in chunks:
        out.append(resampler.resample_chunk(np.frombuffer(chunk, dtype=np.float32)))
    out.append(resampler.resample_chunk(np.zeros(0, dtype=np.float32), last=True))
    return pcm16(np.concatenate(out))


def pcm16(samples) -> bytes:
    """Float samples in [-1, 1] as little-endian 16-bit integers (clipped, rounded)."""
    import numpy as np
    scaled = np.clip(np.asarray(samples, dtype=np.float64) * 32767.0, -32768, 32767)
    return np.rint(scaled).astype("<i2").tobytes()
