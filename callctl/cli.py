"""The `callctl` command."""
from __future__ import annotations

import argparse
import os
import sys

from . import config as configuration
from . import log
from .cliout import EXIT_BAD_INPUT, print_json, refuse


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
    from .routing.cli import add_parsers as add_routing_parsers
    add_routing_parsers(sub, common)
    from .prompts.cli import add_parsers as add_prompt_parsers
    add_prompt_parsers(sub, common)
    from .ops.cli import add_parsers as add_ops_parsers
    add_ops_parsers(sub, common)
    from .outgoing.cli import add_parsers as add_outgoing_parsers
    add_outgoing_parsers(sub, common)
    from .crm.cli import add_parsers as add_crm_parsers
    add_crm_parsers(sub, common)
    tokens = sub.add_parser("tokens", help="API tokens (their power is the employee's level)")
    token_actions = tokens.add_subparsers(dest="action", required=True)
    create = token_actions.add_parser("create", parents=[common], help="print a new API token")
    create.add_argument("employee")
    from .project.cli import add_parsers as add_project_parsers
    add_project_parsers(sub, common)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    for i, arg in enumerate(argv, 1):
        # Bytes that are not UTF-8 reach Python as lone surrogates; refuse them here, before
        # they reach a name, the database or the terminal.
        if any("\ud800" <= ch <= "\udfff" for ch in arg):
            return refuse(f"argument {i} is not valid UTF-8 text")
    args = build_parser().parse_args(argv)
    try:
        return _run(args)
    except BrokenPipeError:
        # The reader went away (`callctl ... | head`): say so once, quietly, on stderr.
        try:
            sys.stdout = open(os.devnull, "w")  # no second error when Python flushes
            print("callctl: output closed early (broken pipe)", file=sys.stderr)
        except OSError:
            pass
        return EXIT_BAD_INPUT


def _run(args) -> int:
    from .ops import cli as ops_cli
    if args.command in ops_cli.WITHOUT_CONFIG:
        return ops_cli.run(args, None)
    try:
        cfg = configuration.load(args.config)
        if args.command in ("check-config", "run"):
            from .domain.phones import is_country
            if not is_country(cfg.project.country):
                raise configuration.ConfigError(
                    f"{args.config}: project.country: {cfg.project.country!r} is not a "
                    "country libphonenumber knows (an ISO 3166 code such as US, DE, GB)")
    except configuration.ConfigError as exc:
        print(f"callctl: invalid configuration\n{exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    if args.command == "check-config":
        print(f"{args.config}: OK")
        return 0
    log.setup(cfg.log_level)
    if args.command == "run":
        import uvloop  # libuv's event loop: ~10 % less event-loop CPU per call (bench/README.md)

        from .app import Daemon
        uvloop.run(Daemon(cfg, config_path=args.config).run())
        return 0
    if args.command in ops_cli.COMMANDS:
        return ops_cli.run(args, cfg)
    from .store.db import upgrade
    upgrade(cfg.database.url)
    if args.command == "db":
        print("database is at the latest schema")
        return 0
    if args.command == "project":
        from .project import cli as project_cli
        return project_cli.run(args, cfg)
    if args.command == "tokens":
        return run_tokens(args, cfg)
    if args.command == "calls":
        from .calls import log_cli
        return log_cli.main(args, cfg)
    from .project.services import from_config
    if args.command in ("menus", "voicemail", "queues"):
        args.timezone = cfg.project.timezone
        from .routing import cli as routing_cli
        return routing_cli.run(args, from_config(cfg).routing)
    if args.command == "prompts":
        from .prompts import cli as prompts_cli
        return prompts_cli.run(args, from_config(cfg).prompts)
    if args.command == "outgoing":
        from .outgoing import cli as outgoing_cli
        return outgoing_cli.run(args, from_config(cfg).outgoing)
    if args.command in ("clients", "tasks", "crm"):
        from .crm import cli as crm_cli
        return crm_cli.run(args, from_config(cfg).crm)
    if args.command in ("schemes", "simulate"):
        from .schemes import cli as schemes_cli
        return schemes_cli.run(args, cfg, from_config(cfg))
    from .directory import cli as directory_cli
    return directory_cli.run(args, from_config(cfg).directory)


def run_tokens(args, cfg: configuration.Config) -> int:
    from .store.api_tokens import ApiTokens
    from .store.db import make_engine, sessions
    try:
        token = ApiTokens(sessions(make_engine(cfg.database.url))).create_token(args.employee)
    except LookupError as exc:
        return refuse(f"refused: {exc}", as_json=args.json, entity="employee")
    return print_json({"employee": args.employee, "token": token}) if args.json \
        else print(token) or 0


if __name__ == "__main__":
    sys.exit(main())
