"""Live calls and their transfers over HTTP, for the operator workspace: the daemon's own
calls (calls/desk.py) are the source, so these routes exist only in the daemon.

Who may see and transfer whose calls is domain/call_access.may_act_for: operators their
own, managers their department's members', admins everyone's: transfer, complete or
cancel on a live call with nobody in it the asker may act for is 403. A transfer is made
by an employee who talks in the call (`transferer`; by default the token's employee, or
for a manager the one member of theirs in the call): blind rings the recipient at once,
attended puts the caller on hold while the transferer talks to the recipient first, then
`complete` or `cancel`.
"""
from __future__ import annotations

from typing import Callable

from aiohttp import web

from ..calls.desk import NotLive, TransferDesk
from ..calls.transfers import Busy
from ..domain.call_access import may_act_for
from ..domain.catalog import Catalog
from ..domain.transfer import MODES, Refused
from .openapi import Field, Problem, Route, obj

_S, _SN = {"type": "string"}, {"type": ["string", "null"]}
TRANSFER = obj(("seq", "mode", "via", "state", "to"), seq={"type": "integer"},
               mode={"enum": list(MODES)}, via={"enum": ["keypad", "refer", "api"]},
               state={"enum": ["ringback", "answered", "blind", "completed", "cancelled",
                               "abandoned", "failed"]},
               to={**_S, "description": "whom it rings, e.g. 'Bob Jones (102)'"},
               transferer=_S, transferee=_S, recipient=_SN)
PARTY = obj(("name", "role", "state"), name=_S, employee=_SN, channel=_SN,
            role={"enum": ["caller", "callee", "transferer", "transferee", "recipient"]},
            state={**_S, "description": "talking, ringing, waiting, on hold, ringback, ..."})
LIVE_CALL = obj(("call_id", "state", "parties"), call_id=_S, direction=_S, number=_S,
                caller=_S, caller_name=_SN, started_at={**_S, "format": "date-time"},
                state={"enum": ["ringing", "talking", "transferring"]},
                parties={"type": "array", "items": PARTY},
                employees={"type": "array", "items": _S},
                transfer={"oneOf": [{"type": "null"}, TRANSFER]})
BY = Field("transferer", str, description="the employee who transfers (talks in the call); "
                                          "default: the token's employee")
RULE = ("Operators see and transfer their own calls, managers those of their department's "
        "members, admins everyone's.")
CONTROL = RULE + (" Someone else's live call (nobody in it the token may act for): 403; a "
                  "manager not naming `transferer` acts as the one member in the call.")


def transfer_routes(desk: TransferDesk, catalog: Callable[[], Catalog]) -> list[Route]:

    def allowed(who, employee: str) -> None:
        if not may_act_for(who.level, who.employee, employee, catalog().directory):
            raise Problem(403, "call", "transferer", f"{who.employee} ({who.level}) cannot "
                                                     f"act for {employee}. {RULE}")

    async def active(request: web.Request, who, _body):
        employee = request.query.get("employee")
        if employee is not None:
            allowed(who, employee)
            return 200, {"calls": desk.active({employee})}
        if who.level == "admin":
            return 200, {"calls": desk.active()}
        directory = catalog().directory
        mine = {e.name for e in directory.employees
                if may_act_for(who.level, who.employee, e.name, directory)}
        return 200, {"calls": desk.active(mine | {who.employee})}

    def transferer(who, call_id: str, named: str | None) -> str:
        """Who transfers `call_id` for `who`: the employee named, else `who` if they talk
        in it, else the one employee of the call they may act for. Someone else's call
        (nobody in it `who` may act for) is 403, whoever is named."""
        if named:
            allowed(who, named)
        try:
            people = desk.employees_of(call_id)
        except NotLive as exc:
            raise Problem(404, "call", None, str(exc)) from None
        directory = catalog().directory
        mine = [e for e in people if may_act_for(who.level, who.employee, e, directory)]
        if not mine and who.level != "admin":
            raise Problem(403, "call", None, f"{who.employee} ({who.level}) cannot control "
                                             f"call {call_id}: it is someone else's. {RULE}")
        if named:
            return named
        return who.employee if who.employee in people or len(mine) != 1 else mine[0]

    async def transfer(request: web.Request, who, body):
        call_id = request.match_info["id"]
        by = transferer(who, call_id, body.get("transferer"))
        return 202, await _answer(desk.transfer(call_id, by, body["to"], body["mode"]))

    def act(action: str):
        async def handler(request: web.Request, who, _body):
            call_id = request.match_info["id"]
            by = transferer(who, call_id, request.query.get("transferer"))
            return 200, await _answer(getattr(desk, action)(call_id, by))
        return handler

    errors = (404, 409, 422, 503)
    return [
        Route("GET", "/calls/active", active, "Live calls: who talks, rings, waits",
              "calls", "operator", response=obj(("calls",), calls={"type": "array",
                                                                   "items": LIVE_CALL}),
              query=(Field("employee", str, description="only this employee's calls"),),
              description="Without `employee`: the calls of everyone the token may act "
                          "for. " + RULE),
        Route("POST", "/calls/{id}/transfer", transfer, "Transfer a live call", "calls",
              "operator", status=202, response=TRANSFER, errors=errors, body=(
                  Field("to", str, required=True, description="an extension, a colleague's "
                        "or department's name, or a phone number"),
                  Field("mode", str, required=True, enum=MODES,
                        description="blind: transfer now; attended: talk to them first"),
                  BY),
              description="The recipient's phones ring at once (202: the transfer is under "
                          "way; GET /calls/active shows how it goes). Nobody who can take "
                          "it: 422 naming why, and the call goes on. " + CONTROL),
        Route("POST", "/calls/{id}/transfer/complete", act("complete"),
              "Hand the caller over to the recipient (attended transfer)", "calls",
              "operator", response=TRANSFER, errors=errors, query=(BY,),
              description="While the recipient still rings, the transferer leaves and the "
                          "caller hears ringback (it becomes blind). " + CONTROL),
        Route("POST", "/calls/{id}/transfer/cancel", act("cancel"),
              "Go back to the caller (attended transfer)", "calls", "operator",
              response=TRANSFER, errors=errors, query=(BY,), description=CONTROL),
    ]


async def _answer(request) -> dict:
    try:
        return await request
    except NotLive as exc:
        raise Problem(404, "call", None, str(exc)) from None
    except Refused as exc:
        raise Problem(422, "call", "to", str(exc)) from None
    except Busy as exc:
        field = "transferer" if exc.status == 422 else None
        raise Problem(exc.status, "call", field, str(exc)) from None
