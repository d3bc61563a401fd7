"""PromptService on a real SQLite file: names, replace, refusals that store nothing,
deleting what is still used, the catalog the call engine plays from."""
from __future__ import annotations

import hashlib
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from callctl.directory.service import DirectoryService
from callctl.prompts import PromptError, PromptService
from callctl.prompts.media import media_base_url, sound_uri
from callctl.store.db import make_engine, sessions, upgrade
from callctl.store.directory_models import Meta
from callctl.store.prompt_models import StoredPrompt
from tests.support import audio as gen

WAV = gen.wav(freq=1000, seconds=1.0)
OTHER_WAV = gen.wav(freq=500, seconds=2.0)


class Clock:
    def __init__(self):
        self.now = datetime(2025, 3, 1, 9, 0, tzinfo=timezone.utc)

    def __call__(self):
        self.now += timedelta(minutes=1)
        return self.now


@pytest.fixture
def maker(tmp_path):
    url = f"sqlite:///{tmp_path / 'callctl.db'}"
    upgrade(url)
    engine = make_engine(url)
    yield sessions(engine)
    engine.dispose()


@pytest.fixture
def used():
    return {}  # prompt name -> where it is used


@pytest.fixture
def service(maker, used):
    return PromptService(maker, usages=lambda name: used.get(name, []),
                         on_change=DirectoryService.bump_version, clock=Clock())


def _version(maker) -> int:
    with maker() as s:
        return s.scalar(select(Meta.value).where(Meta.key == "directory_version")) or 0


def _count(maker) -> int:
    with maker() as s:
        return s.scalar(select(func.count()).select_from(StoredPrompt))


def test_given_a_wav_when_added_then_listed_shown_and_its_audio_kept_as_uploaded(service):
    made = service.add_prompt("Main greeting", "hello.wav", WAV)

    digest = hashlib.sha256(WAV).hexdigest()
    assert made == {"name": "Main greeting", "sha256": digest, "seconds": 1.0,
                    "size": len(WAV), "original_filename": "hello.wav",
                    "original_format": "wav", "created_at": "2025-03-01T09:01:00+00:00",
                    "updated_at": "2025-03-01T09:01:00+00:00", "replaced": False}
    assert service.list_prompts() == [{k: v for k, v in made.items() if k != "replaced"}]
    assert service.get_prompt("main GREETING")["name"] == "Main greeting"
    assert service.get_audio("Main greeting")[1] == WAV
    assert service.wav_for_version(digest) == WAV
    assert service.catalog() == {"Main greeting": digest}


def test_given_an_mp3_when_added_then_stored_converted(service):
    made = service.add_prompt("hold", "Hold Music.MP3", gen.mp3(freq=700, seconds=1.5))

    _view, wav = service.get_audio("hold")
    assert made["original_format"] == "mp3" and made["original_filename"] == "Hold Music.MP3"
    assert made["sha256"] == hashlib.sha256(wav).hexdigest()
    assert gen.dominant_frequency(gen.samples_of(wav), 8000) == pytest.approx(700, abs=5)


def test_given_an_existing_name_in_any_case_when_added_again_then_refused_unless_replace(
        service, maker):
    first = service.add_prompt("Greeting", "a.wav", WAV)

    with pytest.raises(PromptError) as refused:
        service.add_prompt("  GREETING ", "b.wav", OTHER_WAV)
    assert refused.value.code == "conflict"
    assert str(refused.value) == ("prompt 'GREETING': name: a prompt named 'Greeting' exists "
                                  "(replace it to change its audio)")
    assert service.get_audio("Greeting")[1] == WAV

    again = service.add_prompt("greeting", "b.wav", OTHER_WAV, replace=True)
    assert again["replaced"] is True and again["name"] == "Greeting"
    assert again["sha256"] != first["sha256"] and again["seconds"] == 2.0
    assert again["created_at"] == first["created_at"] < again["updated_at"]
    assert service.catalog() == {"Greeting": again["sha256"]}
    assert service.wav_for_version(first["sha256"]) is None  # the old URL serves nothing
    assert _count(maker) == 1


def test_given_a_refused_upload_when_added_then_nothing_is_stored_or_bumped(service, maker):
    service.add_prompt("kept", "a.wav", WAV)
    before = _version(maker)

    for filename, data, code in (("stereo.wav", gen.wav(channels=2), "invalid"),
                                 ("notes.mp3", b"hello", "invalid"),
                                 ("big.mp3", b"\xff" * (5 * 1024 * 1024 + 1), "too_large")):
        with pytest.raises(PromptError) as refused:
            service.add_prompt("kept", filename, data, replace=True)
        assert (refused.value.entity, refused.value.field, refused.value.code) == \
            ("prompt 'kept'", "file", code)

    assert _version(maker) == before
    assert service.get_audio("kept")[1] == WAV


@pytest.mark.parametrize("name,problem", [  # the project's one rule (domain/names.py)
    ("", "must not be empty"), ("   ", "must not be empty"),
    ("a" * 129, "at most 128 characters (got 129)"),
    ("line\nbreak", "control character U+000A at position 5"),
    ("zero\u200bwidth", "invisible formatting character U+200B"),
    ("bell\x07", "control character U+0007"), (None, "must be text"),
])
def test_given_a_bad_name_when_added_then_refused_saying_why(service, maker, name, problem):
    with pytest.raises(PromptError) as refused:
        service.add_prompt(name, "a.wav", WAV)
    assert (refused.value.entity, refused.value.field) == ("prompt", "name")
    assert problem in refused.value.message
    assert _count(maker) == 0


def test_given_a_prompt_still_used_when_deleted_then_refused_saying_where(service, used):
    service.add_prompt("Main greeting", "a.wav", WAV)
    used["Main greeting"] = ["menu 'Main' greets with it", "voicemail 'Sales' plays it"]

    with pytest.raises(PromptError) as refused:
        service.delete_prompt("main greeting")

    assert refused.value.code == "in_use"
    assert refused.value.usages == used["Main greeting"]
    assert "still used: menu 'Main' greets with it; voicemail 'Sales' plays it" in \
        str(refused.value)
    assert service.get_prompt("Main greeting")

    used.clear()
    assert service.delete_prompt("Main greeting")["name"] == "Main greeting"
    assert service.list_prompts() == [] and service.catalog() == {}


def test_given_no_such_prompt_when_asked_then_not_found(service):
    for call in (lambda: service.get_prompt("nope"), lambda: service.delete_prompt("nope"),
                 lambda: service.get_audio("bad\x00name")):
        with pytest.raises(PromptError) as refused:
            call()
        assert refused.value.code == "not_found"


def test_given_a_change_when_made_then_the_directory_version_moves_so_a_daemon_reloads(
        service, maker):
    before = _version(maker)
    service.add_prompt("a", "a.wav", WAV)
    service.delete_prompt("a")
    assert _version(maker) == before + 2


def test_given_the_catalog_when_asking_for_a_prompt_then_the_sound_uri_names_its_version(
        service):
    made = service.add_prompt("Main greeting", "a.wav", WAV)
    base = media_base_url(None, "0.0.0.0", 8090)

    uri = sound_uri(service.catalog(), base, "Main greeting")

    assert uri == f"sound:http://127.0.0.1:8090/media/prompts/{made['sha256']}.wav"
    with pytest.raises(KeyError):
        sound_uri(service.catalog(), base, "Unknown")


def test_given_media_url_settings_when_deriving_the_base_then_asterisk_gets_a_reachable_one():
    assert media_base_url("http://10.0.0.5:8090/", "0.0.0.0", 1) == "http://10.0.0.5:8090"
    assert media_base_url(None, "192.0.2.7", 8090) == "http://192.0.2.7:8090"
    assert media_base_url(None, "::", 8090) == "http://127.0.0.1:8090"
    assert media_base_url(None, "::1", 8090) == "http://[::1]:8090"
