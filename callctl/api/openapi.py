"""The route table's vocabulary and the OpenAPI 3.1 document generated from it.

A request body is a tuple of `Field`s. The same fields validate incoming JSON (so a 400 names
the field at fault) and describe the body in the document, so the two cannot drift apart.
"""
from __future__ import annotations

from dataclasses import dataclass
from collections.abc import Mapping
from typing import Any, Callable

from ..domain.names import shown

_TYPES = {str: "string", int: "integer", bool: "boolean", list: "array", dict: "object",
          bytes: "string"}  # bytes: a file in a multipart/form-data body


@dataclass(frozen=True)
class Field:
    name: str
    type: type  # str | int | bool | list | bytes (a file of a form) | object (any JSON)
    required: bool = False
    nullable: bool = False
    enum: tuple[str, ...] = ()
    minimum: int | None = None
    description: str = ""
    of: type = str  # a list's items: str, or dict (objects, checked deeper by the service)
    items: dict | None = None  # how the document describes those items; default: `of`
    # With type `object` (any JSON value, checked by the service): how the document
    # describes the value.
    shape: dict | None = None

    def schema(self) -> dict:
        if self.type is object:
            return {**(self.shape or {}), **({"description": self.description}
                                             if self.description else {})}
        s: dict[str, Any] = {"type": _TYPES[self.type]}
        if self.type is list:
            s["items"] = self.items or {"type": _TYPES[self.of]}
        if self.type is bytes:
            s["contentMediaType"] = "application/octet-stream"
        if self.enum:
            s["enum"] = list(self.enum)
        if self.minimum is not None:
            s["minimum"] = self.minimum
        if self.nullable:
            s["type"] = [s["type"], "null"]
        if self.description:
            s["description"] = self.description
        return s

    def problem(self, value: Any) -> str | None:
        """Why `value` is not acceptable for this field, or None when it is."""
        if value is None:
            return None if self.nullable else "must not be null"
        if self.type is object:
            return None
        # bool is an int in Python; JSON true is not a number of seconds.
        ok = isinstance(value, self.type) and not (self.type is int and isinstance(value, bool))
        if ok and self.type is list:
            ok = all(isinstance(v, self.of) for v in value)
        if not ok:
            each = "strings" if self.of is str else "objects"
            want = f"a list of {each}" if self.type is list else f"a {_TYPES[self.type]}"
            return f"must be {want}"
        if self.enum and value not in self.enum:
            return f"must be one of {', '.join(self.enum)}"
        if self.minimum is not None and value < self.minimum:
            return f"must be at least {self.minimum}"
        return None


class Problem(Exception):
    """A refusal answered as the API's error object: a 400 found by the API itself before
    the service is asked, or a service's refusal translated by a route (`extra`: more keys
    of the error object, e.g. usages)."""

    def __init__(self, status: int, entity: str | None, field: str | None, message: str,
                 **extra):
        super().__init__(message)
        self.status, self.entity, self.field, self.message = status, entity, field, message
        self.extra = extra


def query_flag(query: Mapping[str, str], name: str) -> bool:
    """A true/false query parameter (absent: false)."""
    raw = query.get(name, "false").lower()
    if raw not in ("true", "false", "1", "0"):
        raise Problem(400, "request", name, f"{name}: must be true or false")
    return raw in ("true", "1")


def check_body(body: Any, fields: tuple[Field, ...]) -> tuple[str, str] | None:
    """(field, problem) for the first thing wrong with a JSON body, or None."""
    if not isinstance(body, dict):
        return "body", "must be a JSON object"
    known = {f.name: f for f in fields}
    for name in body:
        if name not in known:
            return shown(name, 40).strip("'"), f"is not a known field (known: " \
                                                f"{', '.join(known)})"
    for f in fields:
        if f.name not in body:
            if f.required:
                return f.name, "is required"
            continue
        problem = f.problem(body[f.name])
        if problem:
            return f.name, problem
    return None


@dataclass(frozen=True)
class Route:
    """One operation of the API: the router and the OpenAPI document are both built from it."""
    method: str
    path: str  # below the API prefix, e.g. "/employees/{name}"
    handler: Callable
    summary: str
    tag: str
    level: str | None  # weakest access level allowed; None: no token needed
    body: tuple[Field, ...] | None = None
    form: tuple[Field, ...] | None = None  # a multipart/form-data body: the handler reads it
    query: tuple[Field, ...] = ()
    status: int = 200  # on success
    response: dict | None = None  # JSON schema of the success body; None: any object
    produces: str = "application/json"  # else the handler returns a web.Response of it
    errors: tuple[int, ...] = ()  # beyond 401/403, which follow from `level`
    operation_id: str = ""
    description: str = ""

    def params(self) -> list[str]:
        return [part[1:-1] for part in self.path.split("/") if part.startswith("{")]


_ERROR_TEXT = {400: "Malformed JSON or a field of the wrong type",
               401: "Missing or unknown bearer token",
               403: "The token's access level is too low",
               404: "No such object",
               409: "Conflicts with existing data or still in use; nothing was changed",
               413: "The upload is larger than allowed; nothing was stored",
               429: "Too many failed tries: wait the seconds Retry-After gives",
               422: "Refused by a directory, scheme, menu or voicemail rule; nothing was "
                    "changed",
               503: "The call could not take the request in time; nothing was changed"}


def ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def obj(required: tuple[str, ...] = (), **props: Any) -> dict:
    return {"type": "object", "required": list(required), "properties": props}


def document(routes: list[Route], prefix: str, schemas: dict[str, dict], *,
             title: str = "callctl API", version: str = "1") -> dict:
    paths: dict[str, dict] = {}
    for r in routes:
        paths.setdefault(prefix + r.path, {})[r.method.lower()] = _operation(r)
    return {
        "openapi": "3.1.0",
        "info": {"title": title, "version": version,
                 "description": "Directory administration and the operator's view of callctl."
                                " Access levels, weakest first: operator, manager, admin."},
        "paths": paths,
        "components": {
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}},
            "schemas": {"Error": _ERROR_SCHEMA, **schemas},
        },
    }


def _operation(r: Route) -> dict:
    op: dict[str, Any] = {"operationId": r.operation_id or _default_id(r), "summary": r.summary,
                          "tags": [r.tag]}
    if r.description or r.level:
        needs = f"Needs the {r.level} access level or higher." if r.level else ""
        op["description"] = " ".join(x for x in (r.description, needs) if x)
    params = [{"name": p, "in": "path", "required": True, "schema": {"type": "string"}}
              for p in r.params()]
    params += [{"name": f.name, "in": "query", "required": f.required, "schema": f.schema()}
               for f in r.query]
    if params:
        op["parameters"] = params
    for fields, media in ((r.body, "application/json"), (r.form, "multipart/form-data")):
        if fields is not None:
            op["requestBody"] = {"required": True,
                                 "content": {media: {"schema": _object(fields)}}}
    ok = r.response or ({"type": "object"} if r.produces == "application/json" else
                        {"type": "string", "contentMediaType": r.produces})
    responses = {str(r.status): {"description": "Success",
                                 "content": {r.produces: {"schema": ok}}}}
    errors = set(r.errors) | ({400} if (r.body or r.form) is not None else set())
    if r.level:
        errors |= {401, 403}
    for code in sorted(errors):
        responses[str(code)] = {"description": _ERROR_TEXT[code], "content": {
            "application/json": {"schema": ref("Error")}}}
    op["responses"] = responses
    op["security"] = [{"bearerAuth": []}] if r.level else []
    return op


def _object(fields: tuple[Field, ...]) -> dict:
    schema = {"type": "object", "additionalProperties": False,
              "properties": {f.name: f.schema() for f in fields}}
    required = [f.name for f in fields if f.required]
    if required:
        schema["required"] = required
    return schema


def _default_id(r: Route) -> str:
    words = [w.strip("{}").replace("-", "_").replace(".", "_") for w in r.path.split("/") if w]
    return "_".join([r.method.lower(), *words])


_ERROR_SCHEMA = {
    "type": "object", "required": ["error"],
    "properties": {"error": {
        "type": "object", "required": ["message"],
        "properties": {"entity": {"type": ["string", "null"]},
                       "field": {"type": ["string", "null"]},
                       "message": {"type": "string"},
                       "usages": {"type": "array", "items": {"type": "string"},
                                  "description": "where a refused delete's object is used"},
                       "problems": {"type": "array", "description": "a refused scheme, menu or "
                                    "voicemail box: every problem, each naming where",
                                    "items": {"type": "object", "properties": {
                                        "scheme": {"type": "string"},
                                        "branch": {"type": ["string", "null"]},
                                        "block": {"type": ["integer", "null"]},
                                        "message": {"type": "string"}}}}}}},
}
