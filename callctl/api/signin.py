"""Signing in to the workspace page: e-mail + password for a server-side session.

The session id travels only in a cookie the page's scripts cannot read (HttpOnly), that no
other site's request carries (SameSite=Strict) and, unless configured off for plain-HTTP
test rigs, only over HTTPS or to loopback (Secure: browsers accept it from 127.0.0.1 and
localhost). A state change made with the cookie must also carry the session's CSRF token
in the X-CSRF-Token header and, when the browser sends one, an Origin of this server: a
forged form or fetch from another site has neither. Bearer tokens (API clients) need
neither, since no browser adds them by itself.

Failed sign-ins are counted per e-mail and per client address (`Throttle`): past the
limit, the next tries answer 429 with Retry-After, even with the right password, so a
password cannot be guessed faster than that.
"""
from __future__ import annotations

import time
from collections import defaultdict, deque
from typing import Any, Callable

from aiohttp import web

from ..store.api_tokens import Principal
from ..store.web_sessions import LONGEST, WebSessions, csrf_token
from .auth import unauthorized
from .openapi import Field, Problem, Route, obj

COOKIE = "callctl_session"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class Throttle:
    """At most `limit` failures per key within `window` seconds (a sliding window)."""

    def __init__(self, limit: int, window: float, clock: Callable[[], float] = time.monotonic):
        self.limit, self.window, self._clock = limit, window, clock
        self._failures: dict[str, deque[float]] = defaultdict(deque)

    def wait(self, key: str) -> float:
        """Seconds until `key` may try again (0: now)."""
        failures, now = self._failures.get(key), self._clock()
        if not failures:
            return 0.0
        while failures and failures[0] <= now - self.window:
            failures.popleft()
        if not failures:
            del self._failures[key]
            return 0.0
        return failures[0] + self.window - now if len(failures) >= self.limit else 0.0

    def failed(self, key: str) -> None:
        self._failures[key].append(self._clock())

    def forget(self, key: str) -> None:
        self._failures.pop(key, None)


class SignIn:
    """The cookie side of authentication, for the API's guard (http.py) and its routes."""

    def __init__(self, sessions: WebSessions, *, secure: bool = True,
                 per_email: Throttle | None = None, per_address: Throttle | None = None):
        self.sessions, self.secure = sessions, secure
        self.per_email = per_email or Throttle(5, 300)
        self.per_address = per_address or Throttle(30, 300)

    async def principal(self, request: web.Request, run) -> Principal | None:
        """Who the request's session cookie stands for; None without a cookie. A state
        change without the session's CSRF token, or from another origin, is refused."""
        session_id = request.cookies.get(COOKIE)
        if not session_id:
            return None
        who = await run(self.sessions.resolve, session_id)
        if who is None:
            raise unauthorized("your session has ended: sign in again")
        if request.method not in SAFE_METHODS:
            check_origin(request)
            if request.headers.get(CSRF_HEADER) != csrf_token(session_id):
                raise Problem(403, "auth", CSRF_HEADER, f"a change made with the session "
                              f"cookie needs the session's {CSRF_HEADER} header")
        return who

    def cookie(self, response: web.StreamResponse, session_id: str) -> None:
        response.set_cookie(COOKIE, session_id, path="/", httponly=True, samesite="Strict",
                            secure=self.secure, max_age=int(LONGEST.total_seconds()))


def check_origin(request: web.Request) -> None:
    origin = request.headers.get("Origin")
    if origin is not None and origin != f"{request.scheme}://{request.host}":
        raise Problem(403, "auth", "Origin", f"a change from another site ({origin}) is "
                                             f"refused")


def signin_routes(service: Any, signin: SignIn, run) -> list[Route]:
    """`service`: the DirectoryService (it checks passwords)."""

    async def sign_in(request: web.Request, _who, body) -> tuple[int, Any]:
        check_origin(request)  # no signing a victim's browser into the attacker's account
        email = str(body["email"]).strip().lower()
        keys = (f"email:{email}", f"address:{request.remote}")
        wait = max(signin.per_email.wait(keys[0]), signin.per_address.wait(keys[1]))
        if wait > 0:
            seconds = int(wait) + 1
            return 429, web.json_response({"error": {
                "entity": "auth", "field": "email", "message": f"too many failed sign-ins: "
                f"try again in {seconds} s"}}, status=429, headers={"Retry-After": str(seconds)})
        employee = await run(service.authenticate, email, body["password"])
        if employee is None:  # one message for both cases: do not reveal which e-mails exist
            signin.per_email.failed(keys[0])
            signin.per_address.failed(keys[1])
            raise unauthorized("wrong e-mail or password")
        signin.per_email.forget(keys[0])
        session_id = await run(signin.sessions.open, employee["full_name"])
        response = web.json_response(_view(employee["full_name"], employee["access_level"],
                                           session_id), status=201)
        signin.cookie(response, session_id)
        return 201, response

    async def current(request: web.Request, who: Principal, _body) -> tuple[int, Any]:
        session_id = request.cookies.get(COOKIE)
        if not session_id:
            raise unauthorized("no session: sign in with e-mail and password")
        return 200, _view(who.employee, who.level, session_id)

    async def sign_out(request: web.Request, _who, _body) -> tuple[int, Any]:
        await run(signin.sessions.close, request.cookies.get(COOKIE, ""))
        response = web.json_response({"signed_out": True})
        response.del_cookie(COOKIE, path="/")
        return 200, response

    session = obj(("employee", "access_level", "csrf_token"), employee={"type": "string"},
                  access_level={"enum": ["admin", "manager", "operator"]},
                  csrf_token={"type": "string", "description": f"send it as {CSRF_HEADER} "
                                                              f"with every change"})
    return [
        Route("POST", "/session", sign_in, "Sign in: a session cookie for e-mail + password",
              "auth", None, body=(Field("email", str, required=True),
                                  Field("password", str, required=True)), status=201,
              response=session, errors=(401, 429),
              description="Sets an HttpOnly, SameSite=Strict session cookie. Five failed "
                          "tries for one e-mail (thirty from one address) within five "
                          "minutes answer 429 with Retry-After until the window passes."),
        Route("GET", "/session", current, "The signed-in employee and the CSRF token",
              "auth", "operator", response=session),
        Route("DELETE", "/session", sign_out, "Sign out: the session ends", "auth",
              "operator"),
    ]


def _view(employee: str, level: str, session_id: str) -> dict:
    return {"employee": employee, "access_level": level, "csrf_token": csrf_token(session_id)}
