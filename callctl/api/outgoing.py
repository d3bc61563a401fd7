"""Outgoing calls over HTTP: caller-ID rules, barred SIP accounts, and click-to-call.

Managers and admins change rules and bans; anyone with a token reads them. Click-to-call
(`POST /calls`) is for every level: operators call out from the workspace; an operator may
only ring their own phone. Refusals answer 422 (404 for a missing rule or account) naming
the field, and change nothing.
"""
from __future__ import annotations

from typing import Any

from aiohttp import web

from ..calls.click import ClickError
from ..crm.service import CrmError
from ..crm.service import NotFound as CrmNotFound
from ..domain.outgoing import SCOPES
from ..outgoing.service import NotFound, OutgoingError
from .openapi import Field, Problem, Route, obj

READ, CHANGE = "operator", "manager"
_S, _SN = {"type": "string"}, {"type": ["string", "null"]}
RULE = obj(("id", "scope", "owner", "prefix", "number"), id={"type": "integer"},
           scope={"enum": list(SCOPES)}, owner=_SN, prefix=_SN, number=_S)
BAN = obj(("login", "barred"), login=_S, barred={"type": "boolean"})


async def refusing(entity: str, coro):
    """The service's refusals as the API's errors."""
    try:
        return await coro
    except (NotFound, CrmNotFound) as exc:
        raise Problem(404, entity, None, str(exc.args[0])) from None
    except (OutgoingError, ClickError) as exc:
        field = str(exc).split(":", 1)[0] if ":" in str(exc) else None
        raise Problem(422, entity, field if field in ("from", "to") else None,
                      str(exc)) from None
    except CrmError as exc:
        raise Problem(422, entity, exc.field, str(exc)) from None


def outgoing_routes(outgoing: Any, run, click=None) -> list[Route]:
    """`outgoing`: OutgoingService; `click`: ClickToCall (the daemon's; None: no /calls)."""

    async def rules(_request, _who, _body):
        return 200, {"rules": await run(outgoing.list_rules)}

    async def add_rule(_request, _who, body):
        return 201, await refusing("rule", run(
            outgoing.add_rule, body["scope"], body.get("owner"), body["number"],
            body.get("prefix"), bool(body.get("replace"))))

    async def delete_rule(request: web.Request, _who, _body):
        try:
            rule_id = int(request.match_info["id"])
        except ValueError:
            raise Problem(404, "rule", None, f"no caller-ID rule {request.match_info['id']!r}")
        return 200, await refusing("rule", run(outgoing.delete_rule, rule_id))

    async def bans(_request, _who, _body):
        return 200, {"barred": await run(outgoing.list_bans)}

    async def bar(request: web.Request, _who, _body):
        return 200, await refusing("sip_account", run(outgoing.bar, request.match_info["login"]))

    async def unbar(request: web.Request, _who, _body):
        return 200, await refusing("sip_account", run(outgoing.unbar,
                                                      request.match_info["login"]))

    async def place(_request, who, body):
        if who.level == "operator" and body["from"] != who.employee:
            raise Problem(403, "call", "from", "an operator can only call from their own "
                                               "phone (from: your name)")
        return 201, await refusing("call", click.place(body["from"], body["to"]))

    routes = [
        Route("GET", "/outgoing/rules", rules, "Caller-ID rules for outgoing calls", "outgoing",
              READ, response=obj(("rules",), rules={"type": "array", "items": RULE})),
        Route("POST", "/outgoing/rules", add_rule, "Add (or replace) a caller-ID rule",
              "outgoing", CHANGE, status=201, response=RULE, errors=(422,), body=(
                  Field("scope", str, required=True, enum=SCOPES),
                  Field("owner", str, nullable=True, description="SIP login, employee or "
                        "department name; none for the company"),
                  Field("number", str, required=True, description="a company number"),
                  Field("prefix", str, nullable=True, description="e.g. +380; none: every "
                        "destination"),
                  Field("replace", bool, description="overwrite the owner's rule for that "
                        "prefix")),
              description="The most specific owner with a rule for the destination decides "
                          "(SIP account, employee, department, company); among its rules, "
                          "the longest matching prefix."),
        Route("DELETE", "/outgoing/rules/{id}", delete_rule, "Delete a caller-ID rule",
              "outgoing", CHANGE, response=RULE, errors=(404,)),
        Route("GET", "/outgoing/bans", bans, "SIP accounts barred from outside calls",
              "outgoing", READ, response=obj(("barred",), barred={"type": "array",
                                                                  "items": _S})),
        Route("PUT", "/outgoing/bans/{login}", bar, "Bar a SIP account from outside calls",
              "outgoing", CHANGE, response=BAN, errors=(404,)),
        Route("DELETE", "/outgoing/bans/{login}", unbar, "Let a SIP account call out again",
              "outgoing", CHANGE, response=BAN),
    ]
    if click is not None:
        routes.append(Route(
            "POST", "/calls", place, "Click-to-call: ring the employee, then the number",
            "calls", READ, status=201, errors=(422,), body=(
                Field("from", str, required=True, description="an employee or a SIP login"),
                Field("to", str, required=True, description="an extension or a number")),
            response=obj(("call_id", "from", "to"), call_id=_S, to=_S, employee=_SN,
                         state=_S, **{"from": _S}),
            description="The employee's phone rings first; on answer the destination is "
                        "dialled (an outside number with the caller ID its rules choose)."))
    return routes
