"""The daemon's configuration: one YAML file, secrets overridable from the environment.

Environment overrides: CALLCTL__SECTION__KEY=value sets `section.key` (e.g.
CALLCTL__ARI__PASSWORD). Errors name the file, the key and the problem.
"""
from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

ENV_PREFIX = "CALLCTL__"


class ConfigError(Exception):
    """A configuration that cannot be used; str() names file, key and problem."""


def _http_url(v: str, of_what: str) -> str:
    if not re.match(r"^https?://[^/]+", v):
        raise ValueError(f"must be an http:// or https:// URL of {of_what}")
    return v.rstrip("/")


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
        return _http_url(v, "Asterisk's HTTP server")


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
    # How Asterisk reaches the daemon's HTTP server to fetch prompts (sound:http://...).
    # Absent: http.host and http.port (a wildcard host meaning 127.0.0.1).
    media_url: str | None = None

    @field_validator("media_url")
    @classmethod
    def _media_http(cls, v: str | None) -> str | None:
        return v and _http_url(v, "the daemon as Asterisk reaches it, e.g. "
                                  "http://10.0.0.5:8090")


class SmtpConfig(Strict):
    """Where invitation e-mails go out. Absent: invitations are only printed/returned."""
    host: str = "127.0.0.1"
    port: int = Field(25, ge=1, le=65535)
    sender: str = "callctl@localhost"
    base_url: str = "http://127.0.0.1:8090"  # links in e-mails point here
    starttls: bool = False
    username: str | None = None
    password: str | None = None


class ProjectConfig(Strict):
    timezone: str = "UTC"  # working hours in schemes are read in this zone
    seats_included: int = Field(3, ge=0)
    sticky: bool = False  # a caller who talked to an employee today reaches them first

    @field_validator("timezone")
    @classmethod
    def _zone(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {v!r} (use an IANA name like Europe/Berlin)")
        return v


class Config(Strict):
    ari: AriConfig
    ami: AmiConfig
    database: DatabaseConfig = DatabaseConfig()
    http: HttpConfig = HttpConfig()
    pbx: PbxConfig = PbxConfig()
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    smtp: SmtpConfig | None = None
    project: ProjectConfig = ProjectConfig()


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

