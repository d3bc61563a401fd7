"""`callctl prompts add NAME FILE [--replace] | list | show NAME | delete NAME`.

Refusals exit 2 with the message on stderr and store nothing. A running daemon serves a
new or replaced prompt to Asterisk at once: its URL is made from the audio's version.
"""
from __future__ import annotations

import argparse
from pathlib import Path

from ..cliout import EXIT_OK, print_json, print_record, print_table, refuse
from .service import PromptError

COLUMNS = ["name", "seconds", "original_format", "original_filename", "updated_at", "sha256"]


def add_parsers(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    parser = sub.add_parser("prompts", help="uploaded prompts (.wav or .mp3) that menus, "
                                            "voicemail and queues play")
    actions = parser.add_subparsers(dest="action", required=True)
    add = actions.add_parser("add", parents=[common], help="upload a .wav (mono, 16-bit PCM, "
                             "8000 Hz) or an .mp3 (converted), at most 5 MB")
    add.add_argument("name")
    add.add_argument("file")
    add.add_argument("--replace", action="store_true",
                     help="replace the audio of an existing prompt of that name")
    actions.add_parser("list", parents=[common], help="every prompt")
    actions.add_parser("show", parents=[common], help="one prompt").add_argument("name")
    actions.add_parser("delete", parents=[common],
                       help="delete a prompt nothing plays").add_argument("name")


def run(args: argparse.Namespace, service) -> int:
    """`service` is a PromptService. Returns the exit code."""
    try:
        if args.action == "add":
            try:
                data = Path(args.file).read_bytes()
            except OSError as exc:
                return refuse(f"{args.file}: cannot read: {exc.strerror}", as_json=args.json,
                              entity="prompt", field="file")
            result = service.add_prompt(args.name, Path(args.file).name, data, args.replace)
            verb = "replaced" if result["replaced"] else "added"
            _show(result, args.json, f"prompt {result['name']!r} {verb}: "
                                     f"{result['seconds']:.1f} s")
        elif args.action == "list":
            rows = service.list_prompts()
            if args.json:
                return print_json(rows)
            print_table([c.upper() for c in COLUMNS], [[r[c] for c in COLUMNS] for r in rows],
                        empty="no prompts")
        elif args.action == "show":
            _show(service.get_prompt(args.name), args.json)
        else:
            _show(service.delete_prompt(args.name), args.json,
                  f"prompt {args.name!r} deleted")
    except PromptError as err:
        return refuse(f"refused: {err}", as_json=args.json, entity="prompt")
    return EXIT_OK


def _show(obj: dict, as_json: bool, headline: str | None = None) -> None:
    if as_json:
        print_json(obj)
        return
    if headline:
        print(headline)
    print_record(obj)
