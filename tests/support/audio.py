"""Audio made by the tests themselves: tones as WAV files of any shape (also broken ones),
MP3s of them (lameenc, LAME's encoder as a wheel), and a spectrum reading to check what
came out: the dominant frequency and the level at a frequency."""
from __future__ import annotations

import math
import struct

import numpy as np


def tone(freq: float, seconds: float, rate: int, amplitude: float = 0.5) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return amplitude * np.sin(2 * math.pi * freq * t)


def pcm16(samples: np.ndarray) -> bytes:
    return np.rint(np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes()


def chunk(cid: bytes, body: bytes, size: int | None = None) -> bytes:
    pad = b"\x00" if len(body) % 2 else b""
    return cid + struct.pack("<I", len(body) if size is None else size) + body + pad


def wav(freq: float = 1000, seconds: float = 1.0, rate: int = 8000, channels: int = 1,
        bits: int = 16, tag: int = 1, before_data: bytes = b"", after_data: bytes = b"",
        extensible: bool = False, data_size: int | None = None) -> bytes:
    """A WAV file of a tone, written by hand so that every field can be wrong on purpose."""
    samples = tone(freq, seconds, rate)
    if tag == 3:
        frames = samples.astype("<f4" if bits == 32 else "<f8")
    else:
        frames = np.rint(samples * (2 ** (bits - 1) - 1)).astype("<i4")
    interleaved = np.repeat(frames[:, None], channels, axis=1).ravel()
    if tag == 3:
        body = interleaved.tobytes()
    elif bits == 8:  # 8-bit WAV samples are unsigned
        body = (interleaved + 128).astype("u1").tobytes()
    else:  # the low `bits` of each little-endian 32-bit integer
        body = interleaved.astype("<i4").view("u1").reshape(-1, 4)[:, :bits // 8].tobytes()
    align = channels * bits // 8
    fmt = struct.pack("<HHIIHH", 0xFFFE if extensible else tag, channels, rate, rate * align,
                      align, bits)
    if extensible:  # cbSize, valid bits, channel mask, then the sub-format GUID
        fmt += struct.pack("<HHI", 22, bits, 4) + struct.pack("<H", tag) + \
            bytes.fromhex("000000001000800000aa00389b71")
    chunks = chunk(b"fmt ", fmt) + before_data + chunk(b"data", body, data_size) + after_data
    return b"RIFF" + struct.pack("<I", 4 + len(chunks)) + b"WAVE" + chunks


def mp3(freq: float = 1000, seconds: float = 1.0, rate: int = 44100, channels: int = 1,
        kbps: int = 64, samples: np.ndarray | None = None) -> bytes:
    import lameenc
    mono = tone(freq, seconds, rate) if samples is None else samples
    frames = np.repeat(np.rint(mono * 32767).astype("<i2")[:, None], channels, axis=1)
    encoder = lameenc.Encoder()
    encoder.set_bit_rate(kbps)
    encoder.set_in_sample_rate(rate)
    encoder.set_channels(channels)
    encoder.set_quality(2)
    return bytes(encoder.encode(frames.ravel().tobytes()) + encoder.flush())


def id3(payload: bytes = b"TIT2\x00\x00\x00\x06\x00\x00\x03hello") -> bytes:
    size = len(payload)
    syncsafe = bytes((size >> s) & 0x7F for s in (21, 14, 7, 0))
    return b"ID3\x04\x00\x00" + syncsafe + payload


def samples_of(wav_bytes: bytes) -> np.ndarray:
    """The 16-bit mono samples of a plain 44-byte-header WAV, as floats in [-1, 1]."""
    return np.frombuffer(wav_bytes[44:], dtype="<i2") / 32768.0


def dominant_frequency(samples: np.ndarray, rate: int) -> float:
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(len(samples))))
    return float(np.fft.rfftfreq(len(samples), 1 / rate)[np.argmax(spectrum)])


def level_db(samples: np.ndarray, rate: int, freq: float, reference: float = 0.5) -> float:
    """The level at `freq` relative to a sine of amplitude `reference` (dB): the middle
    half of the signal, Hann window, power summed over the tone's few bins."""
    middle = samples[len(samples) // 4: -len(samples) // 4]
    window = np.hanning(len(middle))
    power = np.abs(np.fft.rfft(middle * window)) ** 2
    k = int(round(freq * len(middle) / rate))
    got = power[max(k - 3, 0):k + 4].sum()
    ref = np.abs(np.fft.rfft(reference * np.sin(2 * math.pi * freq * np.arange(len(middle))
                                                / rate) * window)) ** 2
    return float(10 * np.log10(max(got, 1e-300) / ref[max(k - 3, 0):k + 4].sum()))


def tones_in_order(samples, tones, rate: int = 8000, window: float = 0.2) -> list[int]:
    """Which of `tones` (Hz) sound in `samples` (16-bit ints), in order: each window's
    dominant frequency if it is one of them (silent or other windows skipped), repeats
    collapsed."""
    data = np.asarray(samples, dtype=float) / 32768.0
    size, order = int(rate * window), []
    for start in range(0, len(data) - size + 1, size):
        chunk = data[start:start + size]
        if np.sqrt(np.mean(chunk ** 2)) < 0.01:
            continue
        freq = dominant_frequency(chunk, rate)
        tone = min(tones, key=lambda t: abs(t - freq))
        if abs(tone - freq) < 30 and (not order or order[-1] != tone):
            order.append(tone)
    return order
