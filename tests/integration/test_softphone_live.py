"""The softphone in the page: Carol's "on PC" SIP account registers from Chromium over
WebSocket (JsSIP) to the sandbox Asterisk, with WebRTC media (DTLS-SRTP, ICE). Chromium's
fake microphone plays a 1 kHz tone; the pjsua2 phone at the other end listens for it."""
from __future__ import annotations

from tests.support.browser import BROWSER_TONE_HZ
from tests.support.workspace import carol, chromium, shot, staff  # noqa: F401 (fixtures)


def call_state(page, text: str) -> None:
    page.wait_for_selector(f"[data-testid=phone-call-state]:has-text('{text}')")


def test_given_the_page_softphone_when_carol_calls_bob_then_he_hears_her_and_the_buttons_work(
        daemon, carol, registered):
    carol.fill("[data-testid=dial]", "102")
    carol.click(".dial button")
    at_bob = registered["bob"].wait_incoming(timeout=10)
    assert at_bob.remote_user == "103"  # Carol's extension, as callctl shows colleagues
    at_bob.answer()
    call_state(carol, "talking")
    assert at_bob.hears_tone(BROWSER_TONE_HZ)  # her microphone, through DTLS-SRTP
    carol.click("text=Mute")
    carol.wait_for_selector("button:has-text('Unmute')")
    assert not at_bob.hears_tone(BROWSER_TONE_HZ, seconds=1.0)
    carol.click("text=Unmute")
    assert at_bob.hears_tone(BROWSER_TONE_HZ)
    carol.click(".keypad >> text=5")
    carol.click(".keypad >> text=#")
    registered["bob"].lab.wait_for(lambda: at_bob.dtmf_received == "5#", 5)
    assert at_bob.dtmf_received == "5#"
    carol.click("text=Hang up")
    at_bob.wait_disconnected(timeout=5)
    carol.wait_for_selector("[data-testid=phone-call]", state="detached")
    daemon.wait_log("call.ended", outcome="answered")


def test_given_bob_calls_carols_extension_then_the_page_rings_answers_and_holds(
        daemon, staff, carol, registered):
    call = registered["bob"].call("103")
    call_state(carol, "ringing")
    shot(carol, "softphone")
    carol.click("button.answer")
    call.wait_state("CONFIRMED")
    call_state(carol, "talking")
    assert call.hears_tone(BROWSER_TONE_HZ)
    carol.click("text=Hold")
    carol.wait_for_selector("button:has-text('Resume')")
    assert not call.hears_tone(BROWSER_TONE_HZ, seconds=1.0)
    carol.click("text=Resume")
    assert call.hears_tone(BROWSER_TONE_HZ)
    call.hangup()
    carol.wait_for_selector("[data-testid=phone-call]", state="detached")
    daemon.wait_log("call.ended", outcome="answered")
