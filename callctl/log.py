"""Structured logging: one logfmt line per event (`event=call.answered call=… key=value`)."""
import logging
import sys
import time

_log = logging.getLogger("callctl")


def _quote(value) -> str:
    text = str(value)
    if text == "" or any(c in text for c in ' ="\n'):
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'
    return text


def format_event(name: str, fields: dict) -> str:
    parts = [f"event={name}"]
    parts += [f"{k}={_quote(v)}" for k, v in fields.items() if v is not None]
    return " ".join(parts)


def event(name: str, level: int = logging.INFO, **fields) -> None:
    """Log one structured event. Fields that are None are left out."""
    if _log.isEnabledFor(level):
        _log.log(level, format_event(name, fields))


def setup(level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stderr)
    formatter = logging.Formatter("ts=%(asctime)s.%(msecs)03dZ level=%(levelname)s %(message)s",
                                  "%Y-%m-%dT%H:%M:%S")
    formatter.converter = time.gmtime
    handler.setFormatter(formatter)
    root = logging.getLogger("callctl")
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    root.propagate = False


def set_level(level: str) -> None:
    logging.getLogger("callctl").setLevel(level.upper())
