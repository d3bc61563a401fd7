"""The database a test runs on, chosen by one setting: SQLite files (the default), or fresh
databases on a PostgreSQL server when CALLCTL_TEST_DATABASE (or pytest's --database) holds
that server's URL. scripts/test runs the suite once each way.

Every test gets an empty database of its own: a file in its tmp_path, or a new database on
the server, dropped when the test is done.
"""
from __future__ import annotations

import itertools
import os
import sqlite3
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import Engine, make_url

ENV = "CALLCTL_TEST_DATABASE"
_serial = itertools.count(1)
_admin: Engine | None = None


def server_url() -> str | None:
    """The PostgreSQL server's URL, or None when the tests run on SQLite."""
    value = os.environ.get(ENV, "").strip()
    return None if value in ("", "sqlite") else value


def dialect() -> str:
    return "sqlite" if server_url() is None else "postgresql"


def _admin_engine() -> Engine:
    global _admin
    if _admin is None:
        _admin = create_engine(server_url(), isolation_level="AUTOCOMMIT")
    return _admin


def new_database(path: Path) -> str:
    """The URL of a new, empty database: the SQLite file `path`, or a new database on the
    PostgreSQL server named after this process and a counter."""
    if server_url() is None:
        return f"sqlite:///{path}"
    name = f"test_{os.getpid()}_{next(_serial)}"
    with _admin_engine().connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    return make_url(server_url()).set(database=name).render_as_string(hide_password=False)


def drop_database(url: str) -> None:
    """Drops a database new_database made on the server (SQLite files go with tmp_path)."""
    if url.startswith("sqlite"):
        return
    name = make_url(url).database
    with _admin_engine().connect() as conn:  # FORCE: a daemon may still hold connections
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def fresh_database(path: Path):
    """new_database for the length of a `with` block."""
    url = new_database(path)
    try:
        yield url
    finally:
        drop_database(url)


@contextmanager
def writes_stalled(url: str):
    """Every write to the database waits until the block ends; reads go on (as another
    process holding the write lock would do it)."""
    if url.startswith("sqlite"):
        conn = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None)
        conn.execute("BEGIN EXCLUSIVE")  # in WAL mode readers still read
        try:
            yield
        finally:
            conn.execute("ROLLBACK")
            conn.close()
        return
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            tables = ", ".join(f'"{t}"' for t in inspect(conn).get_table_names())
            conn.exec_driver_sql(f"LOCK TABLE {tables} IN EXCLUSIVE MODE")  # reads still go
            try:
                yield
            finally:
                conn.rollback()
    finally:
        engine.dispose()


def scalar(url: str, sql: str, **params):
    """One value read with plain SQL, as another process (the CLI, an operator) would."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(text(sql), params).scalar()
    finally:
        engine.dispose()
