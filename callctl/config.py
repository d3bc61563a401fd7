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

from pydantic import (BaseModel, ConfigDict, Field, ValidationError, field_validator,
                      model_validator)

from . import yamldoc
from .domain.keypad import FeatureCodes, codes_problem
from .domain.notices import template_problem

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
    # The workspace's session cookie goes only over HTTPS or to loopback (browsers count
    # http://127.0.0.1 as secure). Off only for a plain-HTTP address that is not loopback.
    secure_cookies: bool = True


class PbxConfig(Strict):
    trunk_endpoint: str = "carrier"  # phone numbers are dialled as PJSIP/<number>@<trunk>
    staff_transport: str = "staff"
    staff_context: str = "callctl-internal"
    fallback_context: str = "callctl-fallback"
    # How Asterisk reaches the daemon's HTTP server to fetch prompts (sound:http://...).
    # Absent: http.host and http.port (a wildcard host meaning 127.0.0.1).
    media_url: str | None = None
    # "On PC" SIP accounts are the workspace's softphone: they register from the browser
    # over this PJSIP WebSocket transport, at webrtc_url (absent: ws://<ARI host:port>/ws).
    webrtc_transport: str = "ws"
    webrtc_url: str | None = None

    @field_validator("media_url")
    @classmethod
    def _media_http(cls, v: str | None) -> str | None:
        return v and _http_url(v, "the daemon as Asterisk reaches it, e.g. "
                                  "http://10.0.0.5:8090")


class SmtpConfig(Strict):
    """Where invitation and voicemail e-mails go out. Absent: invitations are only
    printed/returned, voicemail e-mails fail (retried, then given up)."""
    host: str = "127.0.0.1"
    port: int = Field(25, ge=1, le=65535)
    sender: str = "callctl@localhost"
    base_url: str = "http://127.0.0.1:8090"  # links in e-mails point here
    starttls: bool = False
    username: str | None = None
    password: str | None = None


class NotificationsConfig(Strict):
    """Voicemail e-mails and SMS: how failed ones are retried, and the links to listen."""
    # Links point here (how a recipient's browser reaches the daemon's HTTP server).
    # Absent: smtp.base_url when there is an smtp section, else http.host and http.port.
    public_url: str | None = None
    link_days: float = Field(7, gt=0, le=366)  # how long a link works
    # The key links are signed with; absent: generated once and kept in the database.
    link_secret: str | None = Field(None, min_length=32)
    retry_first_seconds: float = Field(30, ge=0.1)  # doubled after each failure ...
    retry_max_seconds: float = Field(1800, ge=0.1)  # ... up to this
    give_up_hours: float = Field(48, gt=0)  # after this long a notification is dropped

    @field_validator("public_url")
    @classmethod
    def _public_http(cls, v: str | None) -> str | None:
        return v and _http_url(v, "the daemon as recipients reach it, e.g. "
                                  "https://pbx.example.com")

    @model_validator(mode="after")
    def _order(self):
        if self.retry_max_seconds < self.retry_first_seconds:
            raise ValueError("retry_max_seconds must not be below retry_first_seconds")
        return self


class SmsConfig(Strict):
    """An HTTP SMS gateway. `url` and the values of `body` are templates: {recipient},
    {caller}, {caller_name}, {number}, {box}, {seconds}, {time}, {link}, {text}."""
    url: str  # values are URL-encoded here, e.g. https://sms.example.com/send?to={recipient}
    method: Literal["POST", "PUT", "GET"] = "POST"
    authorization: str | None = None  # the Authorization header, e.g. "Bearer <key>"
    encoding: Literal["json", "form"] = "json"  # of the body (GET sends none)
    body: dict[str, str] = {"to": "{recipient}", "text": "{text}"}
    timeout_seconds: float = Field(10, gt=0, le=120)

    @field_validator("url")
    @classmethod
    def _url_template(cls, v: str) -> str:
        if not re.match(r"^https?://", v):
            raise ValueError("must be an http:// or https:// URL of the SMS gateway")
        problem = template_problem(v)
        if problem:
            raise ValueError(problem)
        return v

    @field_validator("body")
    @classmethod
    def _body_templates(cls, v: dict[str, str]) -> dict[str, str]:
        for key, template in v.items():
            problem = template_problem(template)
            if problem:
                raise ValueError(f"{key!r}: {problem}")
        return v


class ProjectConfig(Strict):
    timezone: str = "UTC"  # working hours in schemes are read in this zone
    seats_included: int = Field(3, ge=0)
    sticky: bool = False  # a caller who talked to an employee today reaches them first
    # Numbers written without +<country code> are read as national numbers of this country
    # (ISO 3166 code) and stored in E.164. Checked against libphonenumber by check-config.
    country: str = "US"

    @field_validator("timezone")
    @classmethod
    def _zone(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {v!r} (use an IANA name like Europe/Berlin)")
        return v

    @field_validator("country")
    @classmethod
    def _country(cls, v: str) -> str:
        if not re.fullmatch(r"[A-Za-z]{2}", v):
            raise ValueError(f"{v!r} is not a two-letter country code (e.g. US, DE, GB)")
        return v.upper()


class WebhookConfig(Strict):
    """A customer's handler that says where a call goes (direction `webhook: NAME`)."""
    url: str
    secret: str = Field(min_length=16)  # HMAC-SHA256 key: the handler checks the signature
    timeout_s: float = Field(3.0, gt=0, le=60)
    max_concurrent: int = Field(10, ge=1, le=1000)

    @field_validator("url")
    @classmethod
    def _http(cls, v: str) -> str:
        return _http_url(v, "the customer's webhook handler")


class CrmHttpConfig(Strict):
    """An external CRM, asked over HTTP who is responsible for a caller."""
    # {entity} is lead, contact or deal; {phone} the caller's number in E.164, URL-encoded.
    url: str
    headers: dict[str, str] = {}  # e.g. {Authorization: "Bearer ..."}
    responsible_path: str  # where the user id is in the JSON answer, e.g. data.0.owner_id

    @field_validator("url")
    @classmethod
    def _template(cls, v: str) -> str:
        if "{phone}" not in v:
            raise ValueError("must contain {phone} (and may contain {entity})")
        return _http_url(v, "the CRM's lookup")


class CrmEventsConfig(Strict):
    """Where every call's start, answer and end are posted."""
    url: str
    secret: str = Field(min_length=16)

    @field_validator("url")
    @classmethod
    def _http(cls, v: str) -> str:
        return _http_url(v, "the CRM's event receiver")


class CrmConfig(Strict):
    source: Literal["builtin", "http"] = "builtin"  # where crm_manager looks callers up
    http: CrmHttpConfig | None = None
    lookup_timeout_ms: int = Field(500, ge=10, le=10000)
    cards: bool = True  # a new caller gets a client card; a missed call a call-back task
    call_back_minutes: int = Field(60, ge=1)  # the call-back task's deadline
    events: list[CrmEventsConfig] = []

    @model_validator(mode="after")
    def _connector(self):
        if self.source == "http" and self.http is None:
            raise ValueError("source http needs the http section (url, responsible_path)")
        return self


class TransfersConfig(Strict):
    """Transfers from a phone's keypad (Asterisk's features.conf defaults) and how long a
    transfer's recipient rings before the call goes back (attended) or the transferer is
    rung again (blind)."""
    blind_code: str = "##"  # then the number and #
    attended_code: str = "*2"  # then the number and #
    complete_code: str = "*2"  # during the consultation
    cancel_code: str = "*1"  # during the consultation
    digit_timeout: float = Field(2.0, gt=0, le=10)  # between the keys of a code
    number_timeout: float = Field(5.0, gt=0, le=30)  # between the digits of the number
    ring_timeout: int = Field(20, ge=5, le=300)

    @model_validator(mode="after")
    def _codes(self):
        codes = self.codes()
        problem = codes_problem(codes.talking()) or codes_problem(codes.consulting())
        if problem:
            raise ValueError(problem)
        return self

    def codes(self) -> FeatureCodes:
        return FeatureCodes(self.blind_code, self.attended_code, self.complete_code,
                            self.cancel_code, self.digit_timeout, self.number_timeout)


class Config(Strict):
    ari: AriConfig
    ami: AmiConfig
    database: DatabaseConfig = DatabaseConfig()
    http: HttpConfig = HttpConfig()
    pbx: PbxConfig = PbxConfig()
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    smtp: SmtpConfig | None = None
    project: ProjectConfig = ProjectConfig()
    notifications: NotificationsConfig = NotificationsConfig()
    sms: SmsConfig | None = None  # absent: SMS notifications fail (retried, then given up)
    webhooks: dict[str, WebhookConfig] = {}
    crm: CrmConfig = CrmConfig()
    transfers: TransfersConfig = TransfersConfig()


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


def parse(data: object, source: str, environ: dict | None = None,
          doc: yamldoc.Document | None = None) -> Config:
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: the top level must be a mapping of sections")
    _apply_env(data, os.environ if environ is None else environ)
    try:
        return Config.model_validate(data)
    except ValidationError as exc:
        lines = yamldoc.validation_lines(exc, doc or yamldoc.Document(data, source))
        raise ConfigError("\n".join(lines)) from None


def load(path: str | os.PathLike, environ: dict | None = None) -> Config:
    path = Path(path)
    try:
        doc = yamldoc.read(path, max_bytes=1024 * 1024)
    except yamldoc.DocumentError as exc:
        raise ConfigError(str(exc)) from None
    config = parse(doc.data, str(path), environ, doc)
    return _resolve_paths(config, path)


def _resolve_paths(config: Config, path: Path) -> Config:
    """A relative SQLite path is relative to the config file, not to the working directory;
    its folder must exist, or a typo would quietly start an empty database somewhere else."""
    url = config.database.url
    prefix = "sqlite:///"
    if not url.startswith(prefix) or url == prefix + ":memory:":
        return config
    name, query = (url[len(prefix):].split("?", 1) + [""])[:2]
    file = Path(name)
    if not file.is_absolute():
        file = (path.parent / file).resolve()
        resolved = f"{prefix}{file}" + (f"?{query}" if query else "")
        config = config.model_copy(update={"database": DatabaseConfig(url=resolved)})
    if not file.parent.is_dir():
        raise ConfigError(f"{path}: database.url: the folder {file.parent} does not exist "
                          f"(create it, or correct the URL)")
    return config

