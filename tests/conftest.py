"""Fixtures every kind of test shares: the database a test runs on (see
tests/support/databases.py: SQLite by default, PostgreSQL with --database URL or
CALLCTL_TEST_DATABASE=URL)."""
from __future__ import annotations

import os

import pytest

from tests.support import databases


def pytest_addoption(parser):
    parser.addoption("--database", metavar="sqlite|URL", default=None,
                     help="run the tests on SQLite (default) or on fresh databases of the "
                          "PostgreSQL server at URL (the same as CALLCTL_TEST_DATABASE=URL)")


def pytest_configure(config):
    chosen = config.getoption("--database")
    if chosen:  # the environment carries it into subprocesses and helpers alike
        os.environ[databases.ENV] = chosen


def pytest_report_header(config):
    return f"database: {databases.server_url() or 'sqlite'}"


@pytest.fixture
def database_url(tmp_path):
    """An empty database of this test's own (not migrated)."""
    with databases.fresh_database(tmp_path / "callctl.db") as url:
        yield url
