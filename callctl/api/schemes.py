"""Forwarding schemes over HTTP: routes for the API's one route table (see http.py).

A scheme travels as the very document `callctl schemes show` prints and the project file
holds, so a client can GET one, edit it and PUT it back. Managers and admins read and edit
schemes and point numbers at them; operators see none of it. A refused scheme answers 422
listing every problem (scheme, branch, block), a missing scheme or number 404.
"""
from __future__ import annotations

from typing import Any

from aiohttp import web

from ..domain.scheme import DIRECTION_KINDS, MAX_TIMEOUT, SCHEME_KINDS, Problem, SchemeError
from .openapi import Field, Route, obj, query_flag, ref

LEVEL = "manager"  # issue 4: "manager reads everything and edits schemes"

_S, _SN, _L = {"type": "string"}, {"type": ["string", "null"]}, {"type": "array",
                                                                   "items": {"type": "string"}}
_KIND = {"enum": list(SCHEME_KINDS)}


def _array(items: dict) -> dict:
    return {"type": "array", "items": items}


SCHEMAS = {
    "Scheme": obj(("name", "kind", "branches"), name=_S, kind=_KIND,
                  branches=_array(ref("Branch")), music_on_hold={"type": "boolean"}),
    "Branch": obj(("name", "blocks"), name=_S, schedule=ref("Schedule"),
                  blocks=_array(ref("Block"))),
    "Schedule": obj(
        (), days={"description": "e.g. 'mon-fri' or ['mon', 'wed-fri']; absent: every day",
                  "oneOf": [_S, _L]},
        hours={**_L, "description": "e.g. ['09:00-18:00']; a range may not cross midnight; "
                                    "absent: the whole day"}),
    "Block": obj(("timeout", "directions"),
                 timeout={"type": "integer", "minimum": 1, "maximum": MAX_TIMEOUT},
                 directions=_array(ref("Direction"))),
    "Direction": {"type": "object", "minProperties": 1, "maxProperties": 1,
                  "propertyNames": {"enum": list(DIRECTION_KINDS)},
                  "additionalProperties": _S,
                  "description": "one key, the kind; its value the target, e.g. "
                                 "{\"employee\": \"Alice Smith\"}"},
    "SchemeSummary": obj(("name", "kind", "branches", "numbers"), name=_S, kind=_KIND,
                         branches={"type": "integer"}, numbers=_L,
                         replaced={"type": "boolean"},
                         uncovered={**_L, "description": "minutes no branch covers"},
                         overlaps={**_L, "description": "minutes two branches cover"}),
    "Coverage": obj(("scheme", "uncovered", "overlaps"), scheme=_S, uncovered=_L,
                    overlaps=_L),
    "Assignment": obj(("number", "scheme", "previous"), number=_S, scheme=_SN, previous=_SN),
}


def _fields(name_required: bool) -> tuple[Field, ...]:
    return (Field("name", str, required=name_required),
            Field("kind", str, required=True, enum=SCHEME_KINDS),
            Field("branches", list, required=True, of=dict, items=ref("Branch"),
                  description="checked in depth by the scheme rules: 422 lists every problem"),
            Field("music_on_hold", bool))


FORCE = Field("force", bool, description="also detach the numbers assigned it")


def scheme_routes(schemes: Any, run) -> list[Route]:
    """`schemes` is a SchemeService; `run` calls it off the event loop."""

    def saved(doc: dict, replace: bool) -> dict:
        # In one worker call: save, then what the CLI prints after `schemes add` too.
        result = schemes.save_scheme(doc, replace=replace)
        return {**result, "uncovered": schemes.coverage(result["name"]),
                "overlaps": schemes.overlaps(result["name"])}

    def coverage(name: str) -> dict:
        return {"scheme": name, "uncovered": schemes.coverage(name),
                "overlaps": schemes.overlaps(name)}

    async def list_(_request, _who, _body):
        return 200, {"schemes": await run(schemes.list_schemes)}

    async def show(request: web.Request, _who, _body):
        return 200, await run(schemes.get_scheme, request.match_info["name"])

    async def create(_request, _who, body):
        return 201, await run(saved, body, False)

    async def replace(request: web.Request, _who, body):
        name = request.match_info["name"]
        if body.get("name", name) != name:
            raise SchemeError([Problem(name, None, None, f"key 'name': {body['name']!r} differs "
                                       f"from the path (copy the scheme to rename it)")])
        await run(schemes.get_scheme, name)  # 404 when missing: POST creates, PUT replaces
        return 200, await run(saved, {**body, "name": name}, True)

    async def delete(request: web.Request, _who, _body):
        force = query_flag(request.query, "force")
        return 200, await run(schemes.delete_scheme, request.match_info["name"], force)

    async def copy(request: web.Request, _who, body):
        return 201, await run(schemes.copy_scheme, request.match_info["name"], body["new_name"])

    async def show_coverage(request: web.Request, _who, _body):
        return 200, await run(coverage, request.match_info["name"])

    async def assign(request: web.Request, _who, body):
        return 200, await run(schemes.assign, request.match_info["number"], body["scheme"])

    async def unassign(request: web.Request, _who, _body):
        return 200, await run(schemes.unassign, request.match_info["number"])

    one, summary = "/schemes/{name}", ref("SchemeSummary")
    return [
        Route("GET", "/schemes", list_, "List forwarding schemes", "schemes", LEVEL,
              response=obj(("schemes",), schemes=_array(summary))),
        Route("GET", one, show, "One scheme as its document", "schemes", LEVEL,
              response=ref("Scheme"), errors=(404,)),
        Route("POST", "/schemes", create, "Create a scheme from its document", "schemes", LEVEL,
              body=_fields(True), status=201, response=summary, errors=(422,)),
        Route("PUT", one, replace, "Replace a scheme with a new document", "schemes", LEVEL,
              body=_fields(False), response=summary, errors=(404, 422),
              description="The body's name, if given, must be the path's."),
        Route("DELETE", one, delete, "Delete a scheme", "schemes", LEVEL, query=(FORCE,),
              response=obj(("name", "detached"), name=_S, detached=_L), errors=(404, 422),
              description="Refused while another scheme walks it, or (without force) while a "
                          "number is assigned it."),
        Route("POST", one + "/copy", copy, "Copy a scheme with all branches and blocks",
              "schemes", LEVEL, body=(Field("new_name", str, required=True),), status=201,
              response=summary, errors=(404, 422)),
        Route("GET", one + "/coverage", show_coverage,
              "Minutes of the week no branch covers, and overlapping branches", "schemes",
              LEVEL, response=ref("Coverage"), errors=(404,)),
        Route("PUT", "/numbers/{number}/scheme", assign, "Point a company number at a scheme",
              "schemes", LEVEL, body=(Field("scheme", str, required=True),),
              response=ref("Assignment"), errors=(404, 422)),
        Route("DELETE", "/numbers/{number}/scheme", unassign,
              "Take a number's scheme away (it rings its employee target again)", "schemes",
              LEVEL, response=ref("Assignment"), errors=(404,)),
    ]


def problems(err: SchemeError) -> list[dict]:
    return [{"scheme": p.scheme, "branch": p.branch, "block": p.block, "message": p.message}
            for p in err.problems]
