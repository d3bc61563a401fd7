"""The admin + operator JSON API under /api/v1, built from one route table.

The directory and scheme services are synchronous (SQLAlchemy sessions, smtplib): every
call to them goes through `run` (a worker thread by default), so the event loop that also
carries the ARI websocket never blocks. The same table feeds the router and the OpenAPI
document; the scheme, prompt and menu routes (schemes.py, prompts.py, menus.py) join it
when their service is given.
"""
from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass
from typing import Any, Awaitable, Callable

from aiohttp import web

from ..directory.errors import DirectoryError
from ..domain.scheme import SchemeError
from ..schemes.service import NotFound
from . import calls as call_api
from . import menus as menu_api
from . import prompts as prompt_api
from . import schemes as scheme_api
from .auth import Principal, TokenStore, at_least, bearer_token, forbidden, unauthorized
from .signin import SignIn, signin_routes
from .openapi import Field, Problem, Route, check_body, document, ref
from .openapi import obj as _obj
from .openapi import query_flag

API = "/api/v1"
Run = Callable[..., Awaitable[Any]]
ROUTES = web.AppKey("routes", list)
log = logging.getLogger(__name__)

# DirectoryError.code -> HTTP status; a refusal never changed anything.
STATUS = {"invalid": 422, "conflict": 409, "in_use": 409, "not_found": 404, "too_large": 413}

# What an operator sees of a colleague: enough to call or transfer to them, nothing private.
OPERATOR_VIEW = {"employees": ("full_name", "extension", "department", "online", "reachable"),
                 "departments": ("name", "extension", "members")}


@dataclass(frozen=True)
class Collection:
    """One directory collection; its five operations map onto the service's methods."""
    path: str  # URL segment, e.g. "sip-accounts"
    noun: str  # service suffix: list_{noun}s, get_{noun}, add_{noun}, edit_{noun}, ...
    key: str  # path parameter naming one item
    schema: str  # OpenAPI component name
    read_level: str
    create: tuple[Field, ...]
    edit: tuple[Field, ...]
    force: bool = True  # whether delete takes ?force=true


_str, _strs = (lambda n, **kw: Field(n, str, **kw)), (lambda n, **kw: Field(n, list, **kw))
_bool, _int = (lambda n, **kw: Field(n, bool, **kw)), (lambda n, **kw: Field(n, int, **kw))
LEVEL = Field("access_level", str, enum=("admin", "manager", "operator"))

COLLECTIONS = (
    Collection("employees", "employee", "name", "Employee", "operator", create=(
        _str("full_name", required=True), _str("email", required=True),
        _str("extension", required=True), _str("department", nullable=True), LEVEL,
        _strs("phone_numbers", description="primary: ring when the employee is called"),
        _strs("other_contacts", description="only recognise who made or took a call"),
        _bool("online"), _bool("call_waiting")), edit=(
        _str("full_name"), _str("email", description="cannot be changed: refused with 422"),
        _str("extension"), _str("department", nullable=True), LEVEL, _strs("phone_numbers"),
        _strs("other_contacts"), _bool("online"), _bool("call_waiting"))),
    Collection("departments", "department", "name", "Department", "operator",
               create=(_str("name", required=True), _str("extension", required=True)),
               edit=(_str("name"), _str("extension"))),
    Collection("sip-accounts", "sip_account", "login", "SipAccount", "manager", create=(
        _str("employee", nullable=True), _bool("on_pc"), _bool("on_mobile"),
        _str("login", nullable=True, description="generated when absent")), edit=(
        _str("employee", nullable=True), _bool("on_pc"), _bool("on_mobile"),
        _bool("reset_password", description="generate a new password, returned once"))),
    Collection("numbers", "number", "number", "Number", "manager", force=False, create=(
        _str("number", required=True), _str("employee", required=True),
        _int("ring_timeout", minimum=1), _str("fallback", nullable=True)), edit=(
        _str("employee"), _int("ring_timeout", minimum=1), _str("fallback", nullable=True))),
)
FORCE = Field("force", bool, description="detach the object from whatever still uses it")


def make_api(service: Any, tokens: TokenStore, schemes: Any = None, *,
             run: Run = asyncio.to_thread, prompts: Any = None,
             calls: Any = None, routing: Any = None,
             more: Callable[[Run], list[Route]] | None = None,
             signin: SignIn | None = None) -> web.Application:
    """A stand-alone application serving the API under /api/v1 (and the invitation page)."""
    root = web.Application()
    mount(root, service, tokens, schemes, run=run, prompts=prompts, calls=calls,
          routing=routing, more=more, signin=signin)
    return root


def mount(app: web.Application, service: Any, tokens: TokenStore, schemes: Any = None, *,
          run: Run = asyncio.to_thread, prompts: Any = None, calls: Any = None,
          routing: Any = None, more: Callable[[Run], list[Route]] | None = None,
          signin: SignIn | None = None) -> None:
    """Adds the API and the page the invitation e-mail links to onto an existing app.
    `schemes` (a SchemeService) adds the scheme routes, `prompts` (a PromptService) the
    prompt routes, `calls` (a voicemail.listening.Listening) the call routes, `routing` (a
    RoutingService) the menu, voicemail box and number route routes, `more(run)` further
    routes (outgoing, CRM: see app.py), `signin` the workspace's session cookies (see
    signin.py); without them those are not served."""
    app.add_subapp(API, api_app(service, tokens, schemes, run=run, prompts=prompts,
                                calls=calls, routing=routing, more=more, signin=signin))
    app.router.add_get("/invite/{token}", invite_page)


def api_app(service: Any, tokens: TokenStore, schemes: Any = None, *,
            run: Run = asyncio.to_thread, prompts: Any = None,
            calls: Any = None, routing: Any = None,
            more: Callable[[Run], list[Route]] | None = None,
            signin: SignIn | None = None) -> web.Application:
    """The API with paths relative to /api/v1: mount it with `app.add_subapp(API, ...)`.
    `more(run)`: further routes (outgoing, CRM: see app.py)."""
    routes = _routes(service, tokens, run)
    if signin is not None:
        routes += signin_routes(service, signin, run)
    if more is not None:
        routes += more(run)
    if schemes is not None:
        routes += scheme_api.scheme_routes(schemes, run)
    if prompts is not None:
        routes += prompt_api.prompt_routes(prompts, run)
    if calls is not None:
        routes += call_api.call_routes(calls, run)
    if routing is not None:
        routes += menu_api.menu_routes(routing, run)
    app = web.Application(middlewares=[_errors])
    for r in routes:
        app.router.add_route(r.method, r.path, _guard(r, tokens, run, signin))
    app[ROUTES] = routes
    return app


def openapi_document(routes: list[Route]) -> dict:
    return document(routes, API, SCHEMAS)


_S, _SN, _B, _I = {"type": "string"}, {"type": ["string", "null"]}, {"type": "boolean"}, \
    {"type": "integer"}
_L = {"type": "array", "items": _S}
_T = {"type": ["string", "null"], "format": "date-time"}
# What the service returns. An operator gets only some of an employee's fields, so only the
# identifying field is required.
SCHEMAS = {
    "Employee": _obj(("full_name",), full_name=_S, email=_S, extension=_S, department=_SN,
                     access_level={"enum": list(LEVEL.enum)}, online=_B, call_waiting=_B,
                     reachable=_B,
                     phone_numbers=_L, other_contacts=_L, sip_accounts=_L,
                     invitation={"enum": ["accepted", "pending", "expired", "none"]},
                     created_at=_T),
    "Department": _obj(("name",), name=_S, extension=_S, members=_L, created_at=_T),
    "SipAccount": _obj(("login",), login=_S, employee=_SN, on_pc=_B, on_mobile=_B,
                       reg_state={"enum": ["online", "offline"]}, reg_contact=_SN,
                       reg_updated_at=_T, created_at=_T),
    "Number": _obj(("number",), number=_S, employee=_SN, ring_timeout=_I, fallback=_SN,
                   created_at=_T),
    "Result": _obj(("object", "messages"), object={"type": "object"}, messages=_L,
                   detached=_L, password={**_S, "description": "a new SIP password, shown once"},
                   invitation_token={**_S, "description": "the one-time invitation token"}),
    "Token": _obj(("employee", "token"), employee=_S,
                  token={**_S, "description": "shown once; send as 'Authorization: Bearer'"}),
    **scheme_api.SCHEMAS,
    **prompt_api.SCHEMAS,
    **call_api.SCHEMAS,
    **menu_api.SCHEMAS,
}


# ---- the route table -------------------------------------------------------------------

def _routes(service: Any, tokens: TokenStore, run: Run) -> list[Route]:
    routes: list[Route] = []
    for c in COLLECTIONS:
        routes += _collection_routes(c, service, run)

    async def me(request: web.Request, who: Principal, _body) -> tuple[int, Any]:
        employee = await run(service.get_employee, who.employee)
        return 200, {"employee": employee, "access_level": who.level}

    async def create_token(_request, _who, body) -> tuple[int, Any]:
        employee = await run(service.get_employee, body["employee"])  # 404 when unknown
        token = await run(tokens.create_token, employee["full_name"])
        return 201, {"employee": employee["full_name"], "token": token}

    async def login(_request, _who, body) -> tuple[int, Any]:
        employee = await run(service.authenticate, body["email"], body["password"])
        if employee is None:  # one message for both cases: do not reveal which e-mails exist
            raise unauthorized("wrong e-mail or password")
        token = await run(tokens.create_token, employee["full_name"])
        return 201, {"employee": employee["full_name"], "token": token}

    async def accept(request: web.Request, _who, body) -> tuple[int, Any]:
        result = await run(service.accept_invitation, request.match_info["token"],
                           body["password"])
        return 200, _result(result)

    async def invite(request: web.Request, _who, _body) -> tuple[int, Any]:
        return 200, _result(await run(service.invite, request.match_info["name"]))

    async def openapi(request: web.Request, _who, _body) -> tuple[int, Any]:
        return 200, openapi_document(request.app[ROUTES])

    routes += [
        Route("POST", "/employees/{name}/invitation", invite,
              "Send a new invitation (the previous link stops working)", "employees", "admin",
              response=ref("Result"), errors=(404,)),
        Route("GET", "/me", me, "The token's employee and access level", "auth", "operator",
              response=_obj(("employee", "access_level"), employee=ref("Employee"),
                            access_level={"enum": list(LEVEL.enum)})),
        Route("POST", "/tokens", create_token, "Create an API token for an employee", "auth",
              "admin", body=(_str("employee", required=True),), status=201, response=ref("Token"),
              errors=(404,), description="The token is shown once; only its hash is stored."),
        Route("POST", "/login", login, "Exchange e-mail and password for an API token",
              "auth", None, body=(_str("email", required=True),
                                  _str("password", required=True)), status=201,
              response=ref("Token"), errors=(401,)),
        Route("POST", "/invitations/{token}", accept,
              "Accept an invitation: set the password (the link works once)", "auth", None,
              body=(_str("password", required=True),), response=ref("Result"),
              errors=(404, 422)),
        Route("GET", "/openapi.json", openapi, "This document", "meta", None),
    ]
    return routes


def _collection_routes(c: Collection, service: Any, run: Run) -> list[Route]:
    noun, plural = c.noun, c.noun + "s"
    listed = c.path.replace("-", "_")  # the list's key: employees, sip_accounts, ...
    what = plural.replace("_", " ")

    async def list_(_request, who: Principal, _body):
        items = await run(getattr(service, f"list_{plural}"))
        return 200, {listed: [_view(c, item, who) for item in items]}

    async def show(request: web.Request, who: Principal, _body):
        # An unknown key raises DirectoryError(code="not_found"): a 404 naming it.
        item = await run(getattr(service, f"get_{noun}"), request.match_info[c.key])
        return 200, _view(c, item, who)

    async def create(_request, _who, body):
        return 201, _result(await run(getattr(service, f"add_{noun}"), **body))

    async def edit(request: web.Request, _who, body):
        method = getattr(service, f"edit_{noun}")
        return 200, _result(await run(method, request.match_info[c.key], **body))

    async def delete(request: web.Request, _who, _body):
        kwargs = {"force": query_flag(request.query, "force")} if c.force else {}
        method = getattr(service, f"delete_{noun}")
        return 200, _result(await run(method, request.match_info[c.key], **kwargs))

    item, schema = f"/{c.path}/{{{c.key}}}", c.schema
    return [
        Route("GET", f"/{c.path}", list_, f"List {what}", c.path, c.read_level,
              response=_obj((listed,), **{listed: {"type": "array", "items": ref(schema)}})),
        Route("GET", item, show, f"Show one of the {what}", c.path, c.read_level,
              response=ref(schema), errors=(404,)),
        Route("POST", f"/{c.path}", create, f"Create one of the {what}", c.path, "admin",
              body=c.create, status=201, response=ref("Result"), errors=(409, 422)),
        Route("PATCH", item, edit, f"Change one of the {what}", c.path, "admin",
              body=c.edit, response=ref("Result"), errors=(404, 409, 422)),
        Route("DELETE", item, delete, f"Delete one of the {what}", c.path, "admin",
              query=(FORCE,) if c.force else (), response=ref("Result"), errors=(404, 409)),
    ]


# ---- the page behind the invitation link ---------------------------------------------

INVITE_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>callctl: choose your password</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body style="font-family: sans-serif; max-width: 28em; margin: 3em auto">
<h1>Welcome to callctl</h1>
<form id="f"><p>Choose a password (at least 8 characters); this link works once.</p>
<p><label>Password <input type="password" id="p" minlength="8" required></label></p>
<p><label>Again <input type="password" id="q" minlength="8" required></label></p>
<p><button>Set password</button></p></form><p id="m" role="status"></p>
<script>
const token = %(token)s, m = document.getElementById("m");
document.getElementById("f").onsubmit = async (e) => {
  e.preventDefault();
  const p = document.getElementById("p").value;
  if (p !== document.getElementById("q").value) { m.textContent = "The two differ."; return; }
  const r = await fetch("%(api)s/invitations/" + encodeURIComponent(token), {method: "POST",
    headers: {"Content-Type": "application/json"}, body: JSON.stringify({password: p})});
  const b = await r.json();
  m.textContent = r.ok ? "Done: sign in with your e-mail and this password."
                       : b.error.message;
};
</script></body></html>
"""


async def invite_page(request: web.Request) -> web.Response:
    # json.dumps makes the token a safe JS string; "</" cannot close the script tag.
    token = json.dumps(request.match_info["token"]).replace("</", "<\\/")
    return web.Response(text=INVITE_PAGE % {"token": token, "api": API},
                        content_type="text/html", headers={
                            # The token is in the URL: keep it out of caches and referrers.
                            "Cache-Control": "no-store", "Referrer-Policy": "no-referrer"})


# ---- plumbing --------------------------------------------------------------------------

def _guard(route: Route, tokens: TokenStore, run: Run, signin: SignIn | None = None):
    """Authenticate (a bearer token, else the workspace's session cookie), authorise and
    parse the body, then call the route's handler."""
    async def handler(request: web.Request) -> web.Response:
        who = None
        if route.level is not None:
            token = bearer_token(request)
            if token is not None:
                who = await run(tokens.resolve, token)
            elif signin is not None:
                who = await signin.principal(request, run)
            if who is None:
                raise unauthorized("send 'Authorization: Bearer <token>' (or sign in)"
                                   if token is None else "unknown or revoked token")
            if not at_least(who.level, route.level):
                raise forbidden(who, route.level)
        body = None
        if route.body is not None:
            body = await _json_body(request)
            wrong = check_body(body, route.body)
            if wrong:
                raise Problem(400, route.tag, wrong[0], f"{wrong[0]}: {wrong[1]}")
        status, payload = await route.handler(request, who, body)
        if isinstance(payload, web.StreamResponse):  # audio, not JSON
            return payload
        return web.json_response(payload, status=status)
    return handler


async def _json_body(request: web.Request) -> Any:
    raw = await request.read()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise Problem(400, "request", "body", f"body: not UTF-8 text (byte "
                                              f"0x{raw[exc.start]:02x} at offset {exc.start})")
    try:
        body = json.loads(text or "null")
    except json.JSONDecodeError as exc:
        raise Problem(400, "request", "body", f"body: not valid JSON ({exc.msg} at "
                                              f"line {exc.lineno} column {exc.colno})")
    except RecursionError:
        raise Problem(400, "request", "body", "body: nested too deeply")
    bad = _lone_surrogate(body)
    if bad is not None:
        raise Problem(400, "request", bad, f"{bad}: not valid Unicode (a lone surrogate, "
                                           "such as the escape \\ud800)")
    return body


def _lone_surrogate(body) -> str | None:
    """The field of a parsed body holding a lone surrogate (JSON allows the escape; no
    database or terminal takes it), or None. Iterative: bodies can be deep."""
    stack = [("body", body)]
    while stack:
        where, value = stack.pop()
        if isinstance(value, str):
            if any("\ud800" <= ch <= "\udfff" for ch in value):
                return where
        elif isinstance(value, (dict, list)):
            items = value.items() if isinstance(value, dict) else enumerate(value)
            for key, item in items:
                stack.append((where, key))
                stack.append((str(key) if where == "body" else where, item))
    return None


def _view(c: Collection, item: dict, who: Principal) -> dict:
    keep = OPERATOR_VIEW.get(c.path)
    if who.level != "operator" or keep is None:
        return item
    return {k: v for k, v in item.items() if k in keep}


def _result(result: Any) -> dict:
    return result.as_dict()  # admin-only routes: the invitation token may be in it


def _error(status: int, entity: str | None, field: str | None, message: str,
           **extra: Any) -> web.Response:
    err = {"entity": entity, "field": field, "message": message, **extra}
    return web.json_response({"error": err}, status=status)


@web.middleware
async def _errors(request: web.Request, handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except DirectoryError as err:
        extra = {"usages": err.usages} if err.usages else {}
        return _error(STATUS.get(err.code, 422), err.entity, err.field, str(err), **extra)
    except NotFound as err:  # before SchemeError: a missing scheme is both
        return _error(404, err.entity, None, str(err.args[0]))
    except SchemeError as err:
        return _error(422, "scheme", None, str(err), problems=scheme_api.problems(err))
    except Problem as p:
        return _error(p.status, p.entity, p.field, p.message, **p.extra)
    except web.HTTPException as exc:
        if exc.content_type == "application/json":
            raise
        # aiohttp's own 404/405 for unknown paths: answer in the API's shape too.
        return _error(exc.status, None, None, f"{request.method} {request.path}: {exc.reason}")
    except Exception:
        log.exception("api.error method=%s path=%s", request.method, request.path)
        return _error(500, None, None, "internal error; see the daemon's log")
