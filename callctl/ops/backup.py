"""`callctl backup` / `callctl restore`: the database (every table, whatever issue added it:
directory, schemes, call log, prompts...) and the recordings folder, in one .tar.gz.

Consistent while the daemon runs:
- SQLite: the online backup API copies the live file page by page into a snapshot (WAL-safe,
  no lock held against the daemon's writes for longer than a page step).
- PostgreSQL: a logical copy through SQLAlchemy inside ONE read-only REPEATABLE READ
  transaction (the snapshot pg_dump takes too). Chosen over pg_dump because pg_dump must be
  installed on callctl's host at a version no older than the server's, and because rows as
  data restore into either database (moving from SQLite to PostgreSQL is a restore).

The archive records the schema revision: restore builds that schema with the project's own
migrations, puts the rows back, then migrates to the current revision.
"""
from __future__ import annotations

import base64
import json
import sqlite3
import tarfile
import tempfile
import warnings
from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import Iterator

from alembic.script import ScriptDirectory
from sqlalchemy import MetaData, create_engine, func, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SAWarning

from ..store.db import alembic_config, upgrade

FORMAT = 1
SQLITE_MEMBER = "database.sqlite3"
TABLES_DIR = "tables"
RECORDINGS_DIR = "recordings"
SKIP = {"alembic_version"}


class BackupError(Exception):
    pass


# -- rows as JSON ------------------------------------------------------------------------------

def _encode(value):
    if isinstance(value, datetime):
        if value.tzinfo is not None:  # stored as UTC everywhere; naive means UTC already
            value = value.astimezone(timezone.utc).replace(tzinfo=None)
        return {"$datetime": value.isoformat()}
    if isinstance(value, date):
        return {"$date": value.isoformat()}
    if isinstance(value, (bytes, bytearray, memoryview)):
        return {"$bytes": base64.b64encode(bytes(value)).decode()}
    if isinstance(value, Decimal):
        return {"$decimal": str(value)}
    return value


def _decode(value, aware: bool):
    if isinstance(value, dict) and len(value) == 1:
        (tag, raw), = value.items()
        if tag == "$datetime":
            at = datetime.fromisoformat(raw)
            return at.replace(tzinfo=timezone.utc) if aware else at
        if tag == "$date":
            return date.fromisoformat(raw)
        if tag == "$bytes":
            return base64.b64decode(raw)
        if tag == "$decimal":
            return Decimal(raw)
    return value


def _revision(conn) -> str | None:
    try:
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except Exception:
        return None


def reflect(conn) -> MetaData:
    """The tables as the database has them (whatever callctl version or issue made them)."""
    meta = MetaData()
    with warnings.catch_warnings():  # indexes SQLAlchemy cannot reflect are not needed here
        warnings.simplefilter("ignore", SAWarning)
        meta.reflect(conn)
    return meta


def _user_tables(meta: MetaData) -> list:
    return [t for t in meta.sorted_tables if t.name not in SKIP]  # parents before children


# -- backup ------------------------------------------------------------------------------------

def backup(url: str, out: Path, recordings_dir: Path | None = None) -> dict:
    """Writes the archive; returns its manifest (what it holds)."""
    engine = create_engine(url)
    out = Path(out)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            staging = Path(tmp)
            manifest = {"format": FORMAT, "created_at": datetime.now(timezone.utc).isoformat(),
                        "dialect": engine.dialect.name, "tables": {}}
            if engine.dialect.name == "sqlite":
                _sqlite_snapshot(engine, staging / SQLITE_MEMBER, manifest)
            else:
                _logical_snapshot(engine, staging / TABLES_DIR, manifest)
            manifest["recordings"] = _copy_tree_listing(recordings_dir)
            (staging / "manifest.json").write_text(json.dumps(manifest, indent=2))
            partial = out.with_name(out.name + ".partial")
            with tarfile.open(partial, "w:gz") as tar:
                tar.add(staging / "manifest.json", "manifest.json")
                for member in (SQLITE_MEMBER, TABLES_DIR):
                    if (staging / member).exists():
                        tar.add(staging / member, member)
                if manifest["recordings"]:
                    tar.add(recordings_dir, RECORDINGS_DIR)
            partial.replace(out)  # a backup is either whole or absent
            return manifest
    finally:
        engine.dispose()


def _sqlite_snapshot(engine: Engine, target: Path, manifest: dict) -> None:
    source = sqlite3.connect(engine.url.database)
    copy = sqlite3.connect(target)
    try:
        source.backup(copy)  # the online backup API: a consistent snapshot of the live file
    finally:
        source.close()
        copy.close()
    snapshot = create_engine(f"sqlite:///{target}")
    try:
        with snapshot.connect() as conn:
            manifest["revision"] = _revision(conn)
            meta = reflect(conn)
            manifest["tables"] = {t.name: conn.scalar(select(func.count()).select_from(t))
                                  for t in _user_tables(meta)}
    finally:
        snapshot.dispose()


def _logical_snapshot(engine: Engine, folder: Path, manifest: dict) -> None:
    folder.mkdir()
    with engine.connect().execution_options(isolation_level="REPEATABLE READ") as conn:
        conn.execute(text("SET TRANSACTION READ ONLY"))
        manifest["revision"] = _revision(conn)
        meta = reflect(conn)
        for table in _user_tables(meta):
            count = 0
            with open(folder / f"{table.name}.jsonl", "w") as f:
                order = list(table.primary_key.columns) or list(table.columns)
                for row in conn.execute(select(table).order_by(*order)).mappings():
                    f.write(json.dumps({k: _encode(v) for k, v in row.items()}) + "\n")
                    count += 1
            manifest["tables"][table.name] = count
        conn.rollback()


def _copy_tree_listing(folder: Path | None) -> int:
    if folder is None or not Path(folder).is_dir():
        return 0
    return sum(1 for p in Path(folder).rglob("*") if p.is_file())


# -- restore -----------------------------------------------------------------------------------

def read_manifest(archive: Path) -> dict:
    try:
        with tarfile.open(archive, "r:gz") as tar:
            manifest = json.load(tar.extractfile("manifest.json"))
    except (OSError, tarfile.TarError, KeyError, ValueError) as exc:
        raise BackupError(f"{archive}: not a callctl backup ({exc})") from None
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{archive}: backup format {manifest.get('format')} is not one this "
                          f"callctl reads ({FORMAT})")
    return manifest


def rows_in(url: str) -> int:
    """Rows in the database's tables (0 for a fresh or merely migrated database)."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            meta = reflect(conn)
            return sum(conn.scalar(select(func.count()).select_from(t))
                       for t in _user_tables(meta))
    finally:
        engine.dispose()


def restore(archive: Path, url: str, recordings_dir: Path | None = None,
            force: bool = False) -> dict:
    manifest = read_manifest(archive)
    known = {r.revision for r in ScriptDirectory.from_config(alembic_config(url))
             .walk_revisions()}
    if manifest.get("revision") not in known:
        raise BackupError(f"{archive}: made at schema revision {manifest.get('revision')}, "
                          f"which this callctl does not know (a newer version made it)")
    if not force and rows_in(url):
        raise BackupError("the database is not empty; nothing restored (--force replaces "
                          "everything in it)")
    if recordings_dir is not None and manifest["recordings"] and not force and \
            _copy_tree_listing(recordings_dir):
        raise BackupError(f"{recordings_dir}: already holds recordings; nothing restored "
                          f"(--force replaces them)")
    with tempfile.TemporaryDirectory() as tmp, tarfile.open(archive, "r:gz") as tar:
        if hasattr(tarfile, "data_filter"):  # Python 3.11.4+: refuse odd members
            tar.extractall(tmp, filter="data")
        else:
            tar.extractall(tmp)
        staging = Path(tmp)
        _empty_schema(url, manifest["revision"])
        if (staging / SQLITE_MEMBER).exists():
            _insert(url, _rows_from_sqlite(staging / SQLITE_MEMBER))
        else:
            _insert(url, _rows_from_jsonl(staging / TABLES_DIR, manifest["tables"]))
        upgrade(url)  # then up to this callctl's schema
        if recordings_dir is not None and (staging / RECORDINGS_DIR).is_dir():
            _replace_tree(staging / RECORDINGS_DIR, Path(recordings_dir))
    return manifest


def _empty_schema(url: str, revision: str) -> None:
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            meta = reflect(conn)
            meta.drop_all(conn)
    finally:
        engine.dispose()
    upgrade(url, revision)


def _rows_from_sqlite(path: Path) -> Iterator[tuple[str, list[dict]]]:
    engine = create_engine(f"sqlite:///{path}")
    try:
        with engine.connect() as conn:
            meta = reflect(conn)
            for table in _user_tables(meta):
                yield table.name, [{k: _encode(v) for k, v in row.items()}
                                   for row in conn.execute(select(table)).mappings()]
    finally:
        engine.dispose()


def _rows_from_jsonl(folder: Path, tables: dict) -> Iterator[tuple[str, list[dict]]]:
    for name in tables:
        with open(folder / f"{name}.jsonl") as f:
            yield name, [json.loads(line) for line in f]


def _insert(url: str, source: Iterator[tuple[str, list[dict]]]) -> None:
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            meta = reflect(conn)
            aware = conn.dialect.name != "sqlite"
            for name, rows in source:
                table = meta.tables[name]
                if rows:
                    conn.execute(table.delete())  # rows a migration seeded (e.g. meta)
                    conn.execute(table.insert(), [{k: _decode(v, aware) for k, v in r.items()}
                                                  for r in rows])
                if conn.dialect.name == "postgresql":
                    _advance_sequences(conn, table)
    finally:
        engine.dispose()


def _advance_sequences(conn, table) -> None:
    """Rows came with their ids: the id sequences must continue after them."""
    for column in table.primary_key.columns:
        sequence = conn.scalar(text("SELECT pg_get_serial_sequence(:t, :c)"),
                               {"t": table.name, "c": column.name})
        if sequence:
            conn.execute(text(f'SELECT setval(:s, COALESCE((SELECT MAX("{column.name}") '
                              f'FROM "{table.name}"), 0) + 1, false)'), {"s": sequence})


def _replace_tree(source: Path, target: Path) -> None:
    target.mkdir(parents=True, exist_ok=True)
    for path in sorted(source.rglob("*")):
        dest = target / path.relative_to(source)
        if path.is_dir():
            dest.mkdir(exist_ok=True)
        else:
            dest.write_bytes(path.read_bytes())
