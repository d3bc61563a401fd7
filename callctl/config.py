"""The daemon's configuration: one YAML file, secrets overridable from the environment.

Environment overrides: CALLCTL__SECTION__KEY=value sets `section.key` (e.g.
CALLCTL__ARI__PASSWORD). Errors name the file, the key and the problem.
"""
from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

ENV_PREFIX = "CALLCTL__"
DIAL_RE = re.compile(r"^\+?[0-9]{2,20}$")
LOGIN_RE = re.compile(r"^[A-Za-z0-9_.-]{1,40}$")


class ConfigError(Exception):
    """A configuration that cannot be used; str() names file, key and problem."""


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AriConfig(Strict):
    url: str = "http://127.0.0.1:8088"
    username: str = "callctl"
    password: str
    app: str = "callctl"

    @field_validator("url")
    @classmethod
    def _http(cls, v: str) -> str:
        if not re.match(r"^https?://[^/]+", v):
            raise ValueError("must be an http:// or https:// URL of Asterisk's HTTP server")
        return v.rstrip("/")


class AmiConfig(Strict):
    host: str = "127.0.0.1"
    port: int = Field(5038, ge=1, le=65535)
    username: str = "callctl"
    secret: str


class DatabaseConfig(Strict):
    url: str = "sqlite:///callctl.db"


class HttpConfig(Strict):
    host: str = "127.0.0.1"
    port: int = Field(8090, ge=0, le=65535)


class PbxConfig(Strict):
    trunk_endpoint: str = "carrier"  # phone numbers are dialled as PJSIP/<number>@<trunk>
    staff_transport: str = "staff"
    staff_context: str = "callctl-internal"
    fallback_context: str = "callctl-fallback"


class SipAccountConfig(Strict):
    login: str
    password: str = Field(min_length=8)

    @field_validator("login")
    @classmethod
    def _login(cls, v: str) -> str:
        if not LOGIN_RE.match(v):
            raise ValueError("letters, digits, '.', '_' and '-' only, at most 40")
        return v


class EmployeeConfig(Strict):
    name: str = Field(min_length=1)
    extension: str
    sip_accounts: list[SipAccountConfig] = Field(min_length=1)

    @field_validator("extension")
    @classmethod
    def _ext(cls, v: str) -> str:
        if not re.match(r"^[0-9]{2,8}$", v):
            raise ValueError("an extension is 2 to 8 digits")
        return v


class NumberConfig(Strict):
    number: str
    employee: str
    ring_timeout: int = Field(30, ge=1, le=600)
    # Where Asterisk sends the call when the daemon is absent: an employee's name or a
    # phone number dialled through the trunk. Default: the employee above.
    fallback: str | None = None

    @field_validator("number")
    @classmethod
    def _number(cls, v: str) -> str:
        if not DIAL_RE.match(v):
            raise ValueError("a company number is digits with an optional leading '+'")
        return v


class Config(Strict):
    ari: AriConfig
    ami: AmiConfig
    database: DatabaseConfig = DatabaseConfig()
    http: HttpConfig = HttpConfig()
    pbx: PbxConfig = PbxConfig()
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    employees: list[EmployeeConfig] = []
    numbers: list[NumberConfig] = []

    @model_validator(mode="after")
    def _references(self) -> "Config":
        names = [e.name for e in self.employees]
        _unique("employees", "name", names)
        _unique("employees", "extension", [e.extension for e in self.employees])
        _unique("employees", "sip_accounts.login",
                [a.login for e in self.employees for a in e.sip_accounts])
        _unique("numbers", "number", [n.number for n in self.numbers])
        for i, n in enumerate(self.numbers):
            if n.employee not in names:
                raise ValueError(f"numbers.{i}.employee: no employee named {n.employee!r}")
            if n.fallback and n.fallback not in names and not DIAL_RE.match(n.fallback):
                raise ValueError(f"numbers.{i}.fallback: {n.fallback!r} is neither an employee "
                                 "nor a phone number")
        return self


def _unique(section: str, key: str, values: list[str]) -> None:
    seen = set()
    for i, v in enumerate(values):
        if v in seen:
            raise ValueError(f"{section}: {key} {v!r} appears twice")
        seen.add(v)


def _apply_env(data: dict, environ: dict) -> None:
    for name, value in environ.items():
        if not name.startswith(ENV_PREFIX):
            continue
        path = [p.lower() for p in name[len(ENV_PREFIX):].split("__") if p]
        node = data
        for part in path[:-1]:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                raise ConfigError(f"environment {name}: {part!r} is not a section")
        node[path[-1]] = value


def _where(loc: tuple) -> str:
    return ".".join(str(p) for p in loc)


def parse(data: object, source: str, environ: dict | None = None) -> Config:
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: the top level must be a mapping of sections")
    _apply_env(data, os.environ if environ is None else environ)
    try:
        return Config.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            msg = err["msg"].removeprefix("Value error, ")
            if err["type"] == "extra_forbidden":
                msg = "unknown key"
            where = f"{_where(err['loc'])}: " if err["loc"] else ""
            problems.append(f"{source}: {where}{msg}")
        raise ConfigError("\n".join(problems)) from None


def load(path: str | os.PathLike, environ: dict | None = None) -> Config:
    path = Path(path)
    try:
        text = path.read_text()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        raise ConfigError(f"{path}: {where}not valid YAML: {getattr(exc, 'problem', exc)}") from None
    config = parse(data, str(path), environ)
    return _resolve_paths(config, path.parent)


def _resolve_paths(config: Config, base: Path) -> Config:
    """A relative SQLite path is relative to the config file, not to the working directory."""
    url = config.database.url
    prefix = "sqlite:///"
    if url.startswith(prefix) and not url.startswith(prefix + "/") and url != prefix + ":memory:":
        absolute = (base / url[len(prefix):]).resolve()
        config = config.model_copy(update={"database": DatabaseConfig(url=f"{prefix}{absolute}")})
    return config


def directory_from_config(config: Config):
    from .domain.directory import CompanyNumber, Directory, Employee, SipAccount
    return Directory(
        employees=tuple(Employee(e.name, e.extension, tuple(a.login for a in e.sip_accounts))
                        for e in config.employees),
        numbers=tuple(CompanyNumber(n.number, n.employee, n.ring_timeout, n.fallback)
                      for n in config.numbers),
        sip_accounts=tuple(SipAccount(a.login, a.password, e.name)
                           for e in config.employees for a in e.sip_accounts),
    )
