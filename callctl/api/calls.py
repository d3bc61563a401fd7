"""Calls over HTTP: one call of the log and its voicemail message, for the API's one route
table (see http.py), and the page behind the link in a voicemail notification.

Who may see which call is domain/call_access.py's rule (admin: all; manager: their
department's; operator: their own and those their voicemail boxes tell them of); a call
outside it answers 403 saying what the level covers. The notification's link needs no
token: its signature is the permission, and it expires (voicemail/links.py).
"""
from __future__ import annotations

import asyncio
from datetime import datetime, timezone
from typing import Any, Callable

from aiohttp import web

from .. import log
from ..store.calls import UnknownCall
from ..voicemail.links import EXPIRED, LINK_PATH, OK, ListenLinks
from ..voicemail.listening import Asker, NoMessage, NotAllowed
from .openapi import Problem, Route, obj, ref

READ = "operator"  # the weakest level; the rule above narrows what each one sees

_S, _SN, _N = {"type": "string"}, {"type": ["string", "null"]}, {"type": ["number", "null"]}
_T = {"type": ["string", "null"], "format": "date-time"}
SCHEMAS = {
    "Call": obj(("id", "started_at", "outcome", "legs", "message"), id=_S, started_at=_T,
                direction=_S, number=_S, caller=_S, scheme=_SN, branch=_SN, answered_by=_SN,
                department=_SN, answered_leg=_SN, answered_at=_T, ended_at=_T,
                ring_seconds=_N, talk_seconds=_N, outcome=_S, detail=_SN, category=_SN,
                value=_SN, comment=_SN,
                legs={"type": "array", "items": obj(
                    ("target",), target=_S, employee=_SN, channel=_SN, rang_from=_T,
                    rang_to=_T, result=_SN, reason=_SN)},
                message={"oneOf": [{"type": "null"}, ref("VoiceMessage")]},
                transfers={"type": "array", "items": obj(
                    ("seq", "mode", "via", "transferer", "to"), seq={"type": "integer"},
                    mode={"enum": ["blind", "attended"]},
                    via={"enum": ["keypad", "refer", "api"]}, transferer=_S, to=_S,
                    rang=_SN, result=_SN, recipient=_SN, started_at=_T, ended_at=_T,
                    detail=_SN)},
                parties={"type": "array", "description": "everyone who talked, in order: "
                         "the caller, who answered, each transfer's recipient", "items": obj(
                             ("who", "how"), who=_S, how=_S, talk_from=_T, talk_to=_T,
                             talk_seconds=_N)}),
    "VoiceMessage": obj(
        ("box", "seconds", "recorded_at", "notifications"), box=_S, seconds={"type": "number"},
        recorded_at=_T, recording={**_S, "description": "where its audio is: GET it as "
                                   "audio/wav with the same token"},
        notifications={"type": "array", "items": obj(
            ("channel", "recipient", "state"), channel={"enum": ["email", "sms"]},
            recipient=_S, state={"enum": ["pending", "sent", "failed"]},
            attempts={"type": "integer"}, last_error=_SN, finished_at=_T)}),
}


def call_routes(listening: Any, run) -> list[Route]:
    """`listening` is a voicemail.listening.Listening; `run` calls it off the event loop."""

    async def show(request: web.Request, who, _body):
        call_id = request.match_info["id"]
        doc = await _ask(run, listening.show, call_id, who)
        if doc["message"] is not None:
            doc["message"]["recording"] = f"/api/v1/calls/{call_id}/recording"
        return 200, doc

    async def recording(request: web.Request, who, _body):
        call_id = request.match_info["id"]
        message = await _ask(run, listening.recording, call_id, who)
        return 200, web.Response(body=message.audio, content_type="audio/wav", headers={
            "Cache-Control": "private, no-store",
            "Content-Disposition": f'attachment; filename="voicemail-{call_id}.wav"'})

    rule = ("Admins see every call; managers the calls answered in their department or "
            "by its members and those whose voicemail box tells one of them; operators the "
            "calls they answered and those whose voicemail box tells them. Other calls: 403.")
    return [
        Route("GET", "/calls/{id}", show, "One call: every leg tried, its voicemail message "
              "and who was told of it", "calls", READ, response={"$ref": "#/components/"
                                                                        "schemas/Call"},
              errors=(404,), description=rule),
        Route("GET", "/calls/{id}/recording", recording, "A call's voicemail message",
              "calls", READ, produces="audio/wav", errors=(404,),
              description="8 kHz mono 16-bit PCM wav. " + rule),
    ]


async def _ask(run, method, call_id: str, who):
    try:
        return await run(method, call_id, Asker(who.employee, who.level))
    except NotAllowed as exc:
        raise Problem(403, "call", None, str(exc)) from None
    except (UnknownCall, NoMessage) as exc:
        raise Problem(404, "call", None, str(exc.args[0])) from None


def mount_listen_links(app: web.Application, links: Callable[[], ListenLinks | None],
                       audio: Callable[[int], bytes | None], *, run=asyncio.to_thread,
                       clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc)
                       ) -> None:
    """GET /voicemail/<message id>.wav?expires=..&sig=..: the message's wav while the link
    is genuine and unexpired; 403 for a link we did not make (or that was changed), 410 for
    an expired one, each with a sentence a person understands. `audio(id)` reads the
    message (None: deleted)."""

    async def serve(request: web.Request) -> web.Response:
        message_id = int(request.match_info["id"])
        signer = links()
        if signer is None:
            raise web.HTTPServiceUnavailable(text="starting up; try again in a moment\n")
        verdict = signer.check(message_id, request.query.get("expires"),
                               request.query.get("sig"), clock())
        log.event("voicemail.link", message=message_id, verdict=verdict)
        if verdict == EXPIRED:
            until = datetime.fromtimestamp(int(request.query["expires"]), timezone.utc)
            raise web.HTTPGone(text=f"This link to a voicemail message expired on "
                                    f"{until:%Y-%m-%d %H:%M} UTC. The message is still in "
                                    f"the call log: ask someone who can open it there.\n")
        if verdict != OK:
            raise web.HTTPForbidden(text="This link to a voicemail message is not valid: it "
                                         "is incomplete or was changed. Use the link exactly "
                                         "as it came in the notification.\n")
        wav = await run(audio, message_id)
        if wav is None:
            raise web.HTTPNotFound(text="This voicemail message no longer exists.\n")
        return web.Response(body=wav, content_type="audio/wav", headers={
            "Cache-Control": "private, no-store", "Referrer-Policy": "no-referrer",
            "Content-Disposition": f'inline; filename="voicemail-{message_id}.wav"'})

    app.router.add_get(LINK_PATH + r"/{id:\d{1,12}}.wav", serve)
