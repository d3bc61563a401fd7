"""The operator workspace over HTTP: its page, its live events (Server-Sent Events), and
the few routes only the page needs (colleagues, one's own status, today's calls, the
softphone account, client history and merge, the managers' report).

The page itself is a built bundle (web/, built by scripts/setup into workspace_static/);
it signs in with a session cookie (signin.py) and uses the same /api/v1 routes as any
client. What each person sees follows their access level: colleagues' availability for
everyone, calls by the call log's rule, the report for managers and admins.
"""
from __future__ import annotations

import asyncio
import json
from datetime import datetime, time, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from aiohttp import web

from ..crm import merge as card_merge
from .openapi import Field, Problem, Route, obj
from .outgoing import refusing

STATIC = Path(__file__).resolve().parent / "workspace_static"
KEEPALIVE_S = 15  # a comment line this often keeps proxies from closing an idle stream
_S, _I = {"type": "string"}, {"type": "integer"}
COLLEAGUE = obj(("name", "state"), name=_S, extension=_S, department={"type": ["string",
                                                                              "null"]},
                online={"type": "boolean"},
                state={"enum": ["available", "on_call", "unreachable", "offline"]})
DEPARTMENT = obj(("name", "extension", "members", "available"), name=_S, extension=_S,
                 members=_I, available={**_I, "description": "members a call would ring now"})


def webrtc_url(configured: str | None, ari_url: str) -> str:
    """Where the page's softphone opens its WebSocket: as configured, else Asterisk's HTTP
    server (the one ARI is on) at /ws."""
    if configured:
        return configured
    parts = urlsplit(ari_url)
    return f"{'wss' if parts.scheme == 'https' else 'ws'}://{parts.netloc}/ws"


def workspace_routes(hub, workspace, directory, crm, run, *, ws_url: str,
                     timezone_name: str) -> list[Route]:
    """`hub`: workspace.events.EventHub; `workspace`: workspace.service.Workspace;
    `directory`: DirectoryService; `crm`: CrmService; `run` calls them off the loop (and
    makes the daemon take a changed directory at once)."""
    zone = ZoneInfo(timezone_name)

    async def colleagues(_request, _who, _body):
        return 200, {"colleagues": hub.colleagues(), "departments": hub.departments()}

    async def status(_request, who, body):
        await run(directory.edit_employee, who.employee, online=body["online"])
        return 200, {"employee": who.employee, "online": body["online"]}

    async def calls(request: web.Request, who, _body):
        since = _when(request.query.get("since"), "since")
        if since is None:  # today, in the company's time zone
            since = datetime.combine(datetime.now(zone).date(), time(), zone)
        return 200, {"since": since.isoformat(), "calls": await run(workspace.calls_since,
                                                                    who, since)}

    async def softphone(_request, who, _body):
        account = await run(workspace.softphone, who.employee)
        if account is None:
            raise Problem(404, "sip_account", "on_pc", f"{who.employee} has no SIP account "
                          f"flagged \"on PC\": ask an admin for one to use the softphone")
        host = urlsplit(ws_url).hostname
        return 200, {**account, "ws_url": ws_url, "uri": f"sip:{account['login']}@{host}"}

    async def events(request: web.Request, who, _body):
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream",
                                               "Cache-Control": "no-store"})
        await response.prepare(request)
        sub = hub.subscribe(who)
        try:
            await _send(response, {"type": "hello", "employee": who.employee,
                                   "colleagues": hub.colleagues(),
                                   "departments": hub.departments()})
            while True:
                try:
                    event = await asyncio.wait_for(sub.queue.get(), KEEPALIVE_S)
                except asyncio.TimeoutError:
                    await response.write(b": keep-alive\n\n")
                    continue
                if event is None:
                    break
                await _send(response, event)
        except (ConnectionResetError, asyncio.CancelledError):
            pass  # the page went away
        finally:
            hub.unsubscribe(sub)
        return 200, response

    async def history(request: web.Request, _who, _body):
        client_id = _int(request.match_info["id"], "id")
        return 200, {"calls": await refusing("client", run(workspace.history, client_id))}

    async def merge(_request, _who, body):
        return 200, await refusing("client", run(card_merge.merge, crm, body["keep"],
                                                 body["drop"], body.get("choices")))

    async def report(request: web.Request, who, _body):
        since, until = (_when(request.query.get(k), k) for k in ("since", "until"))
        return 200, {"since": since and since.isoformat(),
                     "until": until and until.isoformat(),
                     "employees": await run(workspace.report, who, since, until)}

    tag = "workspace"
    return [
        Route("GET", "/workspace/colleagues", colleagues, "Everyone's availability, and "
              "each department's", tag, "operator",
              response=obj(("colleagues", "departments"),
                           colleagues={"type": "array", "items": COLLEAGUE},
                           departments={"type": "array", "items": DEPARTMENT})),
        Route("PUT", "/workspace/status", status, "Go on line or off line (offline "
              "people are not rung)", tag, "operator",
              body=(Field("online", bool, required=True),)),
        Route("GET", "/workspace/calls", calls, "Calls since a time (default: today) that "
              "you may see; missed_by_me marks those that rang you unanswered", tag,
              "operator", query=(Field("since", str, description="ISO 8601"),)),
        Route("GET", "/workspace/softphone", softphone, "Your \"on PC\" SIP account for the "
              "page's softphone (WebRTC)", tag, "operator", errors=(404,),
              response=obj(("login", "password", "ws_url", "uri"), login=_S, password=_S,
                           ws_url=_S, uri=_S)),
        Route("GET", "/workspace/events", events, "Live events (Server-Sent Events): "
              "incoming, ringing (with the caller's card), answered, ended, colleague, "
              "department",
              tag, "operator", produces="text/event-stream"),
        Route("GET", "/clients/{id}/calls", history, "A client's calls, newest first",
              "crm", "operator", errors=(404,)),
        Route("POST", "/clients/merge", merge, "Merge two cards of one client", "crm",
              "operator", errors=(404, 422), body=(
                  Field("keep", int, required=True, description="the card that stays"),
                  Field("drop", int, required=True, description="the card merged into it"),
                  Field("choices", dict, description="field -> id of the card whose value "
                                                     "wins, where both cards differ")),
              description="Phones, e-mails, leads, contacts, deals and tasks of both are "
                          "kept. A field both cards fill differently needs a choice: "
                          "without one, 422 names it with both values."),
        Route("GET", "/reports/employees", report, "Per employee: incoming (answered, "
              "missed), outgoing, talk time (a manager: their department's people)",
              "reports", "manager",
              query=(Field("since", str), Field("until", str))),
    ]


async def _send(response: web.StreamResponse, event: dict) -> None:
    data = json.dumps(event, separators=(",", ":"))
    await response.write(f"event: {event['type']}\ndata: {data}\n\n".encode())


def _when(value: str | None, field: str) -> datetime | None:
    if not value:
        return None
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        raise Problem(400, "query", field, f"{field}: not an ISO 8601 time: {value!r}") \
            from None
    return at if at.tzinfo else at.replace(tzinfo=timezone.utc)


def _int(value: str, field: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise Problem(404, "client", field, f"no client card {value!r}") from None


# ---- the page ---------------------------------------------------------------------------

# The page talks to this server and to Asterisk's WebSocket (another port), nothing else.
CSP = ("default-src 'self'; connect-src 'self' {ws}; media-src 'self' blob:; "
       "img-src 'self' data:; style-src 'self' 'unsafe-inline'; object-src 'none'; "
       "base-uri 'none'; frame-ancestors 'none'")


def mount_page(app: web.Application, ws_url: str) -> None:
    """GET /workspace/ (and / redirects there): the built page; its assets below it."""
    index = STATIC / "index.html"
    parts = urlsplit(ws_url)
    headers = {"Content-Security-Policy": CSP.format(ws=f"{parts.scheme}://{parts.netloc}"),
               "Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff",
               "Referrer-Policy": "same-origin"}

    async def page(_request: web.Request) -> web.StreamResponse:
        if not index.exists():
            raise web.HTTPServiceUnavailable(text="The workspace page is not built: run "
                                                  "scripts/setup (it runs npm in web/).\n")
        return web.FileResponse(index, headers=headers)

    async def home(_request: web.Request) -> web.StreamResponse:
        raise web.HTTPFound("/workspace/")

    app.router.add_get("/", home)
    app.router.add_get("/workspace", home)
    app.router.add_get("/workspace/", page)
    if (STATIC / "assets").is_dir():
        app.router.add_static("/workspace/assets", STATIC / "assets")
    else:
        app.router.add_get("/workspace/assets/{name}", page)  # says what to do
