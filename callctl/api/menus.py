"""IVR menus, voicemail boxes, queues and what serves a company number, over HTTP: routes
for the API's one route table (see http.py).

A menu, box or queue travels as the very document `callctl menus show` prints and the project
file holds; GET adds `used_by` (where it is used), which a PUT may send back unchanged
(it is ignored), so a client can GET one, edit it and PUT it back. Operators read,
managers and admins change. A refused document answers 422 listing every problem, a name
taken 409, a delete of something still used 409 naming where, a missing one 404.

What serves a number is one resource, `/numbers/{number}/route` ({kind, target}, kind a
scheme, an IVR menu, a voicemail box or a queue), because a number is served by exactly one
of them: one PUT moves a number from a scheme to a menu, one DELETE lets it ring its
employee again. `PUT /numbers/{number}/scheme` stays for clients written before menus.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from aiohttp import web

from ..domain.catalog import ROUTE_KINDS
from ..domain.ivr import DIGITS, MAX_DIGIT_TIMEOUT, MAX_RETRIES, MAX_RING_TIMEOUT, \
    MENU_ONLY_KINDS, PROMPT_SOURCES
from ..domain.queue import LIMITS, OPERATOR_KINDS
from ..domain.queueing import STRATEGIES
from ..domain.voicemail import MAX_SECONDS, NOTIFY_KINDS
from ..routing.service import Conflict, InUse, NotFound, RoutingError
from .openapi import Field, Problem, Route, obj, ref

READ, CHANGE = "operator", "manager"

_S, _SN = {"type": "string"}, {"type": ["string", "null"]}
_L = {"type": "array", "items": _S}
_KIND = {"enum": list(ROUTE_KINDS)}


def _one_of(keys, value: dict) -> dict:
    return {"type": "object", "minProperties": 1, "maxProperties": 1,
            "propertyNames": {"enum": list(keys)}, "additionalProperties": value}


def _seconds(low: int, high: int) -> dict:
    return {"type": "integer", "minimum": low, "maximum": high}


USED_BY = {**_L, "readOnly": True, "description": "where it is used; ignored on write"}
SCHEMAS = {
    "PromptRef": {"description": "an uploaded prompt's name, or {default: KEY} (callctl's "
                                 "sounds) / {asterisk: NAME} (a sound Asterisk ships)",
                  "oneOf": [_S, _one_of(PROMPT_SOURCES, _S)]},
    "Menu": obj(("name", "greeting", "options"), name=_S, greeting=ref("PromptRef"),
                options={"type": "object", "propertyNames": {"enum": list(DIGITS)},
                         "additionalProperties": {"oneOf": [
                             ref("Direction"), {"enum": list(MENU_ONLY_KINDS)}]},
                         "description": "key -> where it leads, e.g. {\"1\": {\"department\": "
                                        "\"Sales\"}, \"*\": \"repeat\"}"},
                digit_timeout=_seconds(1, MAX_DIGIT_TIMEOUT),
                retries={"type": "integer", "minimum": 0, "maximum": MAX_RETRIES},
                ring_timeout=_seconds(1, MAX_RING_TIMEOUT),
                invalid_prompt=ref("PromptRef"), no_input_prompt=ref("PromptRef"),
                final={"oneOf": [ref("Direction"), {"type": "null"}],
                       "description": "after the retries; absent: the scheme's next step"},
                used_by=USED_BY),
    "VoicemailBox": obj(("name",), name=_S,
                        greeting={"oneOf": [ref("PromptRef"), {"type": "null"}],
                                  "description": "absent: the default for working hours, "
                                                 "or for off hours in an off_hours branch"},
                        max_seconds=_seconds(1, MAX_SECONDS),
                        silence_seconds=_seconds(0, MAX_SECONDS),
                        notify={"type": "array", "items": _one_of(NOTIFY_KINDS, _S)},
                        used_by=USED_BY),
    "Queue": obj(("name", "operators"), name=_S,
                 operators={"type": "array", "minItems": 1,
                            "items": _one_of(OPERATOR_KINDS, _S),
                            "description": "in order, e.g. [{\"department\": \"Sales\"}]"},
                 strategy={"enum": list(STRATEGIES), "default": "ringall",
                           "description": "see docs/queues.md"},
                 **{key: {**_seconds(low, high), "default": default}
                    for key, (default, low, high) in LIMITS.items()},
                 music={"oneOf": [ref("PromptRef"), {"type": "null"}],
                        "description": "absent: Asterisk's music on hold"},
                 announcement=ref("PromptRef"), announce_position={"type": "boolean"},
                 callback_digit={"oneOf": [{"enum": list(DIGITS)}, {"type": "null"}]},
                 used_by=USED_BY),
    "QueueStatus": {"type": "object", "description": "who waits and each operator's state "
                                                     "(free, ringing, on_call, wrapup, offline)"},
    "QueueReport": {"type": "object", "description": "offered, answered, abandoned, waits, "
                                                     "service level and per-operator figures"},
    "Saved": obj(("kind", "name", "replaced"), kind={"enum": ["ivr", "voicemail", "queue"]},
                 name=_S,
                 replaced={"type": "boolean"}),
    "Route": obj(("number", "kind", "target"), number=_S,
                 kind={"enum": [*ROUTE_KINDS, None],
                       "description": "null: the number rings its employee"},
                 target=_SN, previous={"oneOf": [{"type": "null"}, obj(
                     ("kind", "target"), kind=_KIND, target=_S)]}),
}


def _fields(schema: str, required: tuple[str, ...]) -> tuple[Field, ...]:
    """A document's keys as body fields, described by the schema; their values are checked
    by the menu and box rules (422 naming each problem), not here."""
    props = SCHEMAS[schema]["properties"]
    return tuple(Field(k, object, required=k in required, nullable=True, shape=props[k])
                 for k in props)


@dataclass(frozen=True)
class Kind:
    kind: str  # the routing service's: ivr | voicemail
    path: str  # URL segment
    schema: str  # OpenAPI component
    what: str
    whats: str


KINDS = (Kind("ivr", "menus", "Menu", "IVR menu", "IVR menus"),
         Kind("voicemail", "voicemail-boxes", "VoicemailBox", "voicemail box",
              "voicemail boxes"),
         Kind("queue", "queues", "Queue", "queue", "queues"))


def menu_routes(routing: Any, run) -> list[Route]:
    """`routing` is a RoutingService; `run` calls it off the event loop."""
    routes: list[Route] = []
    for k in KINDS:
        routes += _document_routes(k, routing, run)
    routes += _queue_figures(routing, run)

    async def show(request: web.Request, _who, _body):
        return 200, await _call(run, "number", routing.served_by, request.match_info["number"])

    async def put(request: web.Request, _who, body):
        return 200, await _call(run, "number", routing.route, request.match_info["number"],
                                body["kind"], body["target"])

    async def clear(request: web.Request, _who, _body):
        return 200, await _call(run, "number", routing.unroute, request.match_info["number"])

    one, route = "/numbers/{number}/route", ref("Route")
    return routes + [
        Route("GET", one, show, "What serves a company number", "numbers", READ,
              response=route, errors=(404,)),
        Route("PUT", one, put, "Serve a company number by a scheme, an IVR menu, a "
              "voicemail box or a queue", "numbers", CHANGE,
              body=(Field("kind", str, required=True, enum=ROUTE_KINDS),
                    Field("target", str, required=True, description="its name")),
              response=route, errors=(404, 422),
              description="Replaces whatever served the number before."),
        Route("DELETE", one, clear, "Let a company number ring its employee again",
              "numbers", CHANGE, response=route, errors=(404,)),
    ]


def _document_routes(k: Kind, routing: Any, run) -> list[Route]:
    listed = k.path.replace("-", "_")

    def saved(doc: dict, replace: bool) -> dict:
        doc = {key: value for key, value in doc.items() if key != "used_by"}
        return routing.save(k.kind, doc, replace=replace)

    async def list_(_request, _who, _body):
        return 200, {listed: await _call(run, k.what, routing.list, k.kind)}

    async def show(request: web.Request, _who, _body):
        return 200, await _call(run, k.what, routing.show, k.kind, request.match_info["name"])

    async def create(_request, _who, body):
        return 201, await _call(run, k.what, saved, body, False)

    async def replace(request: web.Request, _who, body):
        name = request.match_info["name"]
        if body.get("name", name) != name:
            raise Problem(422, k.what, "name", f"name: {body['name']!r} differs from the path "
                                               f"(save it under the new name to rename it)")
        await _call(run, k.what, routing.show, k.kind, name)  # 404: POST creates it
        return 200, await _call(run, k.what, saved, {**body, "name": name}, True)

    async def delete(request: web.Request, _who, _body):
        return 200, await _call(run, k.what, routing.delete, k.kind, request.match_info["name"])

    one, doc = f"/{k.path}/{{name}}", ref(k.schema)
    summary = obj(("name", "numbers"), name=_S, numbers=_L)
    return [
        Route("GET", f"/{k.path}", list_, f"List {k.whats}", k.path, READ,
              response=obj((listed,), **{listed: {"type": "array", "items": summary}})),
        Route("GET", one, show, f"One {k.what} as its document, with where it is used",
              k.path, READ, response=doc, errors=(404,)),
        Route("POST", f"/{k.path}", create, f"Create a {k.what} from its document", k.path,
              CHANGE, body=_fields(k.schema, tuple(SCHEMAS[k.schema]["required"])),
              status=201, response=ref("Saved"), errors=(409, 422)),
        Route("PUT", one, replace, f"Replace a {k.what} with a new document", k.path, CHANGE,
              body=_fields(k.schema, tuple(r for r in SCHEMAS[k.schema]["required"]
                                           if r != "name")),
              response=ref("Saved"), errors=(404, 409, 422),
              description="The body's name, if given, must be the path's."),
        Route("DELETE", one, delete, f"Delete a {k.what}", k.path, CHANGE,
              response=obj(("kind", "name"), kind=_S, name=_S), errors=(404, 409),
              description="Refused (409, naming where) while a scheme, a menu or a number "
                          "uses it."),
    ]


def _queue_figures(routing: Any, run) -> list[Route]:
    async def status(request: web.Request, _who, _body):
        return 200, await _call(run, "queue", routing.queue_status, request.match_info["name"])

    async def report(request: web.Request, _who, _body):
        now = datetime.now(timezone.utc)
        until = _instant(request.query, "until", now)
        since = _instant(request.query, "since", until - timedelta(days=1))
        if since >= until:
            raise Problem(400, "request", "since", "since: must be before until")
        return 200, await _call(run, "queue", routing.queue_report,
                                request.match_info["name"], since, until)

    moment = "an ISO 8601 date and time with its offset, e.g. 2026-12-01T00:00:00+02:00"
    return [
        Route("GET", "/queues/{name}/status", status, "Who waits in a queue and each "
              "operator's state", "queues", READ, response=ref("QueueStatus"), errors=(404,)),
        Route("GET", "/queues/{name}/report", report, "A queue's figures over a period",
              "queues", READ, query=(Field("since", str, description=f"{moment}; default: "
                                                                      "a day before until"),
                                     Field("until", str, description=f"{moment}; default: "
                                                                      "now")),
              response=ref("QueueReport"), errors=(400, 404)),
    ]


def _instant(query, name: str, default: datetime) -> datetime:
    raw = query.get(name)
    if raw is None:
        return default
    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        value = None
    if value is None or value.tzinfo is None:
        raise Problem(400, "request", name, f"{name}: {raw[:40]!r} is not a date and time "
                                            f"with its offset, e.g. 2026-12-01T00:00:00+02:00")
    return value


async def _call(run, entity: str, fn, *args):
    """The service's answer, or its refusal as the API's error object."""
    try:
        return await run(fn, *args)
    except NotFound as err:
        raise Problem(404, entity, None, str(err.args[0])) from None
    except InUse as err:
        raise Problem(409, entity, None, str(err), usages=err.usages) from None
    except Conflict as err:
        raise Problem(409, entity, "name", str(err)) from None
    except RoutingError as err:
        lines = str(err).splitlines()
        raise Problem(422, entity, None, str(err),
                      problems=[{"message": line} for line in lines]) from None
