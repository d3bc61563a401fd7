"""Engine, sessions and migrations."""
from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import sessionmaker

MIGRATIONS = Path(__file__).parent / "migrations"


def make_engine(url: str) -> Engine:
    engine = create_engine(url, pool_pre_ping=True)
    if engine.dialect.name == "sqlite":
        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn, _record):
            # WAL lets the CLI read while the daemon writes; busy_timeout rides out locks.
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA busy_timeout=5000")  # first: switching to WAL may need a lock
            cur.execute("PRAGMA journal_mode=WAL")
            # WAL's recommended level: still crash-safe; a power cut may lose the last commits.
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()
    return engine


def sessions(engine: Engine) -> sessionmaker:
    return sessionmaker(engine, expire_on_commit=False)


def alembic_config(url: str):
    from alembic.config import Config as AlembicConfig  # noqa: PLC0415 - see upgrade()
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(url: str, revision: str = "head") -> None:
    """Migrate the database. Every CLI command calls this first: when the database is
    already at the head, one SELECT says so and Alembic is not even imported (it costs
    a tenth of a second per command). The folder of a SQLite file must exist: the config
    refuses a URL into a missing one rather than creating it."""
    if revision == "head" and _current(url) == head_revision():
        return
    from alembic import command  # noqa: PLC0415
    command.upgrade(alembic_config(url), revision)


def head_revision() -> str | None:
    """The revision no migration revises, read from the files without importing them."""
    revisions, revised = set(), set()
    for path in (MIGRATIONS / "versions").glob("*.py"):
        source = path.read_text()
        rev = re.search(r'^revision\s*=\s*["\']([^"\']+)', source, re.M)
        down = re.search(r'^down_revision\s*=\s*["\']([^"\']+)', source, re.M)
        if rev:
            revisions.add(rev.group(1))
        if down:
            revised.add(down.group(1))
    heads = revisions - revised
    return heads.pop() if len(heads) == 1 else None


def _current(url: str) -> str | None:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except Exception:  # noqa: BLE001 - no table yet, or no database: Alembic will say
        return None
    finally:
        engine.dispose()
