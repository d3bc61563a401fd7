"""Prompts over HTTP: managers upload (multipart/form-data) and delete, operators list and
listen; refusals say what is wrong and store nothing; the media route serves Asterisk by
content version, with an ETag it can revalidate."""
from __future__ import annotations

import hashlib

import pytest
from aiohttp import FormData, web
from aiohttp.test_utils import TestClient, TestServer

from callctl.api.prompts import mount_media
from callctl.prompts.defaults import load_defaults
from tests.support import audio as gen

WAV = gen.wav(freq=1000, seconds=1.0)


def form(name: str | None, filename: str | None, data: bytes | None) -> FormData:
    f = FormData(default_to_multipart=True)
    if name is not None:
        f.add_field("name", name)
    if data is not None:
        f.add_field("file", data, filename=filename, content_type="application/octet-stream")
    return f


async def upload(company, who, name, filename, data, query=""):
    return await company.call("POST", "/prompts" + query, who, data=form(name, filename, data))


async def test_given_a_manager_when_uploading_an_mp3_then_201_and_operators_can_list_it(
        company):
    status, body = await upload(company, company.manager, "Main greeting", "hello.mp3",
                                gen.mp3(freq=700, seconds=1.0))

    assert status == 201
    assert (body["name"], body["original_format"], body["replaced"]) == \
        ("Main greeting", "mp3", False)
    status, listed = await company.call("GET", "/prompts", company.operator)
    assert status == 200 and [p["name"] for p in listed["prompts"]] == ["Main greeting"]
    status, shown = await company.call("GET", "/prompts/main%20greeting", company.operator)
    assert status == 200 and shown["sha256"] == body["sha256"]


async def test_given_an_operator_when_uploading_or_deleting_then_403_and_nothing_changes(
        company):
    await upload(company, company.manager, "kept", "a.wav", WAV)

    status, body = await upload(company, company.operator, "new", "a.wav", WAV)
    assert status == 403 and "needs the manager access level" in body["error"]["message"]
    status, _ = await company.call("DELETE", "/prompts/kept", company.operator)
    assert status == 403
    assert [p["name"] for p in company.prompts.list_prompts()] == ["kept"]


async def test_given_the_audio_route_when_fetched_then_the_stored_wav_with_its_version(
        company):
    _, made = await upload(company, company.manager, "greeting", "a.wav", WAV)
    headers = {"Authorization": f"Bearer {company.operator['token']}"}

    async with company.client.get("/api/v1/prompts/greeting/audio", headers=headers) as r:
        assert r.status == 200 and r.content_type == "audio/wav"
        assert await r.read() == WAV
        assert r.headers["ETag"] == f'"{made["sha256"]}"'
    async with company.client.get("/api/v1/prompts/greeting/audio", headers={
            **headers, "If-None-Match": f'"{made["sha256"]}"'}) as r:
        assert r.status == 304


@pytest.mark.parametrize("filename,data,status,words", [
    ("stereo.wav", gen.wav(channels=2), 422, "'stereo.wav' cannot be played as it is: stereo"),
    ("cd.wav", gen.wav(rate=44100), 422, "44100 Hz (must be 8000 Hz)"),
    ("song.wav", gen.mp3(), 422, "named .wav but holds MP3 audio"),
    ("notes.mp3", b"hello", 422, "named .mp3 but holds text, not audio"),
    ("empty.wav", b"", 422, "'empty.wav' is empty (0 bytes)"),
    ("big.mp3", b"\xff" * (5 * 1024 * 1024 + 1), 413, "'big.mp3' is larger; the limit is 5 MB"),
    ("greeting.ogg", b"OggS" + bytes(100), 422, "only .wav and .mp3 files are taken"),
    ("", WAV, 422, "the upload has no file name"),
])
async def test_given_a_bad_upload_when_posted_then_4xx_naming_the_problem_and_nothing_stored(
        company, filename, data, status, words):
    got, body = await upload(company, company.manager, "x", filename, data)

    assert got == status
    assert (body["error"]["entity"], body["error"]["field"]) == ("prompt 'x'", "file")
    assert words in body["error"]["message"]
    assert company.prompts.list_prompts() == []


@pytest.mark.parametrize("name,filename,data,field", [
    (None, "a.wav", WAV, "name"), ("x", None, None, "file"),
])
async def test_given_a_form_missing_a_field_when_posted_then_400_naming_it(
        company, name, filename, data, field):
    status, body = await upload(company, company.manager, name, filename, data)

    assert status == 400 and body["error"]["field"] == field
    assert body["error"]["message"] == f"{field}: is required"


async def test_given_json_instead_of_a_form_when_posted_then_400_saying_what_to_send(company):
    status, body = await company.call("POST", "/prompts", company.manager,
                                      json={"name": "x", "file": "a.wav"})

    assert status == 400
    assert body["error"]["message"] == ("body: send multipart/form-data with the fields name "
                                        "and file")


async def test_given_an_existing_name_when_uploaded_then_409_unless_replace(company):
    _, first = await upload(company, company.manager, "greeting", "a.wav", WAV)

    status, body = await upload(company, company.manager, "Greeting", "b.wav",
                                gen.wav(freq=400))
    assert status == 409 and "replace it to change its audio" in body["error"]["message"]

    status, body = await upload(company, company.admin, "Greeting", "b.wav",
                                gen.wav(freq=400), query="?replace=true")
    assert status == 201 and body["replaced"] is True and body["sha256"] != first["sha256"]


async def test_given_a_prompt_when_deleted_then_gone_and_a_second_delete_is_404(company):
    await upload(company, company.manager, "greeting", "a.wav", WAV)

    status, body = await company.call("DELETE", "/prompts/greeting", company.manager)
    assert status == 200 and body["name"] == "greeting"
    status, body = await company.call("DELETE", "/prompts/greeting", company.manager)
    assert status == 404 and body["error"]["message"] == "prompt 'greeting': name: not found"


async def test_given_openapi_when_reading_the_upload_then_it_is_a_multipart_form(company):
    async with company.client.get("/api/v1/openapi.json") as r:
        doc = await r.json()
    post = doc["paths"]["/api/v1/prompts"]["post"]
    schema = post["requestBody"]["content"]["multipart/form-data"]["schema"]

    assert schema["required"] == ["name", "file"]
    assert schema["properties"]["file"]["contentMediaType"] == "application/octet-stream"
    assert set(post["responses"]) == {"201", "400", "401", "403", "409", "413", "422"}
    audio = doc["paths"]["/api/v1/prompts/{name}/audio"]["get"]["responses"]["200"]
    assert list(audio["content"]) == ["audio/wav"]


@pytest.fixture
async def media(company):
    """The daemon's root application as Asterisk sees it: the media route, no token."""
    app = web.Application()
    defaults = load_defaults()
    mount_media(app, company.prompts, defaults)
    client = TestClient(TestServer(app))
    await client.start_server()
    client.defaults = defaults
    yield client
    await client.close()


async def test_given_a_prompt_when_asterisk_fetches_its_url_then_served_cacheable_by_version(
        company, media):
    _, made = await upload(company, company.manager, "greeting", "a.wav", WAV)
    url = f"/media/prompts/{made['sha256']}.wav"

    async with media.get(url) as r:
        assert r.status == 200 and await r.read() == WAV
        assert r.headers["Content-Type"] == "audio/wav"
        assert r.headers["ETag"] == f'"{made["sha256"]}"'
        assert "max-age=31536000" in r.headers["Cache-Control"]
    # res_http_media_cache revalidates with a HEAD carrying If-None-Match.
    async with media.head(url, headers={"If-None-Match": f'"{made["sha256"]}"'}) as r:
        assert r.status == 304


async def test_given_a_replaced_prompt_when_the_old_url_is_fetched_then_404_new_url_new_audio(
        company, media):
    _, old = await upload(company, company.manager, "greeting", "a.wav", WAV)
    new_wav = gen.wav(freq=400)
    _, new = await upload(company, company.manager, "greeting", "b.wav", new_wav,
                          query="?replace=true")

    async with media.get(f"/media/prompts/{old['sha256']}.wav") as r:
        assert r.status == 404
    async with media.get(f"/media/prompts/{new['sha256']}.wav") as r:
        assert await r.read() == new_wav


async def test_given_a_default_sound_when_fetched_then_served_like_an_upload(media):
    version = media.defaults.catalog["voicemail-closed"]

    async with media.get(f"/media/prompts/{version}.wav") as r:
        assert r.status == 200
        assert hashlib.sha256(await r.read()).hexdigest() == version


@pytest.mark.parametrize("path", ["/media/prompts/" + "0" * 64 + ".wav",
                                  "/media/prompts/not-a-version.wav",
                                  "/media/prompts/" + "A" * 64 + ".wav"])
async def test_given_an_unknown_or_malformed_version_when_fetched_then_404(media, path):
    async with media.get(path) as r:
        assert r.status == 404


async def test_given_a_file_just_under_5_mb_when_uploaded_then_taken_whole(company):
    big = gen.wav(freq=440, seconds=320)  # 5,120,044 bytes: past aiohttp's 1 MB body default
    assert 5_000_000 < len(big) <= 5 * 1024 * 1024

    status, body = await upload(company, company.manager, "hold music", "hold.wav", big)

    assert status == 201 and body["size"] == len(big) and body["seconds"] == 320.0
    assert company.prompts.get_audio("hold music")[1] == big
