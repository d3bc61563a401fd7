"""The Alembic chain on the test database (SQLite, or PostgreSQL under scripts/test's second
run): every revision upgrades, downgrades and upgrades again; at head the schema is what the
models say; at base nothing of callctl is left."""
import importlib
import pkgutil

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

import callctl.store
from callctl.store.db import alembic_config, make_engine, upgrade
from callctl.store.models import Base


def revisions(url: str) -> list[str]:
    script = ScriptDirectory.from_config(alembic_config(url))
    return [r.revision for r in reversed(list(script.walk_revisions("base", "heads")))]


def tables(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return set(inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


def test_given_each_revision_when_downgraded_and_upgraded_again_then_it_goes_both_ways(
        database_url):
    chain = revisions(database_url)
    assert len(chain) >= 6
    before = "base"
    for revision in chain:
        upgrade(database_url, revision)
        made = tables(database_url)
        command.downgrade(alembic_config(database_url), before)
        upgrade(database_url, revision)  # nothing was left behind that blocks it
        assert tables(database_url) == made, f"{revision} does not come back the same"
        before = revision


@pytest.mark.filterwarnings("ignore:.*expression-based index")
def test_given_head_then_the_schema_matches_every_model_and_base_leaves_nothing(database_url):
    for module in pkgutil.iter_modules(callctl.store.__path__):  # every table of the store
        importlib.import_module(f"callctl.store.{module.name}")
    upgrade(database_url)
    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
        assert diff == []
    finally:
        engine.dispose()
    assert tables(database_url) == set(Base.metadata.tables)
    command.downgrade(alembic_config(database_url), "base")
    assert tables(database_url) == set()
