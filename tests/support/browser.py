"""Real headless Chromium (Debian's package) driven by Playwright, for the workspace page.

Playwright never downloads a browser here: it starts /usr/bin/chromium through
`executable_path`. The flags keep Chromium off the network (this machine has none) and give
the softphone a microphone: a fake capture device playing a file of our own (a tone the
SIP phone at the other end can detect), with the permission prompt answered yes.
"""
from __future__ import annotations

import json
import shutil
import urllib.request
import wave
from pathlib import Path

import numpy as np
from playwright.sync_api import Browser, Page, sync_playwright

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
         # WebRTC on one machine: let ICE use loopback, with plain (not mDNS) candidates
         "--allow-loopback-in-peer-connection",
         "--disable-features=WebRtcHideLocalIpsWithMdns"]
BROWSER_TONE_HZ = 1000  # what the page's fake microphone plays


def tone_wav(path: Path, freq: float = BROWSER_TONE_HZ, seconds: float = 10,
             rate: int = 48000) -> Path:
    t = np.arange(int(seconds * rate)) / rate
    samples = (0.5 * 32767 * np.sin(2 * np.pi * freq * t)).astype("<i2")
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(samples.tobytes())
    return path


class Chromium:
    """One Chromium for a test module; a fresh context (cookies, storage) per page."""

    def __init__(self, workdir: Path):
        self._pw = sync_playwright().start()
        audio = tone_wav(workdir / "microphone.wav")
        self.browser: Browser = self._pw.chromium.launch(
            executable_path=CHROMIUM, headless=True,
            args=[*FLAGS, f"--use-file-for-fake-audio-capture={audio}"])

    def page(self, base_url: str) -> Page:
        context = self.browser.new_context(base_url=base_url, viewport={"width": 1400,
                                                                         "height": 900})
        page = context.new_page()
        page.set_default_timeout(10_000)
        return page

    def close(self) -> None:
        self.browser.close()
        self._pw.stop()


def sign_in(page: Page, email: str, password: str) -> Page:
    page.goto("/workspace/")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_selector("[data-testid=who]")
    return page


def http(method: str, url: str, body=None, headers: dict | None = None):
    """(status, JSON body) of a plain request, errors included."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method, headers={
        "Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=10) as resp:
            return resp.status, json.loads(resp.read() or b"null")
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read() or b"null")
