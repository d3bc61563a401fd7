"""Listening from the command line: `callctl calls show` lists a call's voicemail message
and who was told, `callctl calls recording ID -o FILE` writes its audio."""
from datetime import datetime, timedelta, timezone

import pytest

from callctl.cli import main
from callctl.store.calls import CallLog
from callctl.store.db import make_engine, sessions, upgrade
from callctl.store.messages import Messages
from callctl.store.notifications import Outbox
from tests.support.audio import wav

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)  # 10:00 in Berlin
AUDIO = wav(1000, 3.0)


@pytest.fixture
def calls(tmp_path, monkeypatch):
    config = tmp_path / "callctl.yaml"
    config.write_text("ari: {password: secret}\nami: {secret: secret}\n"
                      "project: {timezone: Europe/Berlin}\n")
    monkeypatch.setenv("CALLCTL_CONFIG", str(config))
    url = f"sqlite:///{tmp_path / 'callctl.db'}"
    upgrade(url)
    engine = make_engine(url)
    maker = sessions(engine)
    log = CallLog(maker)
    log.started("vm", "inbound", "+15550101", "+15557654321", T0)
    log.voicemail_started("vm", "General")
    log.ended("vm", "voicemail", T0 + timedelta(seconds=20))
    log.started("plain", "inbound", "+15550101", "+15557654321", T0)
    log.ended("plain", "missed", T0 + timedelta(seconds=20))
    message = Messages(maker).add("vm", "General", "callctl-vm-vm", 3.0, AUDIO,
                                  T0 + timedelta(seconds=15))
    outbox = Outbox(maker)
    outbox.queue(message, [("email", "alice@example.com"), ("sms", "+15550142")], T0)
    [email, sms] = outbox.due(T0)
    outbox.claim(email, T0)
    outbox.sent(email.id, T0)
    outbox.claim(sms, T0)
    outbox.failed(sms.id, "gateway answered HTTP 402: quota", T0 + timedelta(minutes=1), T0)
    yield tmp_path
    engine.dispose()


def run(capsys, *argv):
    code = main(["calls", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_given_a_call_with_a_message_when_shown_then_the_message_and_who_was_told(
        calls, capsys):
    code, out, _ = run(capsys, "show", "vm")
    assert code == 0
    lines = out.splitlines()
    at = lines.index("voicemail message: box General, 3.0 s, left 2026-11-23 10:00:15 "
                     "(callctl calls recording vm -o FILE)")
    assert lines[at + 1].split() == ["channel", "recipient", "state", "attempts", "last",
                                     "error"]
    assert lines[at + 2].split() == ["email", "alice@example.com", "sent", "1"]
    assert lines[at + 3].split() == ["sms", "+15550142", "pending", "1", "gateway",
                                     "answered", "HTTP", "402:", "quota"]


def test_given_a_call_with_a_message_when_shown_as_json_then_the_message_is_in_it(
        calls, capsys):
    import json
    code, out, _ = run(capsys, "show", "vm", "--json")
    message = json.loads(out)["message"]
    assert (message["box"], message["seconds"], message["recorded_at"]) == \
        ("General", 3.0, "2026-11-23T10:00:15+01:00")
    assert [n["state"] for n in message["notifications"]] == ["sent", "pending"]
    code, out, _ = run(capsys, "show", "plain", "--json")
    assert json.loads(out)["message"] is None


def test_given_a_message_when_written_then_the_file_holds_its_audio(calls, capsys):
    target = calls / "message.wav"
    code, out, _ = run(capsys, "recording", "vm", "-o", str(target))
    assert code == 0 and out.strip() == f"{target}: 3.0 s from voicemail box General"
    assert target.read_bytes() == AUDIO


@pytest.mark.parametrize("call_id, output, message", [
    ("plain", "x.wav", "callctl: calls recording: call 'plain' has no voicemail message"),
    ("nope", "x.wav", "callctl: calls recording: no call with id 'nope'"),
    ("vm", "missing-folder/x.wav", "callctl: --output: {dir}/missing-folder/x.wav: cannot "
                                   "write: No such file or directory"),
])
def test_given_bad_input_when_writing_then_exit_2_naming_it_and_no_file(
        calls, capsys, call_id, output, message):
    code, out, err = run(capsys, "recording", call_id, "-o", str(calls / output))
    assert (code, out) == (2, "")
    assert err.strip() == message.format(dir=calls)
    assert not (calls / output).exists()
