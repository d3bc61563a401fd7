"""The built-in CRM over HTTP: client cards (search, show, create, edit, delete), their
leads, contacts and deals, call-back tasks, and the employees' CRM user ids.

Every level reads and edits cards and tasks (operators work them from the workspace);
managers map CRM users. Refusals answer 422 naming the field; a missing card 404.
"""
from __future__ import annotations

from typing import Any

from aiohttp import web

from ..store.crm_models import ENTITY_KINDS, STATES
from .openapi import Field, Problem, Route, obj, query_flag
from .outgoing import refusing

READ, MAP = "operator", "manager"
_S, _SN, _I = {"type": "string"}, {"type": ["string", "null"]}, {"type": "integer"}
_L = {"type": "array", "items": _S}
CLIENT = obj(("id", "name", "phones"), id=_I, name=_S, company=_SN, phones=_L, emails=_L,
             address=_SN, comment=_SN, created_at=_S,
             entities={"type": "array", "items": {"type": "object"}},
             tasks={"type": "array", "items": {"type": "object"}})
ENTITY = obj(("id", "client_id", "kind", "state"), id=_I, client_id=_I,
             kind={"enum": list(ENTITY_KINDS)}, title=_S, responsible=_SN,
             state={"enum": list(STATES)})
TASK = obj(("id", "kind", "due_at", "done"), id=_I, kind=_S, title=_S, client_id=_I,
           call_id=_SN, responsible=_SN, due_at=_S, done={"type": "boolean"})
SEARCHED = ("phone", "name", "company", "address")
CARD_FIELDS = (Field("phones", list), Field("emails", list), Field("company", str, nullable=True),
               Field("address", str, nullable=True), Field("comment", str, nullable=True))


def _id(request: web.Request, key: str = "id") -> int:
    try:
        return int(request.match_info[key])
    except ValueError:
        raise Problem(404, "crm", None, f"no such id {request.match_info[key]!r}") from None


def crm_routes(crm: Any, run) -> list[Route]:
    """`crm`: CrmService; `run` calls it off the event loop."""

    async def search(request: web.Request, _who, _body):
        fields = {k: request.query.get(k) for k in SEARCHED}
        return 200, {"clients": await refusing("client", run(
            crm.search, request.query.get("q", ""), **fields))}

    async def show(request, _who, _body):
        return 200, await refusing("client", run(crm.get_client, _id(request)))

    async def create(_request, _who, body):
        return 201, await refusing("client", run(
            crm.add_client, body["name"], body.get("phones") or [], body.get("emails") or [],
            body.get("company"), body.get("address"), body.get("comment")))

    async def edit(request, _who, body):
        return 200, await refusing("client", run(crm.edit_client, _id(request), **body))

    async def delete(request, _who, _body):
        return 200, await refusing("client", run(crm.delete_client, _id(request)))

    async def add_entity(request, _who, body):
        return 201, await refusing("entity", run(
            crm.add_entity, _id(request), body["kind"], body.get("title") or body["kind"],
            body.get("responsible"), body.get("state", "open")))

    async def edit_entity(request, _who, body):
        return 200, await refusing("entity", run(crm.edit_entity, _id(request), **body))

    async def tasks(request, _who, _body):
        all_ = query_flag(request.query, "all")
        return 200, {"tasks": await refusing("task", run(
            crm.list_tasks, not all_, request.query.get("employee")))}

    async def done(request, _who, _body):
        return 200, await refusing("task", run(crm.finish_task, _id(request)))

    async def users(_request, _who, _body):
        return 200, {"users": await run(crm.users)}

    async def map_user(request, _who, body):
        return 200, await refusing("crm_user", run(crm.map_user, request.match_info["user"],
                                                   body["employee"]))

    async def unmap_user(request, _who, _body):
        return 200, await refusing("crm_user", run(crm.unmap_user, request.match_info["user"]))

    one, tag = "/clients/{id}", "crm"
    return [
        Route("GET", "/clients", search, "Find client cards by phone, name, company, address",
              tag, READ, query=(Field("q", str, description="in any of the four fields"),
                                *(Field(f, str, description="in this field; fields given "
                                        "together must all match") for f in SEARCHED)),
              response=obj(("clients",), clients={"type": "array", "items": CLIENT}),
              errors=(422,)),
        Route("POST", "/clients", create, "Create a client card", tag, READ, status=201,
              body=(Field("name", str, required=True), *CARD_FIELDS), response=CLIENT,
              errors=(422,)),
        Route("GET", one, show, "A client card with its leads, contacts, deals and tasks", tag,
              READ, response=CLIENT, errors=(404,)),
        Route("PATCH", one, edit, "Change fields of a client card", tag, READ,
              body=(Field("name", str), *CARD_FIELDS), response=CLIENT, errors=(404, 422)),
        Route("DELETE", one, delete, "Delete a client card", tag, READ, response=CLIENT,
              errors=(404,)),
        Route("POST", one + "/entities", add_entity, "Add a lead, contact or deal", tag, READ,
              status=201, response=ENTITY, errors=(404, 422), body=(
                  Field("kind", str, required=True, enum=ENTITY_KINDS), Field("title", str),
                  Field("responsible", str, nullable=True, description="an employee"),
                  Field("state", str, enum=STATES))),
        Route("PATCH", "/entities/{id}", edit_entity, "Change a lead, contact or deal", tag,
              READ, response=ENTITY, errors=(404, 422), body=(
                  Field("title", str), Field("responsible", str, nullable=True),
                  Field("state", str, enum=STATES))),
        Route("GET", "/tasks", tasks, "Open tasks (call-backs of missed calls) by deadline", tag,
              READ, query=(Field("all", bool), Field("employee", str)),
              response=obj(("tasks",), tasks={"type": "array", "items": TASK})),
        Route("POST", "/tasks/{id}/done", done, "Mark a task done", tag, READ, response=TASK,
              errors=(404,)),
        Route("GET", "/crm/users", users, "CRM user id -> employee", tag, READ,
              response=obj(("users",), users={"type": "object"})),
        Route("PUT", "/crm/users/{user}", map_user, "Map a CRM user to an employee", tag, MAP,
              body=(Field("employee", str, required=True),), errors=(422,)),
        Route("DELETE", "/crm/users/{user}", unmap_user, "Remove a CRM user's mapping", tag,
              MAP, errors=(404,)),
    ]
