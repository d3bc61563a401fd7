"""Prompts heard at a real phone: an mp3 uploaded through the daemon's API is played by the
sandbox Asterisk from the daemon's media URL (res_http_media_cache) within a second, a
replaced prompt plays its new audio, and the default sounds play.

The call engine that will play prompts in calls is being built separately, so the test
drives Asterisk itself: a Stasis app of its own originates a call to Alice's phone and
plays the URL the engine's helper (media.sound_uri) makes from the API's answer.
"""
from __future__ import annotations

import asyncio
import threading
import time
import uuid

import aiohttp
import pytest

from callctl.prompts.defaults import DEFAULTS, load_defaults
from callctl.prompts.media import media_base_url, sound_uri
from tests.support import audio as gen
from tests.support.phones import CLOCK_RATE, tone_present
from tests.support.stasis import StasisApp

from .conftest import cli

pytestmark = pytest.mark.integration


@pytest.fixture
def stasis(asterisk):
    app = StasisApp(asterisk, "prompt-test")
    yield app
    app.close()


@pytest.fixture
def manager_token(daemon):
    cli(daemon.path, "employees", "edit", "Bob Jones", "--access", "manager")
    return cli(daemon.path, "tokens", "create", "Bob Jones")["token"]


def upload(daemon, token: str, name: str, filename: str, data: bytes, replace=False) -> dict:
    """POST /api/v1/prompts as multipart/form-data, as a browser or curl -F would."""
    async def post():
        form = aiohttp.FormData(default_to_multipart=True)
        form.add_field("name", name)
        form.add_field("file", data, filename=filename)
        url = f"http://127.0.0.1:{daemon.config['http']['port']}/api/v1/prompts"
        async with aiohttp.ClientSession() as session, session.post(
                url, data=form, params={"replace": "true"} if replace else {},
                headers={"Authorization": f"Bearer {token}"}) as r:
            assert r.status == 201, await r.text()
            return await r.json()
    return asyncio.run(post())


def answered_call(stasis: StasisApp, phone, login: str):
    """A channel to `phone`, answered, sitting in the test's Stasis app."""
    channel = f"prompt-test-{uuid.uuid4().hex[:8]}"
    stasis.request("POST", "/channels", endpoint=f"PJSIP/{login}", app=stasis.app,
                   channelId=channel)
    incoming = phone.wait_incoming(timeout=5)
    incoming.answer()
    incoming.wait_state("CONFIRMED")
    stasis.wait("StasisStart", channel=channel)
    return channel, incoming


def play(stasis: StasisApp, channel: str, media: str) -> tuple[float, str]:
    """Starts `media` on the channel; (when Asterisk said it started, playback id)."""
    playback = stasis.request("POST", f"/channels/{channel}/play", media=media)["id"]
    started_at, _ev = stasis.wait("PlaybackStarted", playback=playback)
    return started_at, playback


def media_base(daemon) -> str:
    http = daemon.config["http"]
    return media_base_url(None, http.get("host", "127.0.0.1"), http["port"])


def upload_and_play(daemon, stasis, call, channel, token, freq, **upload_args):
    """Uploads a tone, plays its URL at once while the phone records; returns (the prompt,
    its URI, seconds from the upload's answer until the phone hears the tone, samples)."""
    box = {}

    def record():
        box["samples"] = call.record(4.0)
        box["ended"] = time.monotonic()  # a hair after the last sample: errs on the slow side
    recorder = threading.Thread(target=record)
    recorder.start()
    made = upload(daemon, token, **upload_args)
    uploaded_at = time.monotonic()
    uri = sound_uri({made["name"]: made["sha256"]}, media_base(daemon), made["name"])
    _started, playback = play(stasis, channel, uri)
    recorder.join()
    stasis.request("DELETE", f"/playbacks/{playback}")
    # The first 50 ms window (in 10 ms steps) the tone dominates: within ~20 ms of its start.
    samples, window, step = box["samples"], CLOCK_RATE // 20, CLOCK_RATE // 100
    onset = next((i for i in range(0, len(samples) - window, step)
                  if tone_present(samples[i:i + window], CLOCK_RATE, freq)), None)
    assert onset is not None, f"the phone never heard {freq} Hz"
    heard = box["ended"] - (len(samples) - onset) / CLOCK_RATE - uploaded_at
    return made, uri, heard, samples[onset:]


def test_given_an_uploaded_mp3_when_played_at_once_then_heard_within_a_second_also_replaced(
        daemon, registered, stasis, manager_token, ari):
    alice = registered["alice"]
    channel, call = answered_call(stasis, alice, daemon.accounts["alice"][0])
    try:
        # 44.1 kHz stereo and 48 kHz mono mp3s: decoded and resampled at upload.
        made, uri, heard, samples = upload_and_play(
            daemon, stasis, call, channel, manager_token, 1200, name="Main greeting",
            filename="greeting.mp3", data=gen.mp3(freq=1200, seconds=6, channels=2))
        daemon.wait_log("media.served", version=made["sha256"], status="200")
        assert tone_present(samples, CLOCK_RATE, 1200)
        assert not tone_present(samples, CLOCK_RATE, 700)

        replaced, new_uri, heard_again, samples = upload_and_play(
            daemon, stasis, call, channel, manager_token, 700, name="Main greeting",
            filename="new.mp3", data=gen.mp3(freq=700, seconds=6, rate=48000, kbps=96),
            replace=True)
        assert replaced["replaced"] and new_uri != uri
        assert tone_present(samples, CLOCK_RATE, 700)  # the new audio, not a stale cache
        assert not tone_present(samples, CLOCK_RATE, 1200)
        print(f"\nupload answered -> tone heard at the phone: {heard * 1000:.0f} ms; "
              f"after a replace: {heard_again * 1000:.0f} ms")
        assert heard < 1.0 and heard_again < 1.0
    finally:
        stasis.request("DELETE", f"/channels/{channel}")
        call.wait_disconnected()
    ari.assert_clean()


def test_given_the_default_sounds_when_played_then_asterisk_plays_each_without_failing(
        daemon, registered, stasis, ari):
    defaults = load_defaults()
    alice = registered["alice"]
    # Every core sound a default names is on Asterisk's disk.
    for d in DEFAULTS:
        if d.core:
            assert stasis.request("GET", f"/sounds/{d.core}")["id"] == d.core
    channel, call = answered_call(stasis, alice, daemon.accounts["alice"][0])
    try:
        for key in ("ivr-timeout", "ivr-invalid"):
            _started, playback = play(stasis, channel, defaults.uri(media_base(daemon), key))
            samples = call.record(1.0)
            assert (sum(x * x for x in samples) / len(samples)) ** 0.5 > 200, key  # speech
            _at, finished = stasis.wait("PlaybackFinished", timeout=10, playback=playback)
            assert finished["playback"]["state"] == "done", key
    finally:
        stasis.request("DELETE", f"/channels/{channel}")
        call.wait_disconnected()
    ari.assert_clean()
