"""Backup and restore on real databases (SQLite, and PostgreSQL in scripts/test's second run):
a round trip keeps every row of every table and the recordings; a backup taken while calls are
written is a consistent snapshot; a non-empty database is not overwritten without --force;
a backup of one kind of database restores into the other."""
import threading
from datetime import datetime, timedelta, timezone

import pytest
import yaml
from sqlalchemy import create_engine, select

from callctl.cli import main
from callctl.directory import DirectoryService
from callctl.ops.backup import BackupError, reflect, backup, restore
from callctl.schemes import SchemeService
from callctl.store.api_tokens import ApiTokens
from callctl.store.calls import CallLeg, CallLog
from callctl.store.db import make_engine, sessions, upgrade
from callctl.store.models import CallRecord
from tests.support.databases import fresh_database

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)


def fill(url: str) -> None:
    """A small company with a scheme, calls, a token: rows in every kind of table."""
    upgrade(url)
    maker = sessions(make_engine(url))
    d = DirectoryService(maker, clock=lambda: T0)
    d.add_department("Sales", "200")
    d.add_employee("Mia Park", "mia@example.com", "101", department="Sales",
                   access_level="admin", phone_numbers=["+15550111"])
    d.add_sip_account("Mia Park", on_pc=True)
    d.add_number("+15550100", "Mia Park")
    SchemeService(maker, d).save_scheme({"name": "Day", "kind": "sequential", "branches": [
        {"name": "all", "schedule": {"days": "mon-sun", "hours": ["00:00-23:59"]},
         "blocks": [{"timeout": 20, "directions": [{"employee": "Mia Park"}]}]}]})
    ApiTokens(maker).create_token("Mia Park")
    log = CallLog(maker)
    for n in range(3):
        log.started(f"c{n}", "inbound", "+15550100", "+15557654321", T0 + timedelta(hours=n))
        log.leg_started(f"c{n}", f"leg{n}", "PJSIP/mia", "Mia Park", T0 + timedelta(hours=n))
        log.leg_ended(f"leg{n}", "answered", T0 + timedelta(hours=n, seconds=4))
        log.answered(f"c{n}", "Mia Park", "PJSIP/mia", T0 + timedelta(hours=n, seconds=4))
        log.ended(f"c{n}", "answered", T0 + timedelta(hours=n, seconds=64))
    log.tag("c1", category="lead", comment="called back\nnext day")


def everything(url: str) -> dict[str, list[tuple]]:
    """Every table's rows, in key order, times as UTC instants."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            meta = reflect(conn)
            return {t.name: [tuple(_instant(v) for v in row) for row in conn.execute(
                select(t).order_by(*(t.primary_key.columns or t.columns)))]
                for t in meta.sorted_tables}
    finally:
        engine.dispose()


def _instant(value):
    if isinstance(value, datetime) and value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value


@pytest.fixture
def recordings(tmp_path):
    folder = tmp_path / "recordings"
    (folder / "2026-11").mkdir(parents=True)
    (folder / "2026-11" / "vm-c1.wav").write_bytes(b"RIFF" + bytes(range(256)) * 40)
    return folder


def test_given_a_company_when_backed_up_and_restored_elsewhere_then_all_of_it_is_back(
        database_url, tmp_path, recordings):
    fill(database_url)
    made = backup(database_url, tmp_path / "b.tar.gz", recordings)
    assert made["tables"]["calls"] == 3 and made["recordings"] == 1
    assert set(made["tables"]) >= {"employees", "sip_accounts", "schemes", "call_legs",
                                   "api_tokens", "meta"}
    with fresh_database(tmp_path / "restored.db") as target:
        back = tmp_path / "restored-recordings"
        restore(tmp_path / "b.tar.gz", target, back)
        assert everything(target) == everything(database_url)
        assert (back / "2026-11" / "vm-c1.wav").read_bytes() == \
            (recordings / "2026-11" / "vm-c1.wav").read_bytes()
        # life goes on in the restored database: new rows get new ids
        log = CallLog(sessions(make_engine(target)))
        log.started("c9", "inbound", "+15550100", "+1555", T0)
        log.leg_started("c9", "leg9", "PJSIP/mia", "Mia Park", T0)
        assert len(log.get("c9").legs) == 1


@pytest.mark.parametrize("direction", ["this database into SQLite", "SQLite into this one"])
def test_given_one_kind_of_database_then_its_backup_restores_into_the_other(
        database_url, tmp_path, direction):
    sqlite_url = f"sqlite:///{tmp_path / 'other.db'}"
    source, target = ((database_url, sqlite_url) if direction.startswith("this")
                      else (sqlite_url, database_url))
    fill(source)
    backup(source, tmp_path / "b.tar.gz")
    restore(tmp_path / "b.tar.gz", target)
    assert everything(target) == everything(source)


def test_given_calls_being_written_when_backed_up_then_the_snapshot_is_consistent(
        database_url, tmp_path):
    upgrade(database_url)
    maker, stop, written = sessions(make_engine(database_url)), threading.Event(), [0]

    def daemon_writes():  # each call and its leg in one transaction, as the recorder does
        while not stop.is_set():
            n = written[0]
            with maker.begin() as s:
                s.add(CallRecord(id=f"w{n}", direction="inbound", number="+1", caller="+2",
                                 started_at=T0, outcome="in_progress"))
                s.flush()
                s.add(CallLeg(call_id=f"w{n}", channel_id=f"w{n}-leg", target="PJSIP/x",
                              rang_from=T0))
            written[0] += 1
    writer = threading.Thread(target=daemon_writes)
    writer.start()
    try:
        while written[0] < 50:
            stop.wait(0.01)
        made = backup(database_url, tmp_path / "b.tar.gz")
    finally:
        stop.set()
        writer.join()
    assert 50 <= made["tables"]["calls"] == made["tables"]["call_legs"] < written[0] + 1
    with fresh_database(tmp_path / "restored.db") as target:
        restore(tmp_path / "b.tar.gz", target)
        rows = everything(target)
        assert len(rows["calls"]) == len(rows["call_legs"]) == made["tables"]["calls"]


def test_given_a_database_with_data_then_restore_refuses_without_force(database_url,
                                                                         tmp_path):
    fill(database_url)
    backup(database_url, tmp_path / "b.tar.gz")
    CallLog(sessions(make_engine(database_url))).started("new", "inbound", "+1", "+2", T0)
    before = everything(database_url)
    with pytest.raises(BackupError, match="the database is not empty; nothing restored"):
        restore(tmp_path / "b.tar.gz", database_url)
    assert everything(database_url) == before
    restore(tmp_path / "b.tar.gz", database_url, force=True)
    assert "new" not in {row[0] for row in everything(database_url)["calls"]}


def test_given_the_cli_then_it_says_what_it_backs_up_and_restores(database_url, tmp_path,
                                                                   capsys):
    fill(database_url)
    config = tmp_path / "callctl.yaml"
    config.write_text(yaml.safe_dump({"ari": {"password": "x"}, "ami": {"secret": "x"},
                                      "database": {"url": database_url}}))
    archive = tmp_path / "b.tar.gz"
    assert main(["backup", "-o", str(archive), "-c", str(config)]) == 0
    said = capsys.readouterr().out
    assert said.startswith(f"{archive}: made ") and "calls 3" in said
    assert main(["restore", str(archive), "-c", str(config)]) == 2
    assert "not empty; nothing restored (--force replaces everything in it)" in \
        capsys.readouterr().err
    assert main(["restore", str(archive), "-c", str(config), "--force"]) == 0
    assert f"restored from {archive}: made " in capsys.readouterr().out
    (tmp_path / "junk.tar.gz").write_text("not a tarball")
    assert main(["restore", str(tmp_path / "junk.tar.gz"), "-c", str(config)]) == 2
    assert "not a callctl backup" in capsys.readouterr().err
