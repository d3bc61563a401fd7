"""`callctl doctor -c FILE`: connects to the running Asterisk the configuration names and
checks everything callctl relies on, saying what is missing and how to fix it.

Every check really exercises the piece (a scratch SIP account is pushed and removed, a
scratch Stasis app subscribes, a key goes into AstDB and out, a prompt is fetched over HTTP
into Asterisk's media cache); scratch objects are named callctl-doctor-* and removed again.
It never touches the configured Stasis app, so it is safe beside a running daemon.
"""
from __future__ import annotations

import asyncio
import json
import uuid
from dataclasses import dataclass

import aiohttp

from ..config import Config
from ..pbx.ari import Ari, AriError, Unauthorized
from .ami import AmiError, AmiSession
from .asterisk_config import MODULES
from .prompt_probe import fetch_into_media_cache

MIN_VERSION = 20


@dataclass
class Finding:
    check: str
    ok: bool
    detail: str
    fix: str = ""


class Doctor:
    def __init__(self, cfg: Config):
        self.cfg = cfg
        self.scratch = f"callctl-doctor-{uuid.uuid4().hex[:8]}"
        self.findings: list[Finding] = []
        self.ari = Ari(cfg.ari.url, cfg.ari.username, cfg.ari.password, self.scratch)
        self.ami: AmiSession | None = None

    def ok(self, check: str, detail: str) -> None:
        self.findings.append(Finding(check, True, detail))

    def fail(self, check: str, detail: str, fix: str) -> None:
        self.findings.append(Finding(check, False, detail, fix))

    async def run(self) -> list[Finding]:
        try:
            await self.open_ami()
            if await self.check_ari():
                for check in (self.check_modules, self.check_subscription, self.check_wizards,
                              self.check_media_cache):
                    await self.guarded(check)
            if self.ami is not None:
                await self.guarded(self.check_astdb)
                await self.guarded(self.check_dialplan)
        finally:
            await self.ari.close()
            if self.ami is not None:
                self.ami.close()
        return self.findings

    async def guarded(self, check) -> None:
        """A check that Asterisk answers unexpectedly is a finding, not a crash."""
        try:
            await check()
        except (AriError, AmiError, aiohttp.ClientError, OSError, asyncio.TimeoutError) as exc:
            name = check.__name__.removeprefix("check_").replace("_", " ")
            self.fail(name, f"could not be checked: {exc or type(exc).__name__}",
                      "see Asterisk's log; the other findings may say why")

    # -- ARI ----------------------------------------------------------------------------------

    async def check_ari(self) -> bool:
        url = self.cfg.ari.url
        try:
            info = await self.ari.request("GET", "/asterisk/info")
        except Unauthorized:
            self.fail("ARI user", f"{url} refused user {self.cfg.ari.username!r}",
                      f"ari.conf needs [{self.cfg.ari.username}] type=user with the password "
                      f"of ari.password in the config (callctl asterisk-config writes both)")
            return False
        except AriError as exc:
            self.fail("ARI", f"{url}/ari answered HTTP {exc.status}",
                      "load res_ari.so (module load res_ari.so) and check ari.conf "
                      "[general] enabled = yes")
            return False
        except (aiohttp.ClientError, OSError, asyncio.TimeoutError) as exc:
            self.fail("ARI", f"cannot reach Asterisk's HTTP server at {url}: "
                      f"{exc or type(exc).__name__}",
                      "in http.conf [general]: enabled = yes, bindaddr and bindport matching "
                      "ari.url; is Asterisk running?")
            return False
        self.ok("ARI user", f"{url} accepted user {self.cfg.ari.username!r}")
        version = (info.get("system") or {}).get("version", "")
        major = int(version.split(".")[0]) if version.split(".")[0].isdigit() else 0
        if major >= MIN_VERSION:
            self.ok("Asterisk version", f"{version} ({MIN_VERSION} or newer needed)")
        else:
            self.fail("Asterisk version", f"{version or 'unknown'}: callctl needs Asterisk "
                      f"{MIN_VERSION} or newer", "upgrade Asterisk")
        return True

    async def check_modules(self) -> None:
        running = {m["name"] for m in await self.ari.request("GET", "/asterisk/modules")
                   if m.get("status") == "Running"}
        missing = [m for m in MODULES if m not in running]
        for name in missing:
            self.fail(f"module {name}", f"not loaded; needed for {MODULES[name]}",
                      f"`module load {name}` now, and in modules.conf remove any "
                      f"`noload = {name}` (or add `load = {name}`)")
        if not missing:
            self.ok("modules", f"all {len(MODULES)} modules callctl uses are running")

    async def check_subscription(self) -> None:
        app, source = self.scratch, {"eventSource": "endpoint:PJSIP"}
        try:
            async with await self.ari.event_socket(app) as ws:
                await self.ari.request("PUT", f"/applications/{app}/eventFilter",
                                       body={"allowed": [{"type": "StasisStart"}]})
                await self.ari.request("POST", f"/applications/{app}/subscription",
                                       params=source)
                # Unsubscribed, the scratch app goes away with its socket.
                await self.ari.request("DELETE", f"/applications/{app}/subscription",
                                       params=source)
                await ws.close()
        except (aiohttp.ClientError, AriError) as exc:
            self.fail("Stasis app", f"a scratch app could not subscribe: {exc}",
                      "the ARI user must not be read_only (ari.conf read_only = no)")
            return
        self.ok("Stasis app", "an app connects, filters events and subscribes to endpoints")

    async def check_wizards(self) -> None:
        name, made = self.scratch, []
        fields = {"auth": {"auth_type": "userpass", "username": name, "password": name},
                  "aor": {"max_contacts": "1"},
                  "endpoint": {"transport": self.cfg.pbx.staff_transport, "aors": name,
                               "auth": name, "context": self.cfg.pbx.staff_context}}
        try:
            for kind in ("auth", "aor", "endpoint"):
                try:
                    await self.ari.put_dynamic("res_pjsip", kind, name, fields[kind])
                    made.append(kind)
                except AriError as exc:
                    self.fail(f"sorcery {kind}", f"a PJSIP {kind} cannot be created live "
                              f"({exc})", f"sorcery.conf [res_pjsip] needs `{kind} = config,"
                              f"pjsip.conf,criteria=type={kind}` then `{kind} = memory` (see "
                              f"callctl-sorcery.conf); restart Asterisk after changing it")
            if len(made) == 3:
                self.ok("sorcery memory wizards", "a SIP account was created live and removed")
                await self.check_staff_transport(name)
        finally:
            for kind in reversed(made):
                await self.ari.delete_dynamic("res_pjsip", kind, name)

    async def check_staff_transport(self, endpoint: str) -> None:
        """Asterisk lists a live endpoint's transport only when that transport exists."""
        if self.ami is None:
            return
        transport = self.cfg.pbx.staff_transport
        found = await self.ami.events("PJSIPShowEndpoint", "TransportDetail",
                                      Endpoint=endpoint, missing_ok=True)
        if any(t.get("ObjectName") == transport for t in found):
            self.ok(f"transport {transport}", "present: staff phones register on it")
        else:
            self.fail(f"transport {transport}", f"no PJSIP transport named {transport!r} "
                      f"(pbx.staff_transport): staff phones could not register",
                      "define it in pjsip.conf (see callctl-pjsip.conf) or set "
                      "pbx.staff_transport to your transport's name")

    async def check_media_cache(self) -> None:
        host = self.cfg.http.host
        problem = await fetch_into_media_cache(self.ari, f"{self.scratch}-prompt", host)
        if problem is None:
            self.ok("prompts over HTTP", f"Asterisk fetched a prompt served on {host} and "
                    f"played it (media cache)")
        else:
            self.fail("prompts over HTTP", problem,
                      f"load res_http_media_cache.so and res_curl.so, and let Asterisk reach "
                      f"http.host ({host}), where callctl serves prompts")

    # -- AMI ----------------------------------------------------------------------------------

    async def open_ami(self) -> None:
        ami = self.cfg.ami
        session = AmiSession(ami.host, ami.port, ami.username, ami.secret)
        try:
            self.ami = await session.open()
        except AmiError as exc:
            self.fail("AMI", f"{ami.host}:{ami.port}: {exc}",
                      f"manager.conf: [general] enabled = yes, port = {ami.port}, and a user "
                      f"[{ami.username}] with the secret of ami.secret, permit for callctl's "
                      f"address, read = system,call,reporting, write = system,call,"
                      f"originate,reporting (callctl asterisk-config writes it)")
            return
        self.ok("AMI user", f"{ami.host}:{ami.port} accepted user {ami.username!r}")

    async def check_astdb(self) -> None:
        family, value = "callctl_doctor", self.scratch
        try:
            await self.ami.action("DBPut", Family=family, Key="check", Val=value)
            got = await self.ami.events("DBGet", "DBGetResponse", Family=family, Key="check")
            await self.ami.action("DBDelTree", Family=family)
            if not got or got[0].get("Val") != value:
                raise AmiError("the value read back differs")
        except AmiError as exc:
            self.fail("AstDB", f"cannot write and read AstDB over AMI: {exc}",
                      "the AMI user needs write = system (DBPut) and read = system,reporting; "
                      "callctl keeps the fallback table there")
            return
        self.ok("AstDB", "written, read back and deleted over AMI (the fallback table lives "
                "there)")

    async def check_dialplan(self) -> None:
        pbx, app = self.cfg.pbx, self.cfg.ari.app
        trunk = await self.ami.events("PJSIPShowEndpoint", "EndpointDetail",
                                      Endpoint=pbx.trunk_endpoint, missing_ok=True)
        inbound = trunk[0].get("Context", "") if trunk else "callctl-inbound"
        if trunk:
            self.ok("trunk endpoint", f"{pbx.trunk_endpoint} sends its calls to {inbound}")
        else:
            self.fail("trunk endpoint", f"no PJSIP endpoint {pbx.trunk_endpoint!r} "
                      f"(pbx.trunk_endpoint)", "define the carrier's endpoint in pjsip.conf "
                      "(see callctl-pjsip.conf) or set pbx.trunk_endpoint to your trunk's name")
        transfers = "Set(PJSIP_TRANSFER_HANDLING()=ari-only)"
        # (context, what it must run, in order, for what)
        wanted = ((inbound, (transfers, f"Stasis({app},inbound", pbx.fallback_context),
                   "the company numbers' calls"),
                  (pbx.staff_context, (transfers, f"Stasis({app},internal", "Playback("),
                   "the staff phones' calls"),
                  (pbx.fallback_context, ("DB(callctl_fallback/", "Dial("),
                   "calls while the daemon is away"))
        for context, steps, purpose in wanted:
            lines = await self.ami.events("ShowDialPlan", "ListDialplan", Context=context,
                                          missing_ok=True)
            text = "\n".join(f"{x.get('Application')}({x.get('AppData')})" for x in lines)
            missing = [step for step in steps if step not in text]
            if not lines:
                self.fail(f"context {context}", f"missing; it takes {purpose}",
                          "include callctl-extensions.conf at the end of extensions.conf "
                          "(#include \"callctl-extensions.conf\"), then `dialplan reload`")
            elif missing:
                self.fail(f"context {context}", f"present but without {', '.join(missing)}"
                          f" (it takes {purpose})", "use the contexts of "
                          "callctl-extensions.conf unchanged, then `dialplan reload`")
            else:
                self.ok(f"context {context}", f"present; takes {purpose}")


def report(findings: list[Finding]) -> str:
    lines = []
    for f in findings:
        lines.append(f"{'ok  ' if f.ok else 'FAIL'}  {f.check}: {f.detail}")
        if not f.ok:
            lines.append(f"      fix: {f.fix}")
    problems = sum(not f.ok for f in findings)
    lines.append("everything callctl relies on is in place" if not problems
                 else f"{problems} problem{'s' if problems > 1 else ''} found")
    return "\n".join(lines)


def as_json(findings: list[Finding]) -> str:
    return json.dumps([f.__dict__ for f in findings], indent=2)
