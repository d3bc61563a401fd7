"""The operations commands: asterisk-config, doctor, backup, restore."""
from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

COMMANDS = ("asterisk-config", "doctor", "backup", "restore")
WITHOUT_CONFIG = ("asterisk-config",)  # it writes the configuration; it reads none
EXIT_PROBLEMS, EXIT_BAD_INPUT = 1, 2


def add_parsers(sub, common: argparse.ArgumentParser) -> None:
    ac = sub.add_parser("asterisk-config", help="write the Asterisk snippets and the matching "
                        "callctl.yaml into a folder (never into /etc)")
    ac.add_argument("-o", "--output", required=True, type=Path, help="the folder to write")
    ac.add_argument("--trunk-host", required=True, metavar="HOST[:PORT]",
                    help="the carrier's SIP address: calls from it go to callctl")
    ac.add_argument("--trunk-endpoint", default="carrier", help="the trunk's PJSIP name")
    ac.add_argument("--trunk-bind", default="0.0.0.0:5080", metavar="ADDR:PORT",
                    help="where the trunk transport listens")
    ac.add_argument("--staff-bind", default="0.0.0.0:5060", metavar="ADDR:PORT",
                    help="where staff phones register")
    ac.add_argument("--staff-transport", default="staff", help="the staff transport's name")
    ac.add_argument("--http-bind", default="127.0.0.1:8088", metavar="ADDR:PORT",
                    help="Asterisk's HTTP server (ARI)")
    ac.add_argument("--ami-bind", default="127.0.0.1:5038", metavar="ADDR:PORT",
                    help="Asterisk's manager interface (AMI)")
    ac.add_argument("--force", action="store_true", help="replace files already there")
    sub.add_parser("doctor", parents=[common], help="check the running Asterisk has "
                   "everything callctl relies on, and say how to fix what is missing")
    bk = sub.add_parser("backup", parents=[common], help="the database and the recordings "
                        "folder into one file (safe while the daemon runs)")
    bk.add_argument("-o", "--output", required=True, type=Path, help="the .tar.gz to write")
    rs = sub.add_parser("restore", parents=[common], help="put a backup back (the daemon "
                        "stopped)")
    rs.add_argument("file", type=Path)
    rs.add_argument("--force", action="store_true",
                    help="replace what the database and the recordings folder hold")


def run(args, cfg) -> int:
    if args.command == "asterisk-config":
        return asterisk_config(args)
    if args.command == "doctor":
        from .doctor import Doctor, as_json, report
        findings = asyncio.run(Doctor(cfg).run())
        print(as_json(findings) if args.json else report(findings))
        return EXIT_PROBLEMS if any(not f.ok for f in findings) else 0
    return backup_restore(args, cfg)


def recordings_dir(cfg) -> Path | None:
    """storage.recordings_dir, once the configuration has it (voicemail may keep
    recordings in a folder rather than in the database)."""
    folder = getattr(getattr(cfg, "storage", None), "recordings_dir", None)
    return Path(folder) if folder else None


def backup_restore(args, cfg) -> int:
    from .backup import BackupError, backup, restore
    folder = recordings_dir(cfg)
    try:
        if args.command == "backup":
            made = backup(cfg.database.url, args.output, folder)
            print(f"{args.output}: {describe(made)}")
            return 0
        made = restore(args.file, cfg.database.url, folder, force=args.force)
    except BackupError as exc:
        print(f"callctl: {args.command}: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    print(f"restored from {args.file}: {describe(made)}")
    return 0


def describe(manifest: dict) -> str:
    tables = manifest["tables"]
    rows = ", ".join(f"{name} {count}" for name, count in tables.items() if count)
    return (f"made {manifest['created_at']} from {manifest['dialect']} at schema "
            f"{manifest['revision']}: {len(tables)} tables, {sum(tables.values())} rows "
            f"({rows or 'none'}), {manifest['recordings']} recording files")


def _host_port(text: str, option: str, default_port: int | None = None) -> tuple[str, int]:
    host, sep, port = text.rpartition(":")
    if not sep:
        host, port = text, str(default_port or "")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"{option}: {text!r} is not ADDR:PORT")
    return host, int(port)


def asterisk_config(args) -> int:
    from .asterisk_config import AsteriskConfigError, Values, write
    try:
        carrier = _host_port(args.trunk_host, "--trunk-host", 5060)
        trunk, staff = (_host_port(args.trunk_bind, "--trunk-bind"),
                        _host_port(args.staff_bind, "--staff-bind"))
        http, ami = _host_port(args.http_bind, "--http-bind"), _host_port(args.ami_bind,
                                                                           "--ami-bind")
        values = Values(carrier_host=carrier[0], carrier_port=carrier[1],
                        trunk_endpoint=args.trunk_endpoint, trunk_bind=trunk[0],
                        trunk_port=trunk[1], staff_transport=args.staff_transport,
                        staff_bind=staff[0], staff_port=staff[1], http_bind=http[0],
                        http_port=http[1], ami_bind=ami[0], ami_port=ami[1])
        written = write(args.output, values, force=args.force)
    except (ValueError, AsteriskConfigError) as exc:
        print(f"callctl: asterisk-config: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    for path in written:
        print(path)
    print(f"next: read {args.output / 'INSTALL.txt'}, then `callctl doctor -c "
          f"{args.output / 'callctl.yaml'}`")
    return 0
