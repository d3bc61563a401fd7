"""Uploads checked and converted, with a generated corpus: what a user would send, good and
bad. Every refusal names what is wrong; every accepted file comes out as 8 kHz mono 16-bit
PCM that still holds what went in."""
from __future__ import annotations

import time

import numpy as np
import pytest

from callctl.prompts.audio import ACCEPTED, MAX_BYTES, AudioRefused, TooLarge
from callctl.prompts.upload import accept
from tests.support import audio as gen

GOOD_WAV = gen.wav(freq=1000, seconds=1.0)
MP3 = gen.mp3(freq=1000, seconds=1.0)

# (file name, content, words the refusal must hold)
REFUSED = [
    ("stereo.wav", gen.wav(channels=2), ["stereo (must be mono)"]),
    ("cd.wav", gen.wav(rate=44100, channels=2), ["stereo (must be mono)",
                                                  "44100 Hz (must be 8000 Hz)"]),
    ("hifi.wav", gen.wav(rate=44100), ["44100 Hz (must be 8000 Hz)"]),
    ("wideband.wav", gen.wav(rate=16000), ["16000 Hz (must be 8000 Hz)"]),
    ("24bit.wav", gen.wav(bits=24), ["24-bit (must be 16-bit)"]),
    ("8bit.wav", gen.wav(bits=8), ["8-bit (must be 16-bit)"]),
    ("float.wav", gen.wav(tag=3, bits=32), ["32-bit float samples (must be 16-bit integer PCM)"]),
    ("ext-float.wav", gen.wav(tag=3, bits=32, extensible=True), ["32-bit float samples"]),
    ("alaw.wav", gen.wav(tag=6, bits=8), ["A-law samples (must be 16-bit integer PCM)"]),
    ("ulaw.wav", gen.wav(tag=7, bits=8), ["µ-law samples"]),
    ("gsm.wav", gen.wav(tag=0x31, bits=16), ["GSM 6.10 samples"]),
    ("empty.wav", b"", ["is empty (0 bytes)"]),
    ("empty.mp3", b"", ["is empty (0 bytes)"]),
    ("truncated.wav", GOOD_WAV[:-1000], ["is truncated", "announces 16,000 bytes of audio but "
                                                         "only 15,000 follow"]),
    ("cut-in-header.wav", GOOD_WAV[:30], ["is truncated: it ends inside its header"]),
    ("half-sample.wav", gen.wav(data_size=15999)[:-1], ["ends in the middle of a sample"]),
    ("no-data.wav", gen.wav()[:36], ["no 'data' chunk"]),
    ("silent-zero.wav", gen.wav(seconds=0), ["holds no audio to speak of (0.000 seconds"]),
    ("click.wav", gen.wav(seconds=0.02), ["holds no audio to speak of (0.020 seconds"]),
    ("zero-length.mp3", gen.mp3(seconds=0), ["holds no audio to speak of"]),
    ("song.wav", MP3, ["named .wav but holds MP3 audio", "rename it to .mp3"]),
    ("tagged-song.wav", gen.id3() + MP3, ["named .wav but holds MP3 audio"]),
    ("tag-only.wav", gen.id3(), ["named .wav but holds an ID3 tag"]),
    ("notes.mp3", b"Call me back on Monday.\n", ["named .mp3 but holds text, not audio"]),
    ("greeting.mp3", GOOD_WAV, ["named .mp3 but holds WAV audio", "rename it to .wav"]),
    ("tag-only.mp3", gen.id3(), ["holds an ID3 tag but no MP3 audio after it"]),
    ("truncated.mp3", MP3[:-100], ["is truncated: its last MP3 frame is cut off"]),
    ("noise.mp3", bytes(range(256)) * 40, ["not audio in a known format"]),
    ("garbage-inside.mp3", MP3[:2000] + b"\x00\x01" * 300 + MP3[2000:],
     ["is damaged: no MP3 frame where one should start"]),
    ("vorbis.mp3", b"OggS\x00\x02" + bytes(200), ["named .mp3 but holds Ogg audio"]),
    ("photo.mp3", b"\x89PNG\r\n\x1a\n" + bytes(100), ["holds a PNG image"]),
    ("greeting.ogg", b"OggS\x00\x02" + bytes(200), ["only .wav and .mp3 files are taken",
                                                   "it holds Ogg audio"]),
    ("greeting.m4a", bytes(4) + b"ftypM4A " + bytes(100), ["MP4/M4A audio"]),
    ("greeting", GOOD_WAV, ["only .wav and .mp3 files are taken", "it holds WAV audio"]),
    ("rf64.wav", b"RF64" + GOOD_WAV[4:], ["holds RF64 (64-bit WAV) audio"]),
    ("movie.wav", b"RIFF\x00\x00\x00\x00AVI LIST", ["a RIFF file that is not WAV"]),
]


@pytest.mark.parametrize("name,data,words", REFUSED, ids=[r[0] for r in REFUSED])
def test_given_a_bad_upload_when_checked_then_refused_naming_what_is_wrong(name, data, words):
    with pytest.raises(AudioRefused) as refused:
        accept(name, data)

    message = str(refused.value)
    assert message.startswith(repr(name))
    for w in words:
        assert w in message


def test_given_refusals_about_the_format_when_read_then_they_say_what_would_be_accepted():
    for name, data, _words in REFUSED:
        if not name.startswith(("truncated", "cut-", "half-", "silent", "click", "zero",
                                "garbage")):
            with pytest.raises(AudioRefused) as refused:
                accept(name, data)
            assert ACCEPTED in str(refused.value), name


def test_given_more_than_5_mb_when_checked_then_refused_as_too_large_before_decoding():
    data = gen.id3() + b"\xff" * MAX_BYTES

    with pytest.raises(TooLarge) as refused:
        accept("long.mp3", data)

    assert str(refused.value) == (f"'long.mp3' is 5.0 MB ({len(data):,} bytes); the limit "
                                  f"is 5 MB (5,242,880 bytes)")


def test_given_a_wav_in_the_target_format_when_accepted_then_stored_byte_for_byte():
    audio = accept("greeting.WAV", GOOD_WAV)

    assert audio.wav == GOOD_WAV
    assert (audio.seconds, audio.source_format) == (1.0, "wav")


@pytest.mark.parametrize("odd", [
    gen.wav(before_data=gen.chunk(b"LIST", b"INFOISFT\x05\x00\x00\x00Lavf\x00")),
    gen.wav(before_data=gen.chunk(b"fact", b"\x40\x1f\x00\x00")),
    gen.wav(after_data=gen.chunk(b"cue ", bytes(5))),  # odd size: padded
    gen.wav(extensible=True),
], ids=["LIST", "fact", "cue-after-data", "extensible"])
def test_given_a_wav_with_odd_chunks_when_accepted_then_samples_kept_header_made_plain(odd):
    audio = accept("greeting.wav", odd)

    assert audio.wav == GOOD_WAV


@pytest.mark.parametrize("rate,channels,kbps", [(44100, 2, 128), (48000, 1, 64),
                                                (22050, 2, 64), (16000, 1, 32),
                                                (8000, 1, 16)])
def test_given_an_mp3_when_accepted_then_8khz_mono_holding_the_same_tone(rate, channels, kbps):
    data = gen.id3() + gen.mp3(freq=700, seconds=2.0, rate=rate, channels=channels, kbps=kbps) \
        + b"TAG" + bytes(125)

    audio = accept("greeting.mp3", data)

    assert audio.source_format == "mp3"
    assert accept("again.wav", audio.wav).wav == audio.wav  # what a .wav upload must be
    samples = gen.samples_of(audio.wav)
    # Encoders add a frame or two of delay and padding (576 samples each at 8 kHz).
    assert abs(len(samples) / 8000 - 2.0) < 0.2
    assert audio.seconds == pytest.approx(len(samples) / 8000, abs=0.001)
    assert gen.dominant_frequency(samples, 8000) == pytest.approx(700, abs=5)
    # A stereo file is mixed down, not summed: a 0.5 sine stays a 0.5 sine.
    assert gen.level_db(samples, 8000, 700) == pytest.approx(0, abs=1)


def test_given_a_tone_past_the_nyquist_edge_when_resampled_then_its_alias_is_inaudible():
    """4.4 kHz at 44.1 kHz is 10% above what 8 kHz can hold: a resampler that does not filter
    folds it back to 3.6 kHz, well inside the telephone band. Measured on the same input,
    miniaudio's own resampler (the one the decoder would use by default) proves the
    measurement can see aliasing."""
    import miniaudio
    data = gen.mp3(freq=4400, seconds=3.0, rate=44100, kbps=128)

    ours = gen.samples_of(accept("edge.mp3", data).wav)
    theirs = np.frombuffer(miniaudio.decode(
        data, miniaudio.SampleFormat.SIGNED16, nchannels=1, sample_rate=8000).samples,
        dtype="<i2") / 32768.0

    alias, naive = gen.level_db(ours, 8000, 3600), gen.level_db(theirs, 8000, 3600)
    print(f"\nalias of a 4.4 kHz tone at 3.6 kHz: soxr {alias:.1f} dB, "
          f"miniaudio's resampler {naive:.1f} dB (re the 0.5 input tone)")
    assert alias < -80
    assert naive > -40


def test_given_telephone_band_speech_frequencies_when_resampled_then_kept_within_half_a_db():
    for freq in (300, 1000, 3400):
        samples = gen.samples_of(accept("band.mp3", gen.mp3(freq=freq, seconds=1.0,
                                                            kbps=128)).wav)
        assert gen.level_db(samples, 8000, freq) == pytest.approx(0, abs=0.5), freq


def test_given_the_largest_mp3_accepted_when_converted_then_it_takes_seconds_not_minutes():
    loud = gen.tone(440, 320, 44100) + gen.tone(3000, 320, 44100, amplitude=0.2)
    data = gen.mp3(samples=loud, rate=44100, channels=2, kbps=128)
    assert 4.5e6 < len(data) <= MAX_BYTES

    started = time.perf_counter()
    audio = accept("hold-music.mp3", data)
    took = time.perf_counter() - started

    print(f"\n{len(data) / 1e6:.2f} MB mp3 ({audio.seconds:.0f} s, 44.1 kHz stereo) "
          f"converted in {took:.2f} s")
    assert abs(audio.seconds - 320) < 0.5
    assert took < 10


def test_given_an_mp3_longer_than_10_minutes_when_checked_then_refused_before_decoding():
    data = gen.mp3(freq=440, seconds=610, rate=8000, kbps=8)

    started = time.perf_counter()
    with pytest.raises(AudioRefused, match=r"is 10\.2 minutes long; a prompt may last at "
                                           r"most 10 minutes"):
        accept("audiobook.mp3", data)
    assert time.perf_counter() - started < 1
