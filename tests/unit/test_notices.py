"""What a voicemail notification says, and when a failed one is tried again (pure)."""
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from callctl.domain.notices import Notice, RetryPolicy, render, template_problem

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)  # 10:00 in Berlin
BERLIN = ZoneInfo("Europe/Berlin")
NOTICE = Notice(7, "call-7", "General", "+15557654321", "Jane Roe", "+15550101", 3.4, T0,
                "https://pbx.example.com/voicemail/7.wav?expires=1&sig=x",
                T0 + timedelta(days=7))


def test_given_failures_when_retried_then_the_wait_doubles_up_to_the_cap():
    policy = RetryPolicy(first=30, cap=300, give_up=86400)
    assert [policy.delay(n) for n in range(1, 7)] == [30, 60, 120, 240, 300, 300]


def test_given_a_failure_before_the_deadline_then_the_next_try_is_after_the_delay():
    policy = RetryPolicy(first=30, cap=300, give_up=3600)
    assert policy.next_attempt(2, T0, T0 + timedelta(minutes=5)) == \
        T0 + timedelta(minutes=5, seconds=60)


def test_given_the_deadline_is_near_when_retried_then_the_last_try_lands_on_it():
    policy = RetryPolicy(first=30, cap=300, give_up=3600)
    assert policy.next_attempt(9, T0, T0 + timedelta(minutes=58)) == T0 + timedelta(hours=1)


def test_given_a_failure_at_or_after_the_deadline_then_it_gives_up():
    policy = RetryPolicy(first=30, cap=300, give_up=3600)
    assert policy.next_attempt(12, T0, T0 + timedelta(hours=1)) is None
    # A notification first tried long after it was queued (the daemon was down) gets one try
    assert policy.next_attempt(1, T0, T0 + timedelta(days=3)) is None


def test_given_naive_times_as_sqlite_returns_them_then_they_are_read_as_utc():
    policy = RetryPolicy(first=10, cap=10, give_up=60)
    naive = T0.replace(tzinfo=None)
    assert policy.next_attempt(1, naive, T0) == T0 + timedelta(seconds=10)


def test_given_a_message_then_the_email_names_caller_number_local_time_length_and_link():
    body = NOTICE.email_body(BERLIN)
    assert NOTICE.subject() == "Voicemail from Jane Roe <+15557654321> (0:03)"
    assert "Caller:   Jane Roe <+15557654321>" in body
    assert "Dialled:  +15550101" in body
    assert "Time:     2026-11-23 10:00 (Europe/Berlin)" in body
    assert "Length:   0:03" in body
    assert "the link works until 2026-11-30 10:00" in body
    assert f"    {NOTICE.link}\n" in body
    assert "voicemail box 'General'" in body and "call call-7" in body


def test_given_an_unknown_caller_then_the_email_says_so():
    anonymous = Notice(1, "c", "General", "", None, "+15550101", 61, T0, "l", T0)
    assert anonymous.subject() == "Voicemail from an unknown number (1:01)"


def test_given_a_recipient_then_the_sms_fields_fill_every_placeholder():
    fields = NOTICE.fields(BERLIN, "+15550142")
    assert fields == {
        "recipient": "+15550142", "caller": "+15557654321", "caller_name": "Jane Roe",
        "number": "+15550101", "box": "General", "seconds": "3", "time": "2026-11-23 10:00",
        "link": NOTICE.link,
        "text": f"Voicemail from +15557654321 to +15550101, 3 s, 2026-11-23 10:00: "
                f"{NOTICE.link}"}
    assert render("to={recipient}&msg={text}", fields).startswith("to=+15550142&msg=Voice")


def test_given_gateway_templates_then_unknown_placeholders_and_stray_braces_are_named():
    assert template_problem("https://sms.example.com/send?to={recipient}") is None
    assert template_problem('{{"literal": true}} {link}') is None
    assert template_problem("{recipent}").startswith("unknown placeholder {recipent} (known: "
                                                     "{recipient}, {caller}")
    assert "write a literal brace as {{ or }}" in template_problem("{recipient")
