"""The `callctl` command."""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys

from . import config as configuration
from . import log

EXIT_BAD_INPUT = 2


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("-c", "--config", default=os.environ.get("CALLCTL_CONFIG", "callctl.yaml"),
                        help="the YAML configuration file (default: $CALLCTL_CONFIG or "
                             "./callctl.yaml)")
    common.add_argument("--json", action="store_true", help="machine-readable output")
    parser = argparse.ArgumentParser(prog="callctl", description="Virtual-PBX brain for Asterisk")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("run", parents=[common], help="run the daemon")
    sub.add_parser("check-config", parents=[common], help="validate the configuration")
    db = sub.add_parser("db", parents=[common], help="database maintenance")
    db.add_argument("action", choices=["upgrade"])
    from .directory.cli import add_parsers
    add_parsers(sub, common)
    from .schemes.cli import add_parsers as add_scheme_parsers
    add_scheme_parsers(sub, common)
    from .calls.log_cli import add_parsers as add_call_log_parsers
    add_call_log_parsers(sub, common)
    from .ops.cli import add_parsers as add_ops_parsers
    add_ops_parsers(sub, common)
    tokens = sub.add_parser("tokens", help="API tokens (their power is the employee's level)")
    token_actions = tokens.add_subparsers(dest="action", required=True)
    create = token_actions.add_parser("create", parents=[common], help="print a new API token")
    create.add_argument("employee")
    project = sub.add_parser("project", help="the whole directory as one YAML document")
    actions = project.add_subparsers(dest="action", required=True)
    actions.add_parser("export", parents=[common], help="print the directory as YAML")
    imp = actions.add_parser("import", parents=[common],
                             help="make the directory match a YAML document (all or nothing)")
    imp.add_argument("file")
    imp.add_argument("--dry-run", action="store_true", help="print the changes, apply nothing")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from .ops import cli as ops_cli
    if args.command in ops_cli.WITHOUT_CONFIG:
        return ops_cli.run(args, None)
    try:
        cfg = configuration.load(args.config)
    except configuration.ConfigError as exc:
        print(f"callctl: invalid configuration\n{exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    if args.command == "check-config":
        print(f"{args.config}: OK")
        return 0
    log.setup(cfg.log_level)
    if args.command == "run":
        from .app import Daemon
        asyncio.run(Daemon(cfg, config_path=args.config).run())
        return 0
    if args.command in ops_cli.COMMANDS:
        return ops_cli.run(args, cfg)
    from .store.db import upgrade
    upgrade(cfg.database.url)
    if args.command == "db":
        print("database is at the latest schema")
        return 0
    if args.command == "project":
        return run_project(args, cfg)
    if args.command == "tokens":
        return run_tokens(args, cfg)
    if args.command == "calls":
        from .calls import log_cli
        return log_cli.main(args, cfg)
    if args.command in ("schemes", "simulate"):
        from .schemes import cli as schemes_cli
        return schemes_cli.run(args, cfg, service_factory(cfg))
    from .directory import cli as directory_cli
    return directory_cli.run(args, service_factory(cfg)(None))


def service_factory(cfg: configuration.Config):
    """Builds DirectoryService for a sessionmaker (None: the configured database's)."""
    from .directory.service import DirectoryService
    from .integrations.mail import mailer_from_config
    from .store.db import make_engine, sessions
    mailer = mailer_from_config(cfg.smtp)

    def make(maker=None):
        from .schemes.service import register_usage_checkers
        maker = maker or sessions(make_engine(cfg.database.url))
        service = DirectoryService(maker, mailer=mailer,
                                   seats_included=cfg.project.seats_included)
        register_usage_checkers(service)  # schemes, too, may use what is deleted
        return service
    return make


def run_tokens(args, cfg: configuration.Config) -> int:
    from .directory.errors import DirectoryError
    from .store.api_tokens import ApiTokens
    from .store.db import make_engine, sessions
    try:
        token = ApiTokens(sessions(make_engine(cfg.database.url))).create_token(args.employee)
    except (DirectoryError, LookupError) as exc:
        print(f"callctl: refused: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    print(json.dumps({"employee": args.employee, "token": token}) if args.json else token)
    return 0


def run_project(args, cfg: configuration.Config) -> int:
    from .directory import project
    from .directory.errors import DirectoryError
    from .domain.scheme import SchemeError
    from .schemes.service import SchemeService
    from .store.db import make_engine, sessions
    make = service_factory(cfg)
    if args.action == "export":
        maker = sessions(make_engine(cfg.database.url))
        directory = make(maker)
        print(project.dump(project.export_project(directory, SchemeService(maker, directory))),
              end="")
        return 0
    try:
        with open(args.file) as f:
            doc = project.parse(f.read(), args.file)
        lines, results = project.import_project(make_engine(cfg.database.url), make, doc,
                                                dry_run=args.dry_run)
    except OSError as exc:
        print(f"callctl: {args.file}: cannot read: {exc.strerror}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except (project.ProjectError, DirectoryError, SchemeError) as exc:
        print(f"callctl: import refused, nothing changed:\n{exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    for line in lines or ["no changes"]:
        print(line)
    if args.dry_run:
        print("(dry run: nothing was changed)")
    for result in results:
        for message in [*result.messages, *(result.detached or ())]:
            print(f"  {message}")
        if result.secret:
            print(f"  SIP account {result.object.get('login')}: password {result.secret}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
