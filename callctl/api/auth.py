"""Bearer-token authentication and the three access levels.

A token stands for one employee; its power is that employee's access level, read afresh on
every request, so demoting or deleting someone takes effect at once. Only a SHA-256 hash of a
token is ever stored (callctl/store/api_tokens.py): a leaked database leaks no usable token.
"""
from __future__ import annotations

import json
from typing import Protocol

from aiohttp import web

from ..store.api_tokens import Principal

# Ordered weakest first: a route needing "manager" admits managers and admins.
LEVELS = ("operator", "manager", "admin")


class TokenStore(Protocol):
    def resolve(self, token: str) -> Principal | None: ...
    def create_token(self, employee_name: str) -> str: ...


def at_least(level: str, needed: str) -> bool:
    return level in LEVELS and LEVELS.index(level) >= LEVELS.index(needed)


def bearer_token(request: web.Request) -> str | None:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


def unauthorized(message: str) -> web.HTTPUnauthorized:
    return web.HTTPUnauthorized(
        headers={"WWW-Authenticate": 'Bearer realm="callctl"'},
        text=_error_json("auth", "Authorization", message), content_type="application/json")


def forbidden(principal: Principal, needed: str) -> web.HTTPForbidden:
    message = (f"this needs the {needed} access level or higher; "
               f"{principal.employee} is {principal.level}")
    return web.HTTPForbidden(text=_error_json("auth", "access_level", message),
                             content_type="application/json")


def _error_json(entity: str, field: str, message: str) -> str:
    return json.dumps({"error": {"entity": entity, "field": field, "message": message}})
