"""Recurring payments, subscriptions and paychecks found in the transactions (pure pandas,
vectorised), and Plaid's own recurring streams in the same shape.

A stream is a run of charges to one merchant, in one currency, whose amounts stay within
``AMOUNT_TOLERANCE`` of each other (neighbouring amounts, so a price rise or a seasonal bill
stays one stream) and whose dates come at a regular cadence: most gaps between charges fall
in that cadence's window. Cadences: weekly, every two weeks (always the same weekday), twice a
month (two fixed days such as the 1st and 15th, or the 15th and the last, moved off weekends),
monthly, quarterly and yearly.

The contract, for every caller (the Recurring and Income tabs, the bills ahead):

- ``detect_recurring(frame, today)``: outflows. Only spending counts
  (``services.analytics.money``): income, transfers and card payments are not subscriptions.
- ``detect_income(frame, today)``: inflows. Only income (the INCOME category, money in) counts,
  tax refunds left out (money in, but not a pattern to plan on); transfers from the person's
  own accounts, refunds and card payments are not income. Amounts are shown positive: money
  received.
- ``plaid_streams_frame(streams, accounts)``: Plaid's ``RecurringStream`` tuples (Plaid has
  judged which are active and when each comes next), less its outflows that are transfers
  or card payments: the same definition of a bill as our detection's.
- ``recurring_streams(frame, today, plaid_streams, plaid_items)``: all of them, one frame with
  ``direction`` ("outflow" or "inflow") and ``source`` ("plaid" or "detected"): Plaid's streams
  for the items in ``plaid_items`` (those Plaid answered for), our detection for every other
  item, never both for one item.

Each returns ``RECURRING_COLUMNS`` and ``SCHEDULE_COLUMNS`` (``recurring_streams`` also
``direction`` and ``source``: ``STREAM_COLUMNS``):
``merchant``, ``account`` (display name), ``currency``, ``cadence`` (a label of ``CADENCES``, or
"Irregular" for a stream Plaid could not time), ``typical_amount`` (positive, in ``currency``),
``next_date`` (the next expected day, NaT when unknown), ``stopped`` (no longer expected),
for a twice-a-month stream ``day_one`` and ``day_two`` (its two days of the month, 31 for the
last day) and ``moves_early`` (a day on a weekend comes the Friday before, else the Monday
after), and the rest below. Amounts are never summed across currencies.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd

from integrations.models import RecurringStream
from services.analytics.codes import Table, cents, day_key, stable_order, stacked, take, text_codes
from services.analytics.money import (
    CARD_PAYMENT,
    TRANSFERS,
    purchase_mask,
    received_income_mask,
    spending_mask,
    totals_by_currency,
)


@dataclass(frozen=True)
class Cadence:
    code: str
    label: str
    days: float  # the nominal gap
    low: int  # gaps in [low, high] days count as on time
    high: int
    per_year: float
    min_charges: int  # fewer charges than this is not yet a pattern
    step: pd.DateOffset


CADENCES = (
    Cadence("weekly", "Weekly", 7, 5, 9, 52.18, 4, pd.DateOffset(weeks=1)),
    Cadence("biweekly", "Every two weeks", 14, 12, 16, 26.09, 4, pd.DateOffset(weeks=2)),
    # Its next date comes from its two days of the month (``_semimonthly_next``), not a step.
    Cadence("semimonthly", "Twice a month", 15.22, 10, 20, 24, 4, pd.DateOffset(days=15)),
    Cadence("monthly", "Monthly", 30.44, 26, 35, 12, 3, pd.DateOffset(months=1)),
    Cadence("quarterly", "Quarterly", 91.31, 80, 100, 4, 3, pd.DateOffset(months=3)),
    Cadence("yearly", "Yearly", 365.25, 350, 380, 1, 2, pd.DateOffset(years=1)),
)
UNTIMED = "Irregular"  # a stream Plaid found but could not put a frequency on
AMOUNT_TOLERANCE = 0.20  # neighbouring amounts in a stream differ by at most 20%
# A merchant taken as one stream whatever its amounts must still look like one bill: either
# its amounts stay within this spread, or it is a bill whose amount moves (energy, water).
WHOLE_MERCHANT_SPREAD = 1.25  # room for one price rise
MOVING_BILLS = frozenset({"RENT_AND_UTILITIES", "LOAN_PAYMENTS"})
TWO_YEARLY_SPREAD = 1.10  # two yearly charges: the same plan, at most a 10% rise
YEARLY = next(i for i, c in enumerate(CADENCES) if c.code == "yearly")
BIWEEKLY = next(i for i, c in enumerate(CADENCES) if c.code == "biweekly")
SEMIMONTHLY = next(i for i, c in enumerate(CADENCES) if c.code == "semimonthly")
# Every two weeks falls on one weekday: at least this share of charges lands within
# PHASE_SLACK days of the first one's 14-day rhythm (card charges post a day or two late).
# Two fixed days of the month drift off that rhythm by 2-3 days a month.
PHASE_SHARE, PHASE_SLACK = 0.75, 2
# Twice a month: two days of the month at least this far apart, and at least REGULAR_SHARE of
# the charges within WEEKEND_SHIFT days of one of them (a payday moved off a weekend).
HALF_MONTH_APART, WEEKEND_SHIFT = 10, 3
LAST_DAY = 31  # the "last day of the month" slot, whatever the month's length
REGULAR_SHARE = 0.75  # at least three gaps in four must fall in the cadence's window
STOPPED_AFTER = 1.5  # no charge for one and a half cadences: the stream has stopped

RECURRING_COLUMNS = (
    "merchant",
    "category",
    "account",
    "currency",
    "cadence",
    "charges",
    "typical_amount",
    "yearly_cost",
    "first_date",
    "last_date",
    "next_date",
    "last_amount",
    "previous_amount",
    "price_rise",
    "price_rise_since",
    "amount_varies",
    "stopped",
)


# A twice-a-month stream's schedule (NaN and True for every other cadence): its two days of
# the month, ``day_one`` < ``day_two`` (LAST_DAY for the last day, whatever the month's
# length), and ``moves_early``: a day on a weekend is paid the Friday before (else the Monday
# after). What the bills ahead project its later dates from.
SCHEDULE_COLUMNS = ("day_one", "day_two", "moves_early")
DETECTED_COLUMNS = (*RECURRING_COLUMNS, *SCHEDULE_COLUMNS)


def _empty() -> pd.DataFrame:
    return pd.DataFrame({column: [] for column in DETECTED_COLUMNS})


@dataclass(frozen=True)
class _Labels:
    """The text behind the codes of a charges frame: detection sorts and groups small
    integers and turns only the streams it keeps back into text (copying text columns of
    every row costs more than all the rest of the detection at 100k rows)."""

    merchant: np.ndarray
    currency: np.ndarray  # sorted, so currency codes order as the currencies' names
    category: np.ndarray
    account: np.ndarray


def _coded(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Codes and the text of each code, as ``values.astype("str")`` gives it (a missing
    value is "nan")."""
    codes, uniques = text_codes(values)
    texts = pd.Series(uniques, dtype="object").astype("str").to_numpy()
    missing = codes < 0
    if missing.any():
        codes = np.where(missing, len(texts), codes)
        texts = np.r_[texts, np.array(["nan"], dtype="object")]
    return codes, texts


def merchant_codes(rows: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """``merchant_or_name`` as codes numbered in order of first appearance (the order
    ``pd.factorize`` of the names gives), judged once per distinct merchant and name."""
    merchant, merchants = text_codes(rows["merchant"], first_seen=True)
    name, names = _coded(rows["name"])
    merchants = pd.Series(merchants, dtype="object")
    known = (merchants.notna() & (merchants.astype("str").str.strip() != "")).to_numpy()
    is_known = merchant >= 0
    is_known[is_known] = known[merchant[is_known]]
    texts = np.concatenate([merchants.astype("str").to_numpy(), names])
    either = np.where(is_known, merchant, len(merchants) + name)
    # One code per text, whichever column it came from, then numbered by first appearance.
    same_text, distinct = pd.factorize(texts)
    codes, first_seen = pd.factorize(same_text[either])
    return codes, np.asarray(distinct, dtype="object")[first_seen]


@dataclass(frozen=True)
class CodedHistory:
    """Every row of a frame as the numbers detection works on, with the text of the codes.

    Coded once per pass (``services.analytics.history``) and shared by recurring payments,
    income and unusual activity: factorizing the text columns of every row is a large part
    of the detection's cost, and the three used to do it over the same rows each."""

    merchant: np.ndarray  # merchant_codes of every row
    merchants: np.ndarray
    currency: np.ndarray  # the place of the currency's name in sorted order
    currencies: np.ndarray  # sorted
    category: np.ndarray
    categories: np.ndarray
    account: np.ndarray
    accounts: np.ndarray
    detailed: np.ndarray  # codes only: unusual activity groups by them
    date: np.ndarray
    amount: np.ndarray
    purchase: np.ndarray  # money.purchase_rows: what recurring payments look at
    received: np.ndarray  # money.received_income_rows, tax refunds left out: recurring income
    spending: np.ndarray  # money.spending_rows, refunds in: what unusual activity looks at

    def within(self, rows: np.ndarray) -> CodedHistory:
        """Only ``rows`` (a mask) looked at, as if the frame held no others."""
        return replace(
            self,
            purchase=self.purchase & rows,
            received=self.received & rows,
            spending=self.spending & rows,
        )


def code_history(frame: pd.DataFrame) -> CodedHistory:
    merchant, merchants = merchant_codes(frame)
    currency, currencies = _coded(frame["currency"])
    currencies, currency_rank = np.unique(currencies, return_inverse=True)
    category, categories = _coded(frame["category"])
    account, accounts = _coded(frame["account"])
    return CodedHistory(
        merchant=merchant,
        merchants=merchants,
        currency=currency_rank[currency] if len(currency) else currency,
        currencies=currencies,
        category=category,
        categories=categories,
        account=account,
        accounts=accounts,
        detailed=text_codes(frame["category_detailed"])[0],
        date=frame["date"].to_numpy(),
        amount=frame["amount"].to_numpy(),
        purchase=purchase_mask(frame).to_numpy(),
        received=received_income_mask(frame, with_tax_refunds=False).to_numpy(),
        spending=spending_mask(frame).to_numpy(),
    )


def _charges(
    frame: pd.DataFrame, *, income: bool = False, coded: CodedHistory | None = None
) -> tuple[Table, _Labels]:
    """Spending charges, or with ``income`` the money received (shown positive), as codes
    and numbers, with the text of the codes (``coded``: ``frame`` already coded)."""
    coded = coded if coded is not None else code_history(frame)
    rows = np.flatnonzero(coded.received if income else coded.purchase)
    amount = -coded.amount[rows] if income else coded.amount[rows]
    # Merchants numbered in order of first appearance among these rows, as when coded alone.
    merchant, first_seen = pd.factorize(coded.merchant[rows])
    work = {
        "merchant_code": merchant,
        "currency": coded.currency[rows],
        "date": coded.date[rows],
        "amount": np.round(amount, 2),
        "category": coded.category[rows],
        "account": coded.account[rows],
    }
    labels = _Labels(
        coded.merchants[first_seen], coded.currencies, coded.categories, coded.accounts
    )
    return work, labels


@dataclass(frozen=True)
class _Rows:
    """Charges sorted by stream then date, as numpy columns: each stream is one slice, and
    ``gap`` is each charge's whole days since the one before in its stream (NaN first)."""

    merchant_code: np.ndarray
    currency: np.ndarray
    date: np.ndarray
    amount: np.ndarray
    category: np.ndarray
    account: np.ndarray
    stream: np.ndarray
    first_in_stream: np.ndarray
    gap: np.ndarray


_CHARGE_COLUMNS = ("merchant_code", "currency", "date", "amount", "category", "account")


def _in_streams(columns: dict[str, np.ndarray], stream: np.ndarray) -> _Rows:
    """``columns`` already sorted by ``stream`` then date, with the gaps within streams."""
    first = np.r_[True, stream[1:] != stream[:-1]]
    dates = columns["date"]
    days = np.diff(dates) // np.timedelta64(1, "D")
    gap = np.where(first, np.nan, np.r_[0, days].astype("float64"))
    return _Rows(**columns, stream=stream, first_in_stream=first, gap=gap)


def _merchant_streams(columns: dict[str, np.ndarray]) -> np.ndarray:
    """One candidate stream per merchant and currency, whatever the amounts (rows sorted by
    merchant and currency): numbered from 1."""
    merchant, currency = columns["merchant_code"], columns["currency"]
    new = np.r_[True, (merchant[1:] != merchant[:-1]) | (currency[1:] != currency[:-1])]
    return np.cumsum(new)


def _amount_bands(merchant_stream: np.ndarray, amount: np.ndarray) -> np.ndarray:
    """Candidate streams split where a merchant's sorted amounts jump by more than the
    tolerance, so a subscription is found among other purchases at the same merchant;
    numbered from 1 in order of merchant, currency and amount."""
    order = stable_order(merchant_stream, cents(amount))
    merchant, amount = merchant_stream[order], amount[order]
    new_merchant = np.r_[True, merchant[1:] != merchant[:-1]]
    jump = np.r_[False, amount[1:] > amount[:-1] * (1 + AMOUNT_TOLERANCE)]
    band = np.empty(len(order), dtype="int64")
    band[order] = np.cumsum(new_merchant | jump)
    return band


def _candidate_rows(charges: Mapping[str, Any]) -> tuple[_Rows, _Rows]:
    """The charges (``_CHARGE_COLUMNS``, as arrays or a frame) as one stream per merchant and
    currency, and as one per amount band, each sorted by stream and date (equal dates in
    their order in ``charges``)."""
    columns = {name: np.asarray(charges[name]) for name in _CHARGE_COLUMNS}
    order = stable_order(columns["merchant_code"], columns["currency"], day_key(columns["date"]))
    columns = {name: values[order] for name, values in columns.items()}
    whole = _merchant_streams(columns)
    band = _amount_bands(whole, columns["amount"])
    # Rows are in date order within each merchant, and a band is within one merchant: a
    # stable sort by band alone keeps each band's rows in date order.
    by_band = np.argsort(band, kind="stable")
    banded = {name: values[by_band] for name, values in columns.items()}
    return _in_streams(columns, whole), _in_streams(banded, band[by_band])


def _cadence_index(median_gap: np.ndarray) -> np.ndarray:
    """Which cadence a stream's median gap falls in, or -1. Every two weeks and twice a month
    share gaps; ``_half_month`` tells them apart."""
    conditions = [(median_gap >= c.low) & (median_gap <= c.high) for c in CADENCES]
    return np.select(conditions, range(len(CADENCES)), default=-1)


def _slices(stream: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Where each stream's rows start and end: rows are sorted by stream, so each stream is
    one slice and per-stream figures are numpy reductions over slices, not a groupby."""
    starts = np.flatnonzero(np.r_[True, stream[1:] != stream[:-1]])
    return starts, np.r_[starts[1:], len(stream)]


def _medians(
    values: np.ndarray, starts: np.ndarray, counts: np.ndarray, *, whole_days: bool = False
) -> np.ndarray:
    """The median of each slice's first ``counts`` values once sorted (NaN sort last), as
    pandas computes it: the middle value, or the mean of the two middle ones. Gaps are
    whole days: one integer sort key of slice and value is much faster than a lexsort."""
    group = np.repeat(np.arange(len(starts)), np.diff(np.r_[starts, len(values)]))
    if whole_days:
        top = np.nanmax(values, initial=0) + 1 if len(values) else 1
        key = group * (int(top) + 1) + np.nan_to_num(values, nan=top).astype("int64")
        ordered = values[np.argsort(key)]
    else:
        ordered = values[np.lexsort((values, group))]
    has = counts > 0
    low = ordered[starts + np.maximum(counts - 1, 0) // 2]
    high = ordered[starts + counts // 2 - (~has)]
    return np.where(has, (low + high) / 2, np.nan)


def _half_month(
    days: np.ndarray, starts: np.ndarray, counts: np.ndarray, cadence: np.ndarray, gap: np.ndarray
) -> np.ndarray:
    """Every two weeks when the charges keep one 14-day rhythm (the same weekday), else twice
    a month: fixed days of the month drift off that rhythm as month lengths vary."""
    phase = (days - np.repeat(days[starts], counts)) % 14
    in_phase = (phase <= PHASE_SLACK) | (phase >= 14 - PHASE_SLACK)
    share = np.add.reduceat(in_phase, starts) / counts
    candidates = np.isin(cadence, [BIWEEKLY, SEMIMONTHLY])
    biweekly = CADENCES[BIWEEKLY]
    fortnightly = (share >= PHASE_SHARE) & (gap >= biweekly.low) & (gap <= biweekly.high)
    return np.where(candidates, np.where(fortnightly, BIWEEKLY, SEMIMONTHLY), cadence)


_LOW = np.array([c.low for c in CADENCES] + [np.nan])  # index -1: no cadence
_HIGH = np.array([c.high for c in CADENCES] + [np.nan])
_MIN_CHARGES = np.array([c.min_charges for c in CADENCES] + [np.iinfo(np.int64).max])


def _regular_streams(rows: _Rows) -> Table:
    """Every stream regular enough at one cadence (``stream``: its number in ``rows``, in
    ascending order), with its figures."""
    starts, ends = _slices(rows.stream)
    last, counts = ends - 1, ends - starts
    dates, amount, gap = rows.date, rows.amount, rows.gap
    # The first row of a stream has no gap.
    median_gap = _medians(gap, starts, counts - 1, whole_days=True)
    cadence = _cadence_index(median_gap)
    days = dates.astype("datetime64[D]").astype("int64")
    cadence = _half_month(days, starts, counts, cadence, median_gap)
    low, high = np.repeat(_LOW[cadence], counts), np.repeat(_HIGH[cadence], counts)
    on_time = np.add.reduceat((gap >= low) & (gap <= high), starts)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = on_time / (counts - 1)
    keep = (cadence >= 0) & (counts >= _MIN_CHARGES[cadence]) & (share >= REGULAR_SHARE)
    kept_starts, kept_last, kept = starts[keep], last[keep], counts[keep]
    # Amounts are sorted for the streams kept only: far fewer rows than every candidate's.
    kept_amounts = amount[np.repeat(keep, counts)]
    streams = {
        "stream": rows.stream[kept_starts],
        "merchant_code": rows.merchant_code[kept_starts],
        "currency": rows.currency[kept_starts],
        "category": rows.category[kept_last],
        "account": rows.account[kept_last],
        "charges": kept.astype("int64"),
        "first_date": dates[kept_starts],
        "last_date": dates[kept_last],
        "median_gap": median_gap[keep],
        "median_amount": _medians(kept_amounts, np.cumsum(kept) - kept, kept),
        "last_amount": amount[kept_last],
        "min_amount": np.minimum.reduceat(amount, starts)[keep],
        "max_amount": np.maximum.reduceat(amount, starts)[keep],
        "cadence_index": cadence[keep],
    }
    return _with_days_of_month(rows, streams)


def _month_slots(days: np.ndarray, month_days: np.ndarray) -> np.ndarray:
    """Day of the month, the last three days of any month counted as LAST_DAY (a payday on
    the 30th or 31st moved to the Friday before lands there)."""
    return np.where(month_days - days <= 2, LAST_DAY, days)


def _month_distance(a: np.ndarray | int, b: np.ndarray | int) -> np.ndarray:
    apart = np.abs(np.asarray(a) - np.asarray(b))
    return np.minimum(apart, LAST_DAY - apart)


def _two_days(days: np.ndarray, month_days: np.ndarray) -> tuple[int, int, bool] | None:
    """The two days of the month a twice-a-month stream keeps (the most common, then the
    most common at least HALF_MONTH_APART from it), and whether weekend dates move earlier;
    None when too few charges fall near those two days."""
    slots = _month_slots(days, month_days)
    values, counts = np.unique(slots, return_counts=True)
    order = np.argsort(-counts, kind="stable")  # most common first, ties by the earlier day
    values = values[order]
    first = int(values[0])
    apart = values[_month_distance(values, first) >= HALF_MONTH_APART]
    if apart.size == 0:
        return None
    second = int(apart[0])
    to_first, to_second = _month_distance(slots, first), _month_distance(slots, second)
    if (np.minimum(to_first, to_second) <= WEEKEND_SHIFT).mean() < REGULAR_SHARE:
        return None
    nominal = np.where(to_first <= to_second, first, second)
    offset = days - np.minimum(nominal, month_days)
    moved_early = int(((offset < 0) & (offset >= -WEEKEND_SHIFT)).sum())
    moved_late = int(((offset > 0) & (offset <= WEEKEND_SHIFT)).sum())
    low, high = sorted((first, second))
    return low, high, moved_early >= moved_late


def _with_days_of_month(rows: _Rows, streams: Table) -> Table:
    """Twice-a-month streams get their two days of the month (``day_one``, ``day_two``,
    ``moves_early``); those that keep no two days are dropped. A loop over these few streams
    only, never over the rows."""
    size = len(streams["stream"])
    one, two = np.full(size, np.nan), np.full(size, np.nan)
    early = np.ones(size, dtype=bool)
    twice = streams["stream"][streams["cadence_index"] == SEMIMONTHLY]
    if not len(twice):
        return {**streams, "day_one": one, "day_two": two, "moves_early": early}
    mine = np.isin(rows.stream, twice)
    stream_ids, dates = rows.stream[mine], pd.DatetimeIndex(rows.date[mine])
    days, month_days = dates.day.to_numpy(), dates.days_in_month.to_numpy()
    # Rows are sorted by stream: each stream's rows are one slice.
    starts, ends = _slices(stream_ids)
    found = {
        stream_ids[a]: _two_days(days[a:b], month_days[a:b])
        for a, b in zip(starts, ends, strict=True)
    }
    keep = np.ones(size, dtype=bool)
    at = np.searchsorted(streams["stream"], list(found))
    for place, schedule in zip(at, found.values(), strict=True):
        if schedule is None:
            keep[place] = False
        else:
            one[place], two[place], early[place] = schedule
    return take({**streams, "day_one": one, "day_two": two, "moves_early": early}, keep)


def _price_levels(rows: _Rows, streams: Table) -> Table:
    """Per stream (in ``streams``' order): how often the amount changed, the amount before
    the latest one and since when the latest one is charged."""
    if not len(streams["stream"]):
        empty = np.zeros(0, "float64")
        return {
            "changes": np.zeros(0, "int64"),
            "previous_amount": empty,
            "level_since": rows.date[:0],
        }
    kept = np.zeros(int(rows.stream.max()) + 1, dtype=bool)
    kept[streams["stream"]] = True
    mine = kept[rows.stream]
    amount, first, dates = rows.amount[mine], rows.first_in_stream[mine], rows.date[mine]
    starts, ends = _slices(rows.stream[mine])
    changed = ~first & (amount != np.r_[np.nan, amount[:-1]])
    # The latest price level starts at the last row of its stream that began a level.
    began = np.where(first | changed, np.arange(len(amount)), 0)
    latest = np.maximum.accumulate(began)[ends - 1]
    return {
        "changes": np.add.reduceat(changed.astype("int64"), starts),
        "previous_amount": np.where(first[latest], np.nan, amount[latest - 1]),
        "level_since": dates[latest],
    }


def _off_weekend(day: pd.Timestamp, early: bool) -> pd.Timestamp:
    while day.weekday() >= 5:
        day += pd.Timedelta(days=-1 if early else 1)
    return day


def _semimonthly_next(last: pd.Timestamp, days: tuple[int, int], early: bool) -> pd.Timestamp:
    """The first of the stream's two days of the month after the last charge, moved off a
    weekend the way the stream's own dates were. A day within WEEKEND_SHIFT after the last
    charge is that charge itself, paid early."""
    month = last.replace(day=1)
    for months_ahead in range(3):
        start = month + pd.DateOffset(months=months_ahead)
        for day_of_month in days:
            nominal = start.replace(day=min(day_of_month, start.days_in_month))
            if nominal > last + pd.Timedelta(days=WEEKEND_SHIFT):
                return _off_weekend(nominal, early)
    raise AssertionError("unreachable: two days a month always give one within three months")


def _next_dates(streams: Table) -> np.ndarray:
    last, cadence = streams["last_date"], streams["cadence_index"]
    out = np.full(len(last), np.datetime64("NaT"), dtype=last.dtype)
    for index, spec in enumerate(CADENCES):
        mine = cadence == index
        if not mine.any():
            continue
        if index == SEMIMONTHLY:
            schedules = zip(
                last[mine],
                streams["day_one"][mine],
                streams["day_two"][mine],
                streams["moves_early"][mine],
                strict=True,
            )
            out[mine] = [
                _semimonthly_next(pd.Timestamp(day), (int(one), int(two)), bool(early))
                for day, one, two, early in schedules
            ]
        else:
            out[mine] = (pd.DatetimeIndex(last[mine]) + spec.step).to_numpy()
    return out


def _streams_with_prices(rows: _Rows) -> Table:
    streams = _regular_streams(rows)
    return {**streams, **_price_levels(rows, streams)}


def _plausible(streams: Table, labels: _Labels, *, whole_merchant: bool) -> Table:
    """Regular timing alone is not a subscription: weekly groceries and two purchases a year
    apart are regular too. Keep what also looks like one bill."""
    low, high = streams["min_amount"], streams["max_amount"]
    with np.errstate(divide="ignore", invalid="ignore"):
        spread = high / np.where(low > 0, low, np.nan)
    keep = np.ones(len(low), dtype=bool)
    if whole_merchant:
        moving = np.isin(labels.category, list(MOVING_BILLS))[streams["category"]]
        keep &= (spread <= WHOLE_MERCHANT_SPREAD) | moving
    # Two yearly charges are a pattern only when they are (nearly) the same amount.
    cadence, charges = streams["cadence_index"], streams["charges"]
    two_yearly = (cadence == YEARLY) & (charges < 3)
    keep &= ~two_yearly | (spread <= TWO_YEARLY_SPREAD)
    return take(streams, keep)


def _merchant_key(streams: Table, currencies: int) -> np.ndarray:
    return streams["merchant_code"] * currencies + streams["currency"]


def _choose_streams(whole: Table, banded: Table, currencies: int) -> Table:
    """Per merchant, one stream for all its charges or one per amount band.

    A merchant regular as a whole is one stream even when its amount moves (energy bills).
    But when its bands are regular on their own, cover every charge and come slower than the
    merchant as a whole, those are separate subscriptions interleaved (two plans billed on
    different days look "every two weeks" together): the bands are the streams. A merchant's
    stream as a whole holds all its charges (``currencies``: how many currency codes).
    """
    whole_key, band_key = _merchant_key(whole, currencies), _merchant_key(banded, currencies)
    interleaved = np.zeros(len(whole_key), dtype=bool)
    if len(band_key):
        merchants, at = np.unique(band_key, return_inverse=True)
        bands = np.bincount(at)
        covered = np.bincount(at, weights=banded["charges"])
        slowest = np.full(len(merchants), np.iinfo(np.int64).max)
        np.minimum.at(slowest, at, banded["cadence_index"])
        # Each whole merchant's bands, if it has any.
        at = np.minimum(np.searchsorted(merchants, whole_key), len(merchants) - 1)
        interleaved = (
            (merchants[at] == whole_key)
            & (bands[at] >= 2)
            & (covered[at] == whole["charges"])
            & (slowest[at] > whole["cadence_index"])
        )
    kept_whole = take(whole, ~interleaved)
    from_bands = take(banded, ~np.isin(band_key, whole_key[~interleaved]))
    return stacked(kept_whole, from_bands)


def detect_recurring(
    frame: pd.DataFrame, today: date, coded: CodedHistory | None = None
) -> pd.DataFrame:
    """Every recurring stream with its cadence, typical amount, yearly cost, last and next
    expected dates, and flags for a price rise and for a stream that has stopped
    (``coded``: ``code_history(frame)`` when the caller has it already)."""
    return _detect(_charges(frame, coded=coded), today)


def detect_income(
    frame: pd.DataFrame, today: date, coded: CodedHistory | None = None
) -> pd.DataFrame:
    """Every recurring inflow (paychecks, benefits, interest paid at a steady amount), in the
    columns of ``detect_recurring``: amounts positive as money received, ``yearly_cost`` what
    the stream brings in a year, ``price_rise`` a raise."""
    return _detect(_charges(frame, income=True, coded=coded), today)


_CADENCE_LABELS = np.array([c.label for c in CADENCES], dtype="object")
_NOMINAL_DAYS = np.array([c.days for c in CADENCES])
_PER_YEAR = np.array([c.per_year for c in CADENCES])


def _detect(coded: tuple[Table, _Labels], today: date) -> pd.DataFrame:
    charges, labels = coded
    if not len(charges["date"]):
        return _empty()
    whole, banded = _candidate_rows(charges)
    streams = _choose_streams(
        _plausible(_streams_with_prices(whole), labels, whole_merchant=True),
        _plausible(_streams_with_prices(banded), labels, whole_merchant=False),
        len(labels.currency),
    )
    if not len(streams["stream"]):
        return _empty()
    index = streams["cadence_index"]
    # A bill whose amount moves most months (energy, water) is summed up by its median;
    # a subscription is what it costs now.
    varies = streams["changes"] > np.maximum(2, streams["charges"] // 4)
    last, previous = streams["last_amount"], streams["previous_amount"]
    typical = np.where(varies, streams["median_amount"], last)
    with np.errstate(invalid="ignore"):
        rise = ~varies & ~np.isnan(previous) & (last > previous)
    last_date = streams["last_date"]
    silent_days = (np.datetime64(today, "D") - last_date) // np.timedelta64(1, "D")
    out = pd.DataFrame(
        {
            "merchant": labels.merchant[streams["merchant_code"]],
            "category": labels.category[streams["category"]],
            "account": labels.account[streams["account"]],
            "currency": labels.currency[streams["currency"]],
            "cadence": _CADENCE_LABELS[index],
            "charges": streams["charges"].astype("int64"),
            "typical_amount": typical,
            "yearly_cost": typical * _PER_YEAR[index],
            "first_date": streams["first_date"],
            "last_date": last_date,
            "next_date": _next_dates(streams),
            "last_amount": last,
            "previous_amount": np.where(rise, previous, np.nan),
            "price_rise": rise,
            "price_rise_since": np.where(rise, streams["level_since"], np.datetime64("NaT")),
            "amount_varies": varies,
            "stopped": silent_days > STOPPED_AFTER * _NOMINAL_DAYS[index],
            "day_one": streams["day_one"],
            "day_two": streams["day_two"],
            "moves_early": streams["moves_early"].astype(bool),
        }
    )
    out = out.sort_values(["stopped", "yearly_cost", "merchant"], ascending=[True, False, True])
    return out[list(DETECTED_COLUMNS)].reset_index(drop=True)


def yearly_cost_by_currency(streams: pd.DataFrame) -> dict[str, float]:
    """What the streams still running cost in a year, per currency."""
    running = streams[~streams["stopped"].astype(bool)]
    return totals_by_currency(running.rename(columns={"yearly_cost": "amount"}))


LATEST_RISES = 5  # price rises worth a warning each; a long list of them would bury the table


@dataclass(frozen=True)
class PriceRise:
    merchant: str
    previous_amount: float
    last_amount: float
    currency: str
    since: date


@dataclass(frozen=True)
class RecurringSummary:
    yearly: dict[str, float]  # what the running streams cost in a year, per currency
    running: int
    stopped: int
    latest_rises: tuple[PriceRise, ...]  # newest first, at most LATEST_RISES
    earlier_rises: int  # the other price rises, left to the table


_RISE_COLUMNS = ("merchant", "previous_amount", "last_amount", "currency", "price_rise_since")


def recurring_summary(streams: pd.DataFrame) -> RecurringSummary:
    if streams.empty:
        return RecurringSummary({}, 0, 0, (), 0)
    stopped = int(streams["stopped"].astype(bool).sum())
    rises = streams[streams["price_rise"].astype(bool)]
    rises = rises.sort_values("price_rise_since", ascending=False)
    latest = tuple(
        PriceRise(
            merchant=str(row.merchant),
            previous_amount=float(row.previous_amount),
            last_amount=float(row.last_amount),
            currency=str(row.currency),
            since=pd.Timestamp(row.price_rise_since).date(),
        )
        for row in rises.head(LATEST_RISES)[list(_RISE_COLUMNS)].itertuples(index=False)
    )
    return RecurringSummary(
        yearly=yearly_cost_by_currency(streams),
        running=len(streams) - stopped,
        stopped=stopped,
        latest_rises=latest,
        earlier_rises=max(len(rises) - LATEST_RISES, 0),
    )


# --- Plaid's streams, and every stream of a snapshot -----------------------------------------

PLAID_FREQUENCIES = {
    "WEEKLY": "weekly",
    "BIWEEKLY": "biweekly",
    "SEMI_MONTHLY": "semimonthly",
    "MONTHLY": "monthly",
    "ANNUALLY": "yearly",
}
_BY_CODE = {c.code: c for c in CADENCES}
STREAM_COLUMNS = ("direction", "source", *DETECTED_COLUMNS)
# Paydays are mostly on these days of the month; each is paired with its usual partner when
# Plaid's dates show only one of a stream's two days.
PAIRED_DAY = {1: 15, 15: LAST_DAY, LAST_DAY: 15}


def _slot(day: date) -> int:
    return int(_month_slots(np.array([day.day]), np.array([pd.Timestamp(day).days_in_month]))[0])


def _nominal_slot(day: date) -> tuple[int, bool | None]:
    """The day of the month a date most likely stands for, and whether it was moved earlier
    (True), later (False) or not known to be (None): a Friday before a weekend 15th or last
    day, a Monday after a weekend 1st or 15th, is taken as that day moved off the weekend."""
    if _slot(day) in PAIRED_DAY:
        return _slot(day), None
    nearby = {4: (1, 2), 0: (-1, -2)}.get(day.weekday(), ())
    for shift in nearby:
        moved_from = day + timedelta(days=shift)
        if moved_from.month == day.month and _slot(moved_from) in PAIRED_DAY:
            return _slot(moved_from), shift > 0
    return _slot(day), None


def _plaid_schedule(dates: Sequence[date]) -> tuple[int, int, bool]:
    """A twice-a-month Plaid stream's two days of the month and whether it pays early at a
    weekend, from the dates Plaid gives (first, last, next): the commonest day, then the
    first at least HALF_MONTH_APART from it, else its usual partner (the 15th and the last
    day by default). Paid early unless a date shows a weekend day paid on the Monday."""
    read = [_nominal_slot(d) for d in dates]
    slots = [slot for slot, _ in read]
    first = max(slots, key=slots.count)  # ties: the earliest listed
    apart = [slot for slot in slots if _month_distance(slot, first) >= HALF_MONTH_APART]
    partner = PAIRED_DAY.get(first, first + 15 if first <= 15 else first - 15)
    low, high = sorted((first, apart[0] if apart else partner))
    return low, high, not any(moved is False for _, moved in read)


def _moves_own_money(stream: RecurringStream) -> bool:
    """A Plaid outflow that moves the person's own money (a transfer out, a card's payment):
    not a bill, and a card's payment would count the card's spending twice. Plaid lists them
    among its outflow streams; ``services.analytics.money`` says they are not spending."""
    if stream.direction != "outflow":
        return False
    return stream.category in TRANSFERS or stream.category_detailed == CARD_PAYMENT


def plaid_streams_frame(
    streams: Sequence[RecurringStream], accounts: Mapping[str, str]
) -> pd.DataFrame:
    """Plaid's streams in ``STREAM_COLUMNS`` (source "plaid"): amounts positive, the account
    by its display name (``accounts``: account id to name), stopped when Plaid says the
    stream is no longer active or has ended (TOMBSTONED). Outflows that move the person's
    own money (transfers, card payments) are left out, as our detection leaves them out:
    the Recurring tab and the bills ahead count bills, not money moved between accounts.
    Inflows stay whole (``income.income_streams`` picks the income among them)."""
    if not streams:
        return pd.DataFrame({column: [] for column in STREAM_COLUMNS})
    rows = []
    for s in streams:
        if _moves_own_money(s):
            continue
        cadence = _BY_CODE.get(PLAID_FREQUENCIES.get(s.frequency, ""))
        typical = abs(s.average_amount)
        schedule: tuple[float, float, bool] = (np.nan, np.nan, True)
        if cadence is CADENCES[SEMIMONTHLY]:
            known = [d for d in (s.first_date, s.last_date, s.predicted_next_date) if d]
            schedule = _plaid_schedule(known)
        rows.append(
            {
                "direction": s.direction,
                "source": "plaid",
                "merchant": s.merchant_name or s.description,
                "category": s.category or "UNCATEGORIZED",
                "account": accounts.get(s.account_id, "Unknown account"),
                "currency": s.currency,
                "cadence": cadence.label if cadence else UNTIMED,
                "charges": s.transactions,
                "typical_amount": typical,
                "yearly_cost": typical * cadence.per_year if cadence else np.nan,
                "first_date": pd.Timestamp(s.first_date),
                "last_date": pd.Timestamp(s.last_date),
                "next_date": pd.Timestamp(s.predicted_next_date)
                if s.predicted_next_date
                else pd.NaT,
                "last_amount": abs(s.last_amount),
                "previous_amount": np.nan,
                "price_rise": False,
                "price_rise_since": pd.NaT,
                "amount_varies": False,
                "stopped": not s.is_active or s.status == "TOMBSTONED",
                "day_one": schedule[0],
                "day_two": schedule[1],
                "moves_early": schedule[2],
            }
        )
    if not rows:
        return pd.DataFrame({column: [] for column in STREAM_COLUMNS})
    return pd.DataFrame(rows, columns=list(STREAM_COLUMNS))


def recurring_streams(
    frame: pd.DataFrame,
    today: date,
    plaid_streams: Sequence[RecurringStream] = (),
    plaid_items: Collection[str] = (),
    coded: CodedHistory | None = None,
) -> pd.DataFrame:
    """Every stream, in and out, in ``STREAM_COLUMNS``: Plaid's own for the items in
    ``plaid_items``, ours (source "detected") found in the other items' transactions
    (``coded``: ``code_history(frame)``, when the caller has it already)."""
    # Both directions read the same rows: coded once.
    coded = coded if coded is not None else code_history(frame)
    if plaid_items:
        coded = coded.within(~frame["item_id"].isin(list(plaid_items)).to_numpy())
    parts = [
        _detect(_charges(frame, coded=coded), today).assign(direction="outflow", source="detected"),
        _detect(_charges(frame, income=True, coded=coded), today).assign(
            direction="inflow", source="detected"
        ),
    ]
    if plaid_streams:
        names = frame.drop_duplicates("account_id").set_index("account_id")["account"]
        accounts = {str(k): str(v) for k, v in names.items()}
        parts.append(plaid_streams_frame(plaid_streams, accounts))
    parts = [p for p in parts if not p.empty]
    if not parts:
        return pd.DataFrame({column: [] for column in STREAM_COLUMNS})
    out = pd.concat(parts, ignore_index=True)[list(STREAM_COLUMNS)]
    order = ["direction", "stopped", "yearly_cost", "merchant"]
    return out.sort_values(order, ascending=[False, True, False, True], ignore_index=True)


def outflows(streams: pd.DataFrame) -> pd.DataFrame:
    return streams[streams["direction"] == "outflow"].reset_index(drop=True)


def inflows(streams: pd.DataFrame) -> pd.DataFrame:
    return streams[streams["direction"] == "inflow"].reset_index(drop=True)
