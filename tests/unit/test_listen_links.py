"""Expiring signed links to a voicemail message: only links we made, unchanged and in
time, are accepted."""
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qs, urlsplit

from callctl.voicemail.links import EXPIRED, OK, TAMPERED, ListenLinks

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)
LINKS = ListenLinks(b"k" * 32, "https://pbx.example.com/", timedelta(days=7))


def parts(link: str) -> tuple[int, str, str]:
    url = urlsplit(link)
    query = parse_qs(url.query)
    return int(url.path.rsplit("/", 1)[1].removesuffix(".wav")), query["expires"][0], \
        query["sig"][0]


def test_given_a_link_then_it_points_at_the_message_and_says_when_it_expires():
    link, expires = LINKS.link(42, T0)
    assert link.startswith("https://pbx.example.com/voicemail/42.wav?expires=")
    assert expires == T0 + timedelta(days=7)
    assert parts(link)[1] == str(int(expires.timestamp()))


def test_given_a_genuine_link_in_time_then_it_is_accepted_until_it_expires():
    message, expires, sig = parts(LINKS.link(42, T0)[0])
    assert LINKS.check(message, expires, sig, T0 + timedelta(days=6, hours=23)) == OK
    assert LINKS.check(message, expires, sig, T0 + timedelta(days=7)) == EXPIRED


def test_given_a_changed_link_then_it_is_refused_as_tampered():
    message, expires, sig = parts(LINKS.link(42, T0)[0])
    later = str(int(expires) + 86400)
    assert LINKS.check(43, expires, sig, T0) == TAMPERED  # another message
    assert LINKS.check(message, later, sig, T0 + timedelta(days=7)) == TAMPERED  # longer life
    assert LINKS.check(message, expires, sig[:-1] + ("A" if sig[-1] != "A" else "B"),
                       T0) == TAMPERED
    for broken in ((None, sig), (expires, None), ("", sig), ("1e9", sig), ("-5", sig),
                   ("9" * 40, sig), (expires, "é")):
        assert LINKS.check(message, *broken, T0) == TAMPERED


def test_given_another_secret_then_its_links_are_not_ours():
    other = ListenLinks(b"o" * 32, "https://pbx.example.com", timedelta(days=7))
    message, expires, sig = parts(other.link(42, T0)[0])
    assert LINKS.check(message, expires, sig, T0) == TAMPERED
