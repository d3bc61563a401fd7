"""What must hold when several writers hit one database at once (several daemons on one
PostgreSQL, the CLI and the API beside a daemon): every call-log write lands, the directory
version moves once per change, and a rule that spans two tables (an extension is unique across
employees and departments) holds between racing writers. scripts/test runs this on SQLite and
on PostgreSQL."""
import asyncio
import multiprocessing
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone

from sqlalchemy import func, select

from callctl.calls.recorder import CallRecorder
from callctl.directory import DirectoryService
from callctl.directory.errors import DirectoryError
from callctl.store.calls import CallLeg, CallLog
from callctl.store.db import make_engine, sessions, upgrade
from callctl.store.models import CallRecord

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)
DAEMONS, CALLS_EACH = 4, 150


def one_daemon(url: str, node: int, start: multiprocessing.Event) -> None:
    """A daemon's call-log traffic: its own recorder thread, every call's writes in order."""
    async def calls() -> None:
        recorder = CallRecorder(CallLog(sessions(make_engine(url))))
        start.wait()
        pending = []
        for n in range(CALLS_EACH):
            call, leg, at = f"{node}-{n}", f"{node}-{n}-leg", T0 + timedelta(seconds=n)
            pending += [recorder.submit(CallLog.started, call, "inbound", "+15550100",
                                        f"+1999{node}{n:04}", at),
                        recorder.submit(CallLog.leg_started, call, leg, "PJSIP/ann", "Ann", at),
                        recorder.submit(CallLog.leg_ended, leg, "answered", at + timedelta(seconds=3)),
                        recorder.submit(CallLog.answered, call, "Ann", "PJSIP/ann",
                                        at + timedelta(seconds=3)),
                        recorder.submit(CallLog.ended, call, "answered", at + timedelta(seconds=63))]
            if n % 10 == 0:
                await asyncio.sleep(0)  # calls arrive over time, not in one burst
        await asyncio.gather(*pending)
        await asyncio.to_thread(recorder.close)
    asyncio.run(calls())


def test_given_four_daemons_writing_at_once_then_every_call_is_complete(database_url):
    upgrade(database_url)
    ctx = multiprocessing.get_context("spawn")
    start = ctx.Event()
    daemons = [ctx.Process(target=one_daemon, args=(database_url, node, start))
               for node in range(DAEMONS)]
    for p in daemons:
        p.start()
    start.set()
    for p in daemons:
        p.join(120)
    assert [p.exitcode for p in daemons] == [0] * DAEMONS
    engine = make_engine(database_url)
    with sessions(engine)() as s:
        assert s.scalar(select(func.count()).select_from(CallRecord)) == DAEMONS * CALLS_EACH
        assert s.scalar(select(func.count()).select_from(CallRecord).where(
            CallRecord.outcome == "answered", CallRecord.talk_seconds == 60,
            CallRecord.ring_seconds == 3)) == DAEMONS * CALLS_EACH
        assert s.scalar(select(func.count()).select_from(CallLeg).where(
            CallLeg.result == "answered")) == DAEMONS * CALLS_EACH
    engine.dispose()


def racing(n: int, fn):
    """Runs fn(i) for i in range(n) in n threads released together; results or errors."""
    barrier = threading.Barrier(n)

    def run(i):
        barrier.wait()
        try:
            return fn(i)
        except DirectoryError as exc:
            return exc
    with ThreadPoolExecutor(n) as pool:
        return list(pool.map(run, range(n)))


def test_given_concurrent_changes_then_the_version_moves_once_per_change(database_url):
    upgrade(database_url)
    directory = DirectoryService(sessions(make_engine(database_url)))
    before = directory.version()

    def five(i):
        for k in range(5):
            directory.add_employee(f"Person {i}-{k}", f"p{i}-{k}@example.com", f"{i}{k}0")
    assert not any(racing(8, five))
    assert directory.version() == before + 40
    assert len(directory.snapshot().employees) == 40


def test_given_racing_writers_on_one_extension_then_exactly_one_wins(database_url):
    upgrade(database_url)
    directory = DirectoryService(sessions(make_engine(database_url)))
    before = directory.version()

    def claim(i):  # employees and departments share the extension space
        if i % 2:
            return directory.add_employee(f"Person {i}", f"p{i}@example.com", "300")
        return directory.add_department(f"Team {i}", "300")
    results = racing(6, claim)
    refusals = [r for r in results if isinstance(r, DirectoryError)]
    assert len(refusals) == 5, results
    assert all("extension: already used by" in str(r) for r in refusals)
    assert directory.version() == before + 1  # a refused change moves nothing
    snap = directory.snapshot()
    assert len(snap.employees) + len(snap.departments) == 1
