"""YAML files people write (the config, a project, a scheme), read defensively.

Refused before anything is built from them, each with a message naming the file and line:
bytes that are not UTF-8 text (UTF-16, binary), files past a size limit, nesting deeper
than a person writes, aliases that expand past a node limit ("billion laughs": a 2 KB file
that would build gigabytes), and a key given twice in one mapping (YAML would keep the
last one silently). Errors never echo unbounded input. `Document.where(path)` names the
line a value came from, so later checks can point at it too.
"""
from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field

import yaml

from .domain.names import shown

MAX_BYTES = 10 * 1024 * 1024
MAX_DEPTH = 64
MAX_NODES = 200_000  # counted with every alias expanded


class DocumentError(Exception):
    """A file that cannot be read as a YAML document; str() names the file and line."""


@dataclass
class Document:
    data: object
    source: str
    lines: dict[tuple, int] = field(default_factory=dict)  # path -> 1-based line

    def where(self, path: Iterable = ()) -> str:
        """`source, line N` for the deepest known prefix of `path`."""
        path = tuple(path)
        for end in range(len(path), -1, -1):
            line = self.lines.get(path[:end])
            if line is not None:
                return f"{self.source}, line {line}"
        return self.source


def read(path: str | os.PathLike, *, max_bytes: int = MAX_BYTES) -> Document:
    """The YAML document in the file `path` (DocumentError when it cannot be one)."""
    source = os.fspath(path)
    try:
        with open(path, "rb") as f:
            raw = f.read(max_bytes + 1)
    except OSError as exc:
        raise DocumentError(f"{source}: cannot read: {exc.strerror or exc}") from None
    return parse(raw, source, max_bytes=max_bytes)


def parse(raw: bytes | str, source: str, *, max_bytes: int = MAX_BYTES) -> Document:
    text = decode(raw, source, max_bytes=max_bytes)
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return Document(None, source)
        _check_size(node, source)
        data = loader.construct_document(node)
    except yaml.YAMLError as exc:
        raise DocumentError(f"{source}: {describe(exc)}") from None
    except RecursionError:  # not expected past MAX_DEPTH; never a traceback
        raise DocumentError(f"{source}: nested too deeply") from None
    finally:
        loader.dispose()
    lines: dict[tuple, int] = {}
    _locate(node, (), lines, loader)
    return Document(data, source, lines)


def decode(raw: bytes | str, source: str, *, max_bytes: int = MAX_BYTES) -> str:
    if isinstance(raw, str):
        raw = raw.encode("utf-8", "surrogatepass")
    if len(raw) > max_bytes:
        raise DocumentError(f"{source}: larger than {max_bytes // (1024 * 1024)} MB")
    if raw[:4] in (b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff"):
        raise DocumentError(f"{source}: is UTF-32 text: save it as UTF-8")
    if raw[:2] in (b"\xff\xfe", b"\xfe\xff"):
        raise DocumentError(f"{source}: is UTF-16 text: save it as UTF-8")
    if b"\x00" in raw:
        raise DocumentError(f"{source}: is a binary file, not YAML text")
    try:
        return raw.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        raise DocumentError(f"{source}: line {line}: not UTF-8 text (byte "
                            f"0x{raw[exc.start]:02x}): save the file as UTF-8") from None


def describe(exc: yaml.YAMLError) -> str:
    """`line L, column C: problem` for a YAML syntax error (the one formatter of them)."""
    mark = getattr(exc, "problem_mark", None)
    where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
    problem = (getattr(exc, "problem", None) or str(exc))[:200]
    return f"{where}{problem}" if isinstance(exc, _Refused) else \
        f"{where}not valid YAML: {problem}"


class _Refused(yaml.MarkedYAMLError):
    """Valid YAML that we do not take (too deep, too big, a key given twice)."""

    def __init__(self, problem: str, mark):
        super().__init__(problem=problem, problem_mark=mark)


def validation_lines(exc, doc: Document, prefix: tuple = ()) -> list[str]:
    """A pydantic ValidationError as `file, line N: a.b.c: problem` lines."""
    out = []
    for err in exc.errors():
        loc = prefix + tuple(err["loc"])
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            msg = "unknown key"
        elif err["type"] in ("string_type", "int_type", "bool_type", "list_type",
                             "dict_type", "model_type"):
            msg = f"{msg}, got {shown(err.get('input'), 40)}"
        key = label(loc)
        out.append(f"{doc.where(loc)}: {key}: {msg}" if key else f"{doc.where(loc)}: {msg}")
    return out


def label(path: Iterable) -> str:
    """A path into the document as people read it: `employees[3].full_name`."""
    out = ""
    for part in path:
        text = shown(part, 40).strip("'\"")
        out += f"[{part}]" if isinstance(part, int) else (f".{text}" if out else text)
    return out


class _Loader(yaml.SafeLoader):
    """SafeLoader with a bounded depth and node count while composing, and duplicate keys
    refused while constructing."""

    def __init__(self, stream):
        super().__init__(stream)
        self._depth = 0
        self._composed = 0

    def compose_node(self, parent, index):
        self._depth += 1
        self._composed += 1
        if self._depth > MAX_DEPTH or self._composed > MAX_NODES:
            what = f"nested deeper than {MAX_DEPTH} levels" if self._depth > MAX_DEPTH \
                else f"more than {MAX_NODES} values"
            raise _Refused(what, self.peek_event().start_mark)
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_mapping(self, node, deep=False):
        if isinstance(node, yaml.MappingNode):
            seen: dict = {}
            for key_node, _ in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    continue
                key, line = self.construct_object(key_node, deep=True), key_node.start_mark.line + 1
                try:
                    first = seen.get(key)
                    seen.setdefault(key, line)
                except TypeError:  # an unhashable key: SafeLoader reports it
                    continue
                if first is not None:
                    raise _Refused(f"key {shown(key, 40)} is given twice in one mapping "
                                   f"(first at line {first})", key_node.start_mark)
        return super().construct_mapping(node, deep)


def _check_size(root, source: str) -> None:
    """Refuse a graph whose aliases would expand past MAX_NODES, before it is built."""
    sizes: dict[int, int] = {}
    stack = [(root, False)]
    while stack:
        node, done = stack.pop()
        if id(node) in sizes:
            continue
        children = _children(node)
        if not done:
            stack.append((node, True))
            stack.extend((c, False) for c in children if id(c) not in sizes)
            continue
        sizes[id(node)] = 1 + sum(sizes.get(id(c), 1) for c in children)
        if sizes[id(node)] > MAX_NODES:
            raise DocumentError(f"{source}: line {node.start_mark.line + 1}: aliases expand "
                                f"to more than {MAX_NODES} values: refused")


def _children(node) -> list:
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def _locate(node, path: tuple, lines: dict, loader: _Loader, budget: list | None = None):
    budget = budget if budget is not None else [MAX_NODES]
    budget[0] -= 1
    if budget[0] < 0 or len(path) > MAX_DEPTH:
        return
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
            if key is None:
                continue
            lines.setdefault(path + (key,), key_node.start_mark.line + 1)
            _locate(value_node, path + (key,), lines, loader, budget)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _locate(item, path + (i,), lines, loader, budget)
