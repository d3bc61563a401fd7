"""`callctl asterisk-config -o DIR`: the snippets an existing Asterisk needs, rendered from the
very templates the sandbox runs on (config/asterisk/callctl-*.conf, dialplan/callctl.conf),
with generated secrets, plus the matching callctl.yaml. Written into a folder of the
operator's own, to review and include; /etc is never touched.
"""
from __future__ import annotations

import os
import secrets
import sys
import textwrap
from dataclasses import asdict, dataclass
from pathlib import Path

import yaml

SNIPPETS = ("ari", "http", "manager", "pjsip", "sorcery")  # callctl-<name>.conf for <name>.conf
# Modules callctl uses (callctl doctor checks each) -> what for
MODULES = {
    "res_ari.so": "ARI itself", "res_stasis.so": "Stasis applications",
    "app_stasis.so": "the Stasis() dialplan application",
    "res_ari_channels.so": "ARI channels", "res_ari_bridges.so": "ARI bridges",
    "res_ari_applications.so": "ARI event filters and subscriptions",
    "res_ari_asterisk.so": "pushing SIP accounts (dynamic configuration)",
    "res_ari_endpoints.so": "SIP registration state", "res_ari_playbacks.so": "prompts",
    "res_ari_recordings.so": "voicemail recordings", "res_stasis_playback.so": "prompts",
    "res_stasis_recording.so": "voicemail recordings", "res_pjsip.so": "SIP",
    "chan_pjsip.so": "SIP channels", "res_sorcery_memory.so": "live SIP accounts",
    "res_http_media_cache.so": "prompts fetched from callctl over HTTP",
    "res_curl.so": "prompts fetched from callctl over HTTP",
    "func_db.so": "the fallback (DB() in the dialplan)", "app_dial.so": "the fallback (Dial)",
    "app_playback.so": "the fallback prompt", "res_musiconhold.so": "music on hold",
    "pbx_config.so": "the dialplan in extensions.conf",
}


class AsteriskConfigError(Exception):
    pass


@dataclass(frozen=True)
class Values:
    """The @@placeholders@@ of the templates (the sandbox fills the same names)."""
    carrier_host: str
    carrier_port: int = 5060
    trunk_endpoint: str = "carrier"
    trunk_bind: str = "0.0.0.0"
    trunk_port: int = 5080
    staff_transport: str = "staff"
    staff_bind: str = "0.0.0.0"
    staff_port: int = 5060
    http_bind: str = "127.0.0.1"
    http_port: int = 8088
    ami_bind: str = "127.0.0.1"
    ami_port: int = 5038
    ami_permit: str = "127.0.0.0/255.0.0.0"
    ari_user: str = "callctl"
    ari_password: str = ""
    ami_user: str = "callctl"
    ami_secret: str = ""


def template_dir() -> Path:
    """The templates: beside the package in a source checkout, else where the wheel put
    them (setup.cfg data_files)."""
    for base in (Path(__file__).resolve().parents[2], Path(sys.prefix) / "share" / "callctl"):
        if (base / "config" / "asterisk" / "callctl-ari.conf").is_file():
            return base
    raise AsteriskConfigError("the Asterisk templates are missing from this installation "
                              "(config/asterisk/callctl-*.conf)")


def render_text(text: str, values: dict[str, str], source: str) -> str:
    for key, value in values.items():
        text = text.replace(f"@@{key}@@", str(value))
    if "@@" in text:
        raise AsteriskConfigError(f"{source}: a placeholder has no value: "
                                  f"{text[text.index('@@'):][:40]}")
    return text


def render(values: Values) -> dict[str, str]:
    """{file name: content} of everything asterisk-config writes."""
    base, fields = template_dir(), asdict(values)
    files = {f"callctl-{name}.conf": render_text(
        (base / "config" / "asterisk" / f"callctl-{name}.conf").read_text(), fields, name)
        for name in SNIPPETS}
    files["callctl-extensions.conf"] = (base / "dialplan" / "callctl.conf").read_text()
    files["callctl.yaml"] = callctl_yaml(values)
    files["INSTALL.txt"] = install_text(values)
    return files


def callctl_yaml(v: Values) -> str:
    host = "127.0.0.1" if v.http_bind in ("0.0.0.0", "::") else v.http_bind
    ami_host = "127.0.0.1" if v.ami_bind in ("0.0.0.0", "::") else v.ami_bind
    config = {
        "ari": {"url": f"http://{host}:{v.http_port}", "username": v.ari_user,
                "password": v.ari_password, "app": "callctl"},
        "ami": {"host": ami_host, "port": v.ami_port, "username": v.ami_user,
                "secret": v.ami_secret},
        "pbx": {"trunk_endpoint": v.trunk_endpoint, "staff_transport": v.staff_transport,
                "staff_context": "callctl-internal", "fallback_context": "callctl-fallback"},
    }
    return ("# Written by `callctl asterisk-config` to match the Asterisk snippets beside it.\n"
            "# Add a database (default: SQLite file callctl.db beside this file) and the rest\n"
            "# from config/callctl.example.yaml.\n" + yaml.safe_dump(config, sort_keys=False))


def install_text(v: Values) -> str:
    modules = textwrap.fill(", ".join(MODULES), 88, initial_indent="   ",
                            subsequent_indent="   ")
    includes = "\n".join(f"  {name}.conf:{' ' * (11 - len(name))}#include \"callctl-{name}.conf\""
                         for name in (*SNIPPETS, "extensions"))
    return f"""callctl's pieces for an existing Asterisk (20 or newer)

1. Copy the callctl-*.conf files into Asterisk's configuration folder (/etc/asterisk).
2. Add one line at the END of each of these files (after their [general] section):
{includes}
   If sorcery.conf already has a [res_pjsip] section, put the lines of
   callctl-sorcery.conf into it instead.
3. The staff transport listens on {v.staff_bind}:{v.staff_port} and the trunk transport on
   {v.trunk_bind}:{v.trunk_port}: no other transport may use those ports. Calls from
   {v.carrier_host} arrive on endpoint "{v.trunk_endpoint}" and go to callctl; other trunks can
   use the template: [my-other-trunk](callctl-trunk).
4. Make sure these modules load (modules.conf):
{modules}.
5. Restart Asterisk (core restart when convenient), then check everything from callctl's side:
     callctl doctor -c callctl.yaml
   It names whatever is missing and how to fix it.

callctl.yaml holds the generated ARI password and AMI secret: keep it private, or move the
secrets into the environment (CALLCTL__ARI__PASSWORD, CALLCTL__AMI__SECRET).
"""


def write(out: Path, values: Values, force: bool = False) -> list[Path]:
    """Writes the files into `out` (made if missing). Refuses /etc, and files already there
    unless `force` (they hold secrets the running Asterisk may use)."""
    out = out.resolve()
    if out == Path("/etc") or Path("/etc") in out.parents:
        raise AsteriskConfigError(f"{out}: callctl never writes into /etc; write to a folder "
                                  f"of your own, review the files, then copy them")
    values = Values(**{**asdict(values),
                       "ari_password": values.ari_password or secrets.token_urlsafe(24),
                       "ami_secret": values.ami_secret or secrets.token_urlsafe(24)})
    files = render(values)
    existing = [name for name in files if (out / name).exists()]
    if existing and not force:
        raise AsteriskConfigError(f"{out}: already holds {', '.join(existing)}; nothing "
                                  f"written (--force replaces them, with new secrets)")
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in files.items():
        path = out / name
        path.write_text(text)
        if name in ("callctl.yaml", "callctl-ari.conf", "callctl-manager.conf"):
            os.chmod(path, 0o600)  # secrets
        written.append(path)
    return written
