"""Row 9 of `make bench`: traditional mode (issue 15), a long history and the store behind it.

The history: 3 years of daily snapshots of 10 cards (about 11k rows), a score a month for
2 models, a report a month, and 100k transactions (renamed copies of the demo's posted ones,
every other round of copies a year earlier so that they span the three years), all at one
bank.

9a. The History page's warm rerun on that history against its floor (as rows 1 and 4b), the
    history injected in place of ``history.current_history``.
9b. Reading it back from the store, as ``kept_history`` does (daily snapshots, scores,
    reports, transactions), on SQLite (a temporary file) and PostgreSQL (a schema of its own,
    dropped after), each store filled once beforehand; a new engine for each read.
9c. A fetch keeping 1,000 new transactions into the store of 100k: ``kept_sync`` (the kept
    state a fetch loads first), then ``apply_sync`` of the kept state plus the new ones; the
    new ones are synced away again (untimed) before the next run.

PostgreSQL: ``TEST_DATABASE_URL`` (``tests.support.databases``); without it its rows are
skipped with a note naming the URL.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from itertools import cycle
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from bench.suite import Row, add, clean_settings, clock, page_against_floor, reset_process

CARDS = 10
MONTHS = 36
TRANSACTIONS = 100_000
NEW_TRANSACTIONS = 1_000
STORE_RUNS = 5
MODELS = ("VantageScore 3.0", "FICO 8")
ITEM = "bench-history-item"
IDENTITY = "bench-history-person"
BACKENDS = ("SQLite", "PostgreSQL")
T = TypeVar("T")

if TYPE_CHECKING:
    from cryptography.fernet import Fernet

    from integrations.models import Account, CreditReport, Institution, Transaction
    from services.analytics.trends import AccountDay, ScoreReading
    from services.runtime.history import History
    from services.storage.store import HistoryStore


@dataclass(frozen=True)
class LongHistory:
    """What three years of traditional mode keep for one person, in the store's own types."""

    accounts: tuple[Account, ...]  # the 10 cards
    institution: Institution
    days: tuple[AccountDay, ...]
    readings: tuple[ScoreReading, ...]
    pulls: tuple[datetime, ...]  # when each monthly report was pulled
    report: CreditReport  # the demo's, standing in for every pull
    transactions: tuple[Transaction, ...]

    @property
    def rows(self) -> int:
        """Rows ``kept_history`` reads back: days, scores, reports and transactions."""
        return len(self.days) + len(self.readings) + len(self.pulls) + len(self.transactions)

    def as_history(self) -> History:
        from services.runtime.history import History

        reports = tuple((pulled.date(), self.report) for pulled in self.pulls)
        return History(
            "kept", self.days, self.readings, reports, self.transactions, "bench|long-history"
        )


def history_rows() -> None:
    clean_settings()
    os.environ["DATA_SOURCE"] = "demo"
    long_history = build_long_history(date.today())
    try:
        history_page(long_history)
        with stores(long_history) as filled:
            reads(filled, long_history)
            syncs(filled, long_history)
    finally:
        clean_settings()
        os.environ["DATA_SOURCE"] = "demo"
        reset_process()


# --- The history -----------------------------------------------------------------------------


def build_long_history(today: date) -> LongHistory:
    import numpy as np

    from integrations.common.months import add_months
    from integrations.demo.parsed import demo_credit_report, demo_item_data
    from integrations.models import Account, Institution
    from services.analytics.trends import AccountDay, ScoreReading

    rng = np.random.default_rng(15)
    institution = Institution("ins_bench", "Bench Bank")
    limits = [1_000.0 * (2 + n) for n in range(CARDS)]
    cards = tuple(
        Account(
            account_id=f"bench-card-{n}",
            item_id=ITEM,
            name=f"Card {n}",
            official_name=None,
            mask=f"{4100 + n}",
            type="credit",
            subtype="credit card",
            current=None,
            available=None,
            limit=limit,
            currency="USD",
        )
        for n, limit in enumerate(limits)
    )
    first = add_months(today, -MONTHS) + timedelta(days=1)
    calendar = [first + timedelta(days=n) for n in range((today - first).days + 1)]
    days = []
    for card, limit in zip(cards, limits, strict=True):
        steps = rng.normal(0.0, limit / 60, size=len(calendar))
        owed = np.clip(limit * 0.3 + np.cumsum(steps), 0.0, limit).round(2)
        days += [
            AccountDay(
                day=day,
                account_id=card.account_id,
                item_id=ITEM,
                bank=institution.name,
                name=card.name,
                mask=card.mask,
                kind="card",
                currency="USD",
                balance=float(balance),
                limit=limit,
            )
            for day, balance in zip(calendar, owed, strict=True)
        ]
    pulls = tuple(
        datetime(day.year, day.month, day.day, 12, tzinfo=UTC)
        for day in (add_months(today, -months) for months in range(MONTHS - 1, -1, -1))
    )
    scores = (680 + np.cumsum(rng.integers(-6, 8, size=len(pulls)))).tolist()
    readings = tuple(
        ScoreReading(pulled.date(), model, int(score) + offset)
        for pulled, score in zip(pulls, scores, strict=True)
        for model, offset in zip(MODELS, (0, 9), strict=True)
    )
    posted = [t for item in demo_item_data(today) for t in item.transactions if not t.pending]
    return LongHistory(
        accounts=cards,
        institution=institution,
        days=tuple(sorted(days, key=lambda d: (d.day, d.account_id))),
        readings=readings,
        pulls=pulls,
        report=demo_credit_report(today),
        transactions=copies(posted, TRANSACTIONS, cards, "bench"),
    )


def copies(
    posted: list[Transaction], size: int, cards: tuple[Account, ...], prefix: str
) -> tuple[Transaction, ...]:
    """``size`` renamed copies of ``posted`` spread over ``cards``; every other round of copies
    a year earlier, so that two years of the demo's cover three."""
    from integrations.common.months import add_months

    def copy(n: int, t: Transaction) -> Transaction:
        earlier = (n // len(posted)) % 2 == 1
        return replace(
            t,
            transaction_id=f"{prefix}-{n}-{t.transaction_id}",
            account_id=cards[n % len(cards)].account_id,
            date=add_months(t.date, -12) if earlier else t.date,
            authorized_date=(
                add_months(t.authorized_date, -12)
                if earlier and t.authorized_date
                else t.authorized_date
            ),
        )

    return tuple(copy(n, t) for n, t in zip(range(size), cycle(posted), strict=False))


# --- 9a ----------------------------------------------------------------------------------------


@contextmanager
def injected_history(history: History) -> Iterator[None]:
    """``history`` in place of ``current_history`` for the page, the overview and the floor,
    which look it up on every run."""
    from services.runtime import history as module

    original = module.current_history
    module.current_history = lambda settings: history  # type: ignore[assignment]
    try:
        yield
    finally:
        module.current_history = original


def history_page(long_history: LongHistory) -> None:
    group = (
        f"9a History page: {CARDS} cards x {MONTHS // 12} years daily, "
        f"{len(long_history.transactions) // 1000}k transactions"
    )
    reset_process()
    with injected_history(long_history.as_history()):
        pair = page_against_floor("pages/history.py", ("current_history",))
    for row in pair.rows(group, "history, last 12 months"):
        add(row)


# --- The stores --------------------------------------------------------------------------------


@dataclass
class Filled:
    backend: str
    url: str
    person: str
    fill_ms: float


@contextmanager
def stores(long_history: LongHistory) -> Iterator[list[Filled]]:
    """A SQLite file and, when PostgreSQL answers, a schema of its own, each filled once with
    ``long_history``; both gone afterwards."""
    import pytest
    from cryptography.fernet import Fernet

    from tests.support.databases import HISTORY_KEY, postgres_schema

    with ExitStack() as stack:
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-history-")))
        urls = {"SQLite": f"sqlite:///{folder / 'history.db'}"}
        try:
            urls["PostgreSQL"] = stack.enter_context(contextmanager(postgres_schema)())
        except pytest.skip.Exception as skipped:  # postgres_schema's own message names the URL
            print(f"  (PostgreSQL rows skipped: {skipped.msg})")
        sealer = Fernet(HISTORY_KEY)
        filled = [fill(backend, url, long_history, sealer) for backend, url in urls.items()]
        group = "9b/9c history store: filled once beforehand"
        for one in filled:
            note = (
                f"save_item, apply_sync of {len(long_history.transactions):,}, record_day of "
                f"{len(long_history.days):,}, {len(long_history.pulls)} reports"
            )
            add(Row(group, f"{one.backend}: fill", "ms", [one.fill_ms], note=note))
        yield filled


def opened(url: str) -> HistoryStore:
    from services.storage.store import HistoryStore
    from tests.support.databases import HISTORY_KEY

    return HistoryStore.open(url, [HISTORY_KEY])


def fill(backend: str, url: str, long_history: LongHistory, sealer: Fernet) -> Filled:
    from integrations.models import SyncState
    from services.runtime.codec import report_text

    store = opened(url)
    try:
        store.migrate()
        person = store.person_key(IDENTITY)
        sealed_report = sealer.encrypt(report_text(long_history.report).encode())
        by_day: dict[date, list[ScoreReading]] = {}
        for reading in long_history.readings:
            by_day.setdefault(reading.day, []).append(reading)

        def write() -> None:
            store.save_item(
                person,
                ITEM,
                sealer.encrypt(b"access-sandbox-bench-history"),
                long_history.institution.institution_id,
                long_history.institution.name,
            )
            synced = SyncState("cursor-0", long_history.transactions, long_history.institution)
            store.apply_sync(person, ITEM, None, synced, long_history.accounts)
            store.record_day(person, long_history.days)
            for pulled in long_history.pulls:
                store.save_report(person, pulled, sealed_report, by_day[pulled.date()])

        fill_ms = clock(write)
    finally:
        store.close()
    return Filled(backend, url, person, fill_ms)


def timed(run: Callable[[], T]) -> tuple[float, T]:
    """How long ``run`` took (ms), and what it gave."""
    started = time.perf_counter()
    value = run()
    return (time.perf_counter() - started) * 1000, value


def turns(filled: list[Filled], runs: int, measure: Callable[[Filled], None]) -> None:
    """``measure`` on each backend in turn, ``runs`` rounds: noise falls on both alike."""
    for _ in range(runs):
        for one in filled:
            measure(one)


def side_by_side(
    group: str, label: str, values: dict[str, list[float]], notes: dict[str, str]
) -> None:
    """A row per backend, then PostgreSQL's median over SQLite's when both ran."""
    for backend, times in values.items():
        add(Row(group, f"{backend}: {label}", "ms", times, note=notes.get(backend, "")))
    if len(values) == len(BACKENDS):
        pg, lite = (statistics.median(values[b]) for b in ("PostgreSQL", "SQLite"))
        row = Row(group, f"PostgreSQL / SQLite: {label}", "x", [pg / lite])
        row.ratio = pg / lite
        add(row)


# --- 9b ----------------------------------------------------------------------------------------


def read_back(store: HistoryStore, person: str) -> int:
    """What ``kept_history`` asks the store (its reports stay sealed here); rows read."""
    days = store.account_days(person)
    readings = store.scores(person)
    reports = store.reports(person)
    transactions = store.transactions(person)
    return len(days) + len(readings) + len(reports) + len(transactions)


def reads(filled: list[Filled], long_history: LongHistory) -> None:
    times: dict[str, list[float]] = {one.backend: [] for one in filled}
    rows: dict[str, int] = {}

    def measure(one: Filled) -> None:
        store = opened(one.url)  # a new engine: the first read of a process, connect included
        try:
            ms, rows[one.backend] = timed(lambda: read_back(store, one.person))
        finally:
            store.close()
        times[one.backend].append(ms)

    turns(filled, STORE_RUNS, measure)
    for backend, count in rows.items():
        if count != long_history.rows:
            raise RuntimeError(f"{backend} gave back {count:,} rows, not {long_history.rows:,}")
    notes = {
        backend: (
            f"{count:,} rows: {len(long_history.days):,} days, {len(long_history.readings)} "
            f"scores, {len(long_history.pulls)} reports, "
            f"{len(long_history.transactions):,} transactions"
        )
        for backend, count in rows.items()
    }
    side_by_side("9b history store: kept_history's reads, new engine", "read", times, notes)


# --- 9c ----------------------------------------------------------------------------------------


def syncs(filled: list[Filled], long_history: LongHistory) -> None:
    from integrations.models import SyncState

    posted = list(long_history.transactions[:NEW_TRANSACTIONS])
    kept_ms: dict[str, list[float]] = {one.backend: [] for one in filled}
    apply_ms: dict[str, list[float]] = {one.backend: [] for one in filled}
    written: dict[str, set[str]] = {one.backend: set() for one in filled}
    rounds = iter(range(1_000_000))
    stores = {one.backend: opened(one.url) for one in filled}

    def measure(one: Filled) -> None:
        store, person, round_number = stores[one.backend], one.person, next(rounds)
        ms, before = timed(lambda: store.kept_sync(person, ITEM))
        kept_ms[one.backend].append(ms)
        if before is None or len(before.transactions) != len(long_history.transactions):
            raise RuntimeError(f"{one.backend} did not keep the {TRANSACTIONS:,} transactions")
        new = copies(posted, NEW_TRANSACTIONS, long_history.accounts, f"new-{round_number}")
        after = SyncState(f"cursor-{round_number}", before.transactions + new, before.institution)
        ms, wrote = timed(
            lambda: store.apply_sync(person, ITEM, before, after, long_history.accounts)
        )
        apply_ms[one.backend].append(ms)
        if not wrote.applied or wrote.transaction_rows != NEW_TRANSACTIONS:
            raise RuntimeError(f"{one.backend} wrote {wrote}, not {NEW_TRANSACTIONS:,} rows")
        written[one.backend].add(
            f"{wrote.transaction_rows:,} transaction rows + {wrote.accounts} accounts written"
        )
        # Back to the 100k, untimed: every run syncs into the same store.
        back = SyncState(f"cursor-{round_number}-back", before.transactions, before.institution)
        store.apply_sync(person, ITEM, after, back)

    try:
        turns(filled, STORE_RUNS, measure)
    finally:
        for store in stores.values():
            store.close()
    group = f"9c history store: sync {NEW_TRANSACTIONS:,} new into {TRANSACTIONS // 1000}k"
    side_by_side(
        group,
        "apply_sync",
        apply_ms,
        {backend: "; ".join(sorted(notes)) for backend, notes in written.items()},
    )
    loaded = f"the kept state of {TRANSACTIONS:,} transactions, loaded before the sync"
    side_by_side(group, "kept_sync", kept_ms, dict.fromkeys(kept_ms, loaded))
