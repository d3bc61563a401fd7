"""The `callctl` command."""
from __future__ import annotations

import argparse
import asyncio
import sys

from . import config as configuration
from . import log

EXIT_BAD_INPUT = 2


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="callctl", description="Virtual-PBX brain for Asterisk")
    sub = parser.add_subparsers(dest="command", required=True)
    for name, text in (("run", "run the daemon"),
                       ("check-config", "validate the configuration and exit")):
        p = sub.add_parser(name, help=text)
        p.add_argument("-c", "--config", required=True, help="the YAML configuration file")
    db = sub.add_parser("db", help="database maintenance")
    db.add_argument("action", choices=["upgrade"])
    db.add_argument("-c", "--config", required=True)
    args = parser.parse_args(argv)

    try:
        cfg = configuration.load(args.config)
    except configuration.ConfigError as exc:
        print(f"callctl: invalid configuration\n{exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    if args.command == "check-config":
        print(f"{args.config}: OK ({len(cfg.employees)} employees, {len(cfg.numbers)} numbers)")
        return 0
    log.setup(cfg.log_level)
    if args.command == "db":
        from .store.db import upgrade
        upgrade(cfg.database.url)
        print("database is at the latest schema")
        return 0
    from .app import Daemon
    asyncio.run(Daemon(cfg).run())
    return 0


if __name__ == "__main__":
    sys.exit(main())
