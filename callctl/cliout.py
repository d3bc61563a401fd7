"""What every `callctl` command prints, in one place: exit codes, tables, records, JSON,
and refusals.

A refusal exits with EXIT_BAD_INPUT. Under `--json` stdout carries exactly one JSON
document either way: the result, or `{"error": {"entity", "field", "message", ...}}`,
so a script can always parse it and tell the two apart by the exit code.
"""
from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Sequence

EXIT_OK = 0
EXIT_BAD_INPUT = 2  # refused input: nothing changed


def print_json(obj) -> int:
    print(json.dumps(obj, indent=2, ensure_ascii=False, default=str))
    return EXIT_OK


def refuse(message: str, *, as_json: bool = False, head: str = "callctl:",
           entity: str | None = None, field: str | None = None, **extra) -> int:
    """Report refused input (stderr, or stdout as JSON under --json); returns the code."""
    if as_json:
        print_json({"error": {"entity": entity, "field": field, "message": message,
                              **extra}})
    else:
        lines = message.splitlines() or [""]
        text = f"{head} {lines[0]}" if len(lines) == 1 else "\n  ".join([head, *lines])
        print(text, file=sys.stderr)
    return EXIT_BAD_INPUT


def cell(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (list, tuple)):
        return ", ".join(map(str, value)) or "-"
    return str(value)


def print_table(columns: Sequence[str], rows: Iterable[Sequence], empty: str | None = None,
                blank: str = "-") -> None:
    """Columns padded to their widest cell; `empty` is printed under the header when there
    are no rows. `blank` stands for None."""
    cells = [[blank if v is None else cell(v) for v in row] for row in rows]
    widths = [max([len(c), *(len(r[i]) for r in cells)]) for i, c in enumerate(columns)]
    for row in [list(columns), *cells]:
        print("  ".join(v.ljust(w) for v, w in zip(row, widths)).rstrip())
    if not cells and empty:
        print(empty)


def print_record(obj: dict, blank: str = "-") -> None:
    """One object as `key  value` lines."""
    width = max(map(len, obj), default=0)
    for key, value in obj.items():
        print(f"{key:<{width}}  {blank if value is None else cell(value)}")
