"""`callctl calls list|show|tag|report|recording`: the call log from the command line.

Times are shown, and dates on the command line are read, in the project's time zone; the
database holds UTC. Bad input exits 2 with a message that names the option.
"""
from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from ..store.calls import OUTCOMES, PAGE_MAX, BadCursor, CallLog, UnknownCall
from ..voicemail.listening import Listening, NoMessage, call_view

EXIT_BAD_INPUT = 2
LIST_COLUMNS = ("id", "start", "direction", "number", "caller", "answered by", "department",
                "ring s", "talk s", "outcome")
LEG_COLUMNS = ("target", "employee", "rang from", "rang to", "result", "reason")
NOTIFICATION_COLUMNS = ("channel", "recipient", "state", "attempts", "last error")
TRANSFER_COLUMNS = ("#", "how", "by", "to", "rang", "result", "recipient", "at")
PARTY_COLUMNS = ("party", "how", "talk from", "talk to", "talk time")
DATE_FORMATS = ("%Y-%m-%d", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S",
                "%Y-%m-%dT%H:%M:%S")


class BadInput(ValueError):
    """Refused input; the message starts with the option it is about."""


class Day(datetime):
    """A date given without a time: `--until` then means the end of that day."""


def add_parsers(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    parser = sub.add_parser("calls", help="the call log: list, show, tag, report, recording")
    actions = parser.add_subparsers(dest="action", required=True)
    lst = actions.add_parser("list", parents=[common], help="calls, newest first, a page at a time")
    lst.add_argument("--employee", help="answered by this employee (full name)")
    lst.add_argument("--department", help="answered by this department (at the time)")
    lst.add_argument("--number", help="the number dialled")
    lst.add_argument("--outcome", choices=OUTCOMES)
    _period(lst)
    lst.add_argument("--limit", type=_limit, default=50, help=f"rows per page (1-{PAGE_MAX})")
    lst.add_argument("--before", metavar="CURSOR", help="the cursor printed under a page")
    show = actions.add_parser("show", parents=[common], help="one call with every leg tried")
    show.add_argument("id")
    tag = actions.add_parser("tag", parents=[common],
                             help="set a call's category, value or comment ('' clears)")
    tag.add_argument("id")
    tag.add_argument("--category")
    tag.add_argument("--value")
    tag.add_argument("--comment")
    report = actions.add_parser("report", parents=[common],
                                help="per employee: answered, missed, talk time")
    _period(report)
    recording = actions.add_parser("recording", parents=[common],
                                   help="write a call's voicemail message to a wav file")
    recording.add_argument("id")
    recording.add_argument("-o", "--output", metavar="FILE", required=True,
                           help="the wav file to write (8 kHz mono 16-bit)")


def _period(p: argparse.ArgumentParser) -> None:
    p.add_argument("--since", type=_date, metavar="DATE",
                   help="from this date/time on (YYYY-MM-DD or 'YYYY-MM-DD HH:MM')")
    p.add_argument("--until", type=_date, metavar="DATE",
                   help="up to this time, or through this whole day if no time is given")


def _date(text: str) -> datetime:
    for fmt in DATE_FORMATS:
        try:
            parsed = datetime.strptime(text.strip(), fmt)
        except ValueError:
            continue
        return Day(parsed.year, parsed.month, parsed.day) if fmt == "%Y-%m-%d" else parsed
    raise argparse.ArgumentTypeError(f"not a date: {text!r} (use YYYY-MM-DD or "
                                     f"'YYYY-MM-DD HH:MM')")


def _limit(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        n = 0
    if not 1 <= n <= PAGE_MAX:
        raise argparse.ArgumentTypeError(f"must be a whole number from 1 to {PAGE_MAX}, "
                                         f"got {text!r}")
    return n


def main(args: argparse.Namespace, cfg) -> int:
    """Entry from callctl.cli: the configured database and time zone."""
    from ..store.db import make_engine, sessions
    from ..store.messages import Messages
    from ..store.notifications import Outbox
    maker = sessions(make_engine(cfg.database.url))
    call_log, zone = CallLog(maker), ZoneInfo(cfg.project.timezone)
    return run(args, call_log, zone, Listening(call_log, Messages(maker), Outbox(maker),
                                               zone=zone))


def run(args: argparse.Namespace, call_log: CallLog, zone: ZoneInfo,
        listening: Listening) -> int:
    try:
        if args.action == "list":
            return _list(args, call_log, zone)
        if args.action == "show":
            return _show(listening, args.id, zone, args.json)
        if args.action == "tag":
            return _tag(args, call_log, listening, zone)
        if args.action == "recording":
            return _recording(listening, args.id, args.output, args.json)
        return _report(args, call_log, zone)
    except (UnknownCall, NoMessage) as err:
        return _refuse(f"calls {args.action}: {err.args[0]}")
    except BadCursor as err:
        return _refuse(f"--before: {err}")
    except BadInput as err:
        return _refuse(str(err))


def _list(args, call_log: CallLog, zone: ZoneInfo) -> int:
    since, until = _bounds(args, zone)
    page = call_log.list_calls(employee=args.employee, department=args.department,
                               number=args.number, outcome=args.outcome, since=since,
                               until=until, limit=args.limit, before=args.before)
    if args.json:
        print(json.dumps({"calls": [call_view(r, zone) for r in page.rows],
                          "next_cursor": page.next_cursor}, indent=2))
        return 0
    _table(LIST_COLUMNS, [[r.id, _time(r.started_at, zone), r.direction, r.number, r.caller,
                           r.answered_by, r.answered_department, _secs(r.ring_seconds),
                           _secs(r.talk_seconds), r.outcome] for r in page.rows])
    print(f"next page: --before {page.next_cursor}" if page.next_cursor else "(last page)")
    return 0


def _show(listening: Listening, call_id: str, zone: ZoneInfo, as_json: bool) -> int:
    doc = listening.show(call_id)
    if as_json:
        print(json.dumps(doc, indent=2))
        return 0
    data = {k: v for k, v in doc.items()
            if k not in ("legs", "message", "transfers", "parties")}
    width = max(map(len, data))
    for key, value in data.items():
        print(f"{key:<{width}}  {'' if value is None else value}")
    print()
    _table(LEG_COLUMNS, [[leg["target"], leg["employee"], _shown(leg["rang_from"]),
                          _shown(leg["rang_to"]), leg["result"] or "ringing", leg["reason"]]
                         for leg in doc["legs"]], empty="(no legs)")
    if doc["transfers"]:
        print()
        _table(TRANSFER_COLUMNS, [[t["seq"], f"{t['mode']} by {t['via']}", t["transferer"],
                                   t["to"], t["rang"], t["result"] or "under way",
                                   t["recipient"], _shown(t["started_at"])]
                                  for t in doc["transfers"]])
        print()
        _table(PARTY_COLUMNS, [[p["who"], p["how"], _shown(p["talk_from"]),
                                _shown(p["talk_to"]), _secs(p["talk_seconds"])]
                               for p in doc["parties"]])
    message = doc["message"]
    if message is not None:
        print(f"\nvoicemail message: box {message['box']}, {message['seconds']:.1f} s, left "
              f"{_shown(message['recorded_at'])} (callctl calls recording {call_id} -o FILE)")
        _table(NOTIFICATION_COLUMNS, [[n["channel"], n["recipient"], n["state"], n["attempts"],
                                       n["last_error"]] for n in message["notifications"]],
               empty="(nobody to tell)")
    return 0


def _recording(listening: Listening, call_id: str, output: str, as_json: bool) -> int:
    message = listening.recording(call_id)
    try:
        with open(output, "wb") as f:
            f.write(message.audio)
    except OSError as exc:
        return _refuse(f"--output: {output}: cannot write: {exc.strerror}")
    out = {"call": call_id, "box": message.box, "seconds": message.seconds, "file": output}
    print(json.dumps(out) if as_json else
          f"{output}: {message.seconds:.1f} s from voicemail box {message.box}")
    return 0


def _tag(args, call_log: CallLog, listening: Listening, zone: ZoneInfo) -> int:
    if args.category is None and args.value is None and args.comment is None:
        return _refuse("calls tag: give at least one of --category, --value, --comment")
    try:
        call_log.tag(args.id, category=args.category, value=args.value, comment=args.comment)
    except ValueError as err:  # "category: at most 64 characters ..."
        return _refuse(f"--{err}")
    return _show(listening, args.id, zone, args.json)


def _report(args, call_log: CallLog, zone: ZoneInfo) -> int:
    since, until = _bounds(args, zone)
    stats = call_log.report(since=since, until=until)
    if args.json:
        print(json.dumps([vars(s) for s in stats], indent=2))
        return 0
    _table(("employee", "answered", "missed", "talk time", "outgoing", "outgoing talk"),
           [[s.employee, s.answered, s.missed, _hms(s.talk_seconds), s.outgoing,
             _hms(s.outgoing_talk_seconds)] for s in stats],
           empty="(no calls in this period)")
    return 0


def _bounds(args, zone: ZoneInfo) -> tuple[datetime | None, datetime | None]:
    since = args.since.replace(tzinfo=zone) if args.since else None
    until = None
    if args.until:
        until = args.until + timedelta(days=1) if isinstance(args.until, Day) else args.until
        until = until.replace(tzinfo=zone)
    if since and until and since >= until:
        raise BadInput("--until: must be after --since")
    return since, until


def _local(at: datetime | None, zone: ZoneInfo) -> datetime | None:
    if at is None:
        return None
    return (at if at.tzinfo else at.replace(tzinfo=ZoneInfo("UTC"))).astimezone(zone)


def _time(at: datetime | None, zone: ZoneInfo) -> str:
    local = _local(at, zone)
    return local.strftime("%Y-%m-%d %H:%M:%S") if local else ""


def _shown(iso_text: str | None) -> str:
    """An ISO time of a call document (already local) as the tables show times."""
    return iso_text.replace("T", " ")[:19] if iso_text else ""


def _secs(seconds: float | None) -> str:
    return "" if seconds is None else f"{seconds:.0f}"


def _hms(seconds: float) -> str:
    whole = round(seconds)
    return f"{whole // 3600}:{whole // 60 % 60:02}:{whole % 60:02}"


def _table(columns, rows, empty: str = "(no calls)") -> None:
    cells = [[("" if v is None else str(v)) for v in row] for row in rows]
    widths = [max([len(c), *(len(r[i]) for r in cells)]) for i, c in enumerate(columns)]
    for row in [list(columns), *cells]:
        print("  ".join(v.ljust(w) for v, w in zip(row, widths)).rstrip())
    if not rows:
        print(empty)


def _refuse(message: str) -> int:
    print(f"callctl: {message}", file=sys.stderr)
    return EXIT_BAD_INPUT
