"""`callctl project export|import`: the company as one YAML document."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..cliout import EXIT_OK, print_json, refuse


def add_parsers(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    project = sub.add_parser("project", help="the whole company as one YAML document")
    actions = project.add_subparsers(dest="action", required=True)
    exp = actions.add_parser("export", parents=[common], help="print the company as YAML")
    exp.add_argument("-o", "--output", metavar="FILE", help="write the document to FILE and "
                     "the prompts' audio beside it, in prompts/")
    imp = actions.add_parser(
        "import", parents=[common], help="make the company match a YAML document (all or "
        "nothing); a section the document leaves out is left as it is")
    imp.add_argument("file")
    imp.add_argument("--dry-run", action="store_true", help="print the changes, apply nothing")
    imp.add_argument("--prune", action="store_true",
                     help="also delete what a section of the document does not list")


def export(args: argparse.Namespace, services) -> int:
    """The document on stdout; with --output, to a file, with the prompts' audio beside it
    (a document printed to stdout leaves the prompts out, and says so)."""
    from ..prompts import project as prompt_doc
    from .importer import dump, export_project
    doc = export_project(services)
    if args.output:
        out = Path(args.output)
        try:
            doc["prompts"] = prompt_doc.export(services.prompts, out.parent)
            out.write_text(dump(doc))
        except OSError as exc:
            return refuse(f"{exc.filename}: cannot write: {exc.strerror}", as_json=args.json,
                          field="output")
        return EXIT_OK
    if services.prompts.list_prompts():
        print("callctl: the prompts are left out of a document printed here (their audio "
              "needs files of its own): use --output FILE", file=sys.stderr)
    if args.json:
        return print_json(doc)
    print(dump(doc), end="")
    return EXIT_OK


def run(args: argparse.Namespace, cfg) -> int:
    from .. import yamldoc
    from ..store.db import make_engine, sessions
    from .document import ProjectError
    from .importer import import_project
    from .services import from_config
    engine = make_engine(cfg.database.url)
    if args.action == "export":
        return export(args, from_config(cfg, sessions(engine)))
    try:
        doc = yamldoc.read(args.file)
        lines, results = import_project(engine, lambda maker: from_config(cfg, maker), doc,
                                        dry_run=args.dry_run, prune=args.prune)
    except (yamldoc.DocumentError, ProjectError) as exc:
        return refuse(str(exc), as_json=args.json, head="callctl: import refused, nothing "
                      "changed:", entity="project", field=None)
    if args.json:
        return print_json({"changes": lines, "dry_run": args.dry_run,
                           "results": [r.as_dict() for r in results]})
    for line in lines or ["no changes"]:
        print(line)
    if args.dry_run:
        print("(dry run: nothing was changed)")
    for result in results:
        for message in [*result.messages, *(result.detached or ())]:
            print(f"  {message}")
        if result.secret:
            print(f"  SIP account {result.object.get('login')}: password {result.secret}")
    return EXIT_OK
