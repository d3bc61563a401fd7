"""Prompts over HTTP: the API's routes (joined to its one route table, see http.py) and the
media route Asterisk plays prompts from.

Uploads are multipart/form-data (fields `name` and `file`), read as a stream and cut off
past the size limit (413) rather than buffered whole. Managers and admins change prompts;
operators list them and listen to them. The media route needs no token: its URLs name the
audio by its SHA-256 (see callctl/prompts/media.py) and are served to Asterisk with an ETag
and a cache lifetime of a year, since the audio behind a URL never changes.
"""
from __future__ import annotations

import asyncio
from typing import Any, Callable

from aiohttp import BodyPartReader, web

from .. import log
from ..prompts.audio import MAX_BYTES, too_large
from ..prompts.defaults import DefaultSounds
from ..prompts.media import MEDIA_PATH
from ..prompts.service import PromptError
from .openapi import Field, Problem, Route, obj, query_flag, ref

READ, CHANGE = "operator", "manager"
NAME_LIMIT = 4096  # bytes of the `name` field; the name rule then allows 128 characters
FOREVER = "public, max-age=31536000, immutable"

_S, _T = {"type": "string"}, {"type": "string", "format": "date-time"}
SCHEMAS = {
    "Prompt": obj(("name", "sha256", "seconds"), name=_S,
                  sha256={**_S, "description": "of the stored wav: the prompt's version"},
                  seconds={"type": "number"}, size={"type": "integer"},
                  original_filename=_S, original_format={"enum": ["wav", "mp3"]},
                  created_at=_T, updated_at=_T,
                  replaced={"type": "boolean", "description": "on upload: an existing "
                            "prompt's audio was replaced"}),
}
FORM = (Field("name", str, required=True, description="1 to 128 characters; case does not "
              "make two names different"),
        Field("file", bytes, required=True, description="a .wav (mono, 16-bit PCM, 8000 Hz) "
              "or an .mp3 (converted), at most 5 MB; the file name's extension counts"))
REPLACE = Field("replace", bool, description="replace the audio of an existing prompt")


def prompt_routes(prompts: Any, run) -> list[Route]:
    """`prompts` is a PromptService; `run` calls it off the event loop."""

    async def create(request: web.Request, _who, _body):
        replace = query_flag(request.query, "replace")
        name, filename, data = await read_upload(request)
        return 201, await run(prompts.add_prompt, name, filename, data, replace)

    async def list_(_request, _who, _body):
        return 200, {"prompts": await run(prompts.list_prompts)}

    async def show(request: web.Request, _who, _body):
        return 200, await run(prompts.get_prompt, request.match_info["name"])

    async def audio(request: web.Request, _who, _body):
        view, wav = await run(prompts.get_audio, request.match_info["name"])
        return 200, wav_response(request, wav, view["sha256"], "private, no-cache")

    async def delete(request: web.Request, _who, _body):
        return 200, await run(prompts.delete_prompt, request.match_info["name"])

    one, prompt = "/prompts/{name}", ref("Prompt")
    return [
        Route("POST", "/prompts", create, "Upload a prompt (.wav or .mp3)", "prompts", CHANGE,
              form=FORM, query=(REPLACE,), status=201, response=prompt,
              errors=(409, 413, 422), description="An .mp3 is decoded and resampled to 8 kHz "
              "mono once, here. A refused file (422, 413) stores nothing; the message says "
              "what is wrong and what would be accepted."),
        Route("GET", "/prompts", list_, "List prompts", "prompts", READ,
              response=obj(("prompts",), prompts={"type": "array", "items": prompt})),
        Route("GET", one, show, "Show one prompt", "prompts", READ, response=prompt,
              errors=(404,)),
        Route("GET", one + "/audio", audio, "The prompt's audio as Asterisk plays it",
              "prompts", READ, produces="audio/wav", errors=(404,),
              description="8 kHz mono 16-bit PCM wav; the ETag is its sha256."),
        Route("DELETE", one, delete, "Delete a prompt", "prompts", CHANGE, response=prompt,
              errors=(404, 409), description="Refused (409, naming where) while a menu, "
                                             "voicemail box or queue plays it."),
    ]


async def read_upload(request: web.Request) -> tuple[str, str, bytes]:
    """(name, file name, file bytes) of a multipart upload; Problem (400) or PromptError
    (413) when it is not one."""
    if request.content_type != "multipart/form-data":
        raise Problem(400, "prompt", "body", "body: send multipart/form-data with the fields "
                                             "name and file")
    fields: dict[str, Any] = {}
    reader = await request.multipart()
    while (part := await reader.next()) is not None:
        if not isinstance(part, BodyPartReader) or part.name not in ("name", "file"):
            raise Problem(400, "prompt", part.name, f"{part.name}: is not a known field "
                                                    f"(known: name, file)")
        if part.name == "file":
            fields["filename"] = part.filename or ""
            fields["file"] = await _read_capped(part, MAX_BYTES, lambda: PromptError(
                f"prompt {fields.get('name', '?')!r}", "file",
                str(too_large(repr(fields["filename"]))), code="too_large"))
        else:
            raw = await _read_capped(part, NAME_LIMIT, lambda: Problem(
                400, "prompt", "name", f"name: longer than {NAME_LIMIT} bytes"))
            try:
                fields["name"] = raw.decode("utf-8")
            except UnicodeDecodeError:
                raise Problem(400, "prompt", "name", "name: not UTF-8 text") from None
    for key in ("name", "file"):
        if key not in fields:
            raise Problem(400, "prompt", key, f"{key}: is required")
    return fields["name"], fields["filename"], fields["file"]


async def _read_capped(part: BodyPartReader, limit: int, refusal: Callable[[], Exception]):
    chunks, size = [], 0
    while chunk := await part.read_chunk(65536):
        size += len(chunk)
        if size > limit:
            raise refusal()
        chunks.append(chunk)
    return b"".join(chunks)


def wav_response(request: web.Request, wav: bytes, version: str, cache: str) -> web.Response:
    """The audio with its version as ETag; 304 when the asker has that version already."""
    etag = f'"{version}"'
    headers = {"ETag": etag, "Cache-Control": cache}
    if etag in request.headers.get("If-None-Match", ""):
        return web.Response(status=304, headers=headers)
    return web.Response(body=wav, content_type="audio/wav", headers=headers)


def mount_media(app: web.Application, prompts: Any, defaults: DefaultSounds, *,
                run=asyncio.to_thread) -> None:
    """GET (and HEAD) /media/prompts/<sha256>.wav: an uploaded prompt or a default sound,
    for Asterisk's res_http_media_cache."""

    async def serve(request: web.Request) -> web.Response:
        version = request.match_info["version"]
        wav = defaults.wavs.get(version) or await run(prompts.wav_for_version, version)
        if wav is None:
            log.event("media.not_found", version=version)
            raise web.HTTPNotFound(text="no such prompt version\n")
        response = wav_response(request, wav, version, FOREVER)
        log.event("media.served", version=version, status=response.status,
                  method=request.method)
        return response

    app.router.add_get(MEDIA_PATH + "/{version:[0-9a-f]{64}}.wav", serve)
