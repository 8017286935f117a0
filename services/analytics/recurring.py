"""Recurring payments and subscriptions found in the transactions (pure pandas, vectorised).

A stream is a run of charges to one merchant, in one currency, whose amounts stay within
``AMOUNT_TOLERANCE`` of each other (neighbouring amounts, so a price rise or a seasonal bill
stays one stream) and whose dates come at a regular cadence: most gaps between charges fall
in that cadence's window. Only spending counts (``services.analytics.money``): income, transfers and
card payments are not subscriptions.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from services.analytics.money import purchase_rows, totals_by_currency
from services.analytics.transactions import merchant_or_name


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
    Cadence("monthly", "Monthly", 30.44, 26, 35, 12, 3, pd.DateOffset(months=1)),
    Cadence("yearly", "Yearly", 365.25, 350, 380, 1, 2, pd.DateOffset(years=1)),
)
AMOUNT_TOLERANCE = 0.20  # neighbouring amounts in a stream differ by at most 20%
# A merchant taken as one stream whatever its amounts must still look like one bill: either
# its amounts stay within this spread, or it is a bill whose amount moves (energy, water).
WHOLE_MERCHANT_SPREAD = 1.25  # room for one price rise
MOVING_BILLS = frozenset({"RENT_AND_UTILITIES", "LOAN_PAYMENTS"})
TWO_YEARLY_SPREAD = 1.10  # two yearly charges: the same plan, at most a 10% rise
YEARLY = next(i for i, c in enumerate(CADENCES) if c.code == "yearly")
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


def _empty() -> pd.DataFrame:
    return pd.DataFrame({column: [] for column in RECURRING_COLUMNS})


def _charges(frame: pd.DataFrame) -> pd.DataFrame:
    columns = ("date", "amount", "merchant", "name", "currency", "account", "category")
    rows = purchase_rows(frame, columns=columns)
    merchant = merchant_or_name(rows)
    return pd.DataFrame(
        {
            "merchant_code": pd.factorize(merchant)[0],
            "merchant": merchant.to_numpy(),
            "currency": rows["currency"].astype("str").to_numpy(),
            "date": rows["date"].to_numpy(),
            "amount": rows["amount"].round(2).to_numpy(),
            "category": rows["category"].astype("str").to_numpy(),
            "account": rows["account"].astype("str").to_numpy(),
        }
    )


def _by_merchant(work: pd.DataFrame) -> pd.Series:
    """One candidate stream per merchant and currency, whatever the amounts."""
    keys = work["merchant_code"].ne(work["merchant_code"].shift())
    keys |= work["currency"].ne(work["currency"].shift())
    return keys.cumsum()


def _by_amount_band(work: pd.DataFrame) -> pd.Series:
    """Candidate streams split where a merchant's sorted amounts jump by more than the
    tolerance, so a subscription is found among other purchases at the same merchant."""
    order = work.sort_values(["merchant_code", "currency", "amount"])
    new_merchant = order["merchant_code"].ne(order["merchant_code"].shift())
    new_merchant |= order["currency"].ne(order["currency"].shift())
    jump = order["amount"] > order["amount"].shift() * (1 + AMOUNT_TOLERANCE)
    return (new_merchant | jump).cumsum().reindex(work.index)


def _with_gaps(work: pd.DataFrame, stream: pd.Series) -> pd.DataFrame:
    work = work.assign(stream=stream).sort_values(["stream", "date"], ignore_index=True)
    work["first_in_stream"] = work["stream"].ne(work["stream"].shift())
    work["gap"] = work["date"].diff().dt.days.where(~work["first_in_stream"])
    return work


def _cadence_index(median_gap: pd.Series) -> pd.Series:
    """Which cadence a stream's median gap falls in, or -1."""
    conditions = [(median_gap >= c.low) & (median_gap <= c.high) for c in CADENCES]
    return pd.Series(np.select(conditions, range(len(CADENCES)), default=-1), median_gap.index)


def _regular_streams(work: pd.DataFrame) -> pd.DataFrame:
    grouped = work.groupby("stream")
    streams = grouped.agg(
        merchant_code=("merchant_code", "first"),
        merchant=("merchant", "first"),
        currency=("currency", "first"),
        category=("category", "last"),
        account=("account", "last"),
        charges=("amount", "size"),
        first_date=("date", "min"),
        last_date=("date", "max"),
        median_gap=("gap", "median"),
        median_amount=("amount", "median"),
        last_amount=("amount", "last"),
        min_amount=("amount", "min"),
        max_amount=("amount", "max"),
    )
    streams["cadence_index"] = _cadence_index(streams["median_gap"])
    streams = streams[streams["cadence_index"] >= 0]
    if streams.empty:
        return streams
    cadence = streams["cadence_index"]
    low = work["stream"].map(cadence.map(lambda i: CADENCES[i].low))
    high = work["stream"].map(cadence.map(lambda i: CADENCES[i].high))
    on_time = work["gap"].between(low, high) & low.notna()
    share = on_time.groupby(work["stream"]).sum().reindex(streams.index) / (streams["charges"] - 1)
    enough = streams["charges"] >= cadence.map(lambda i: CADENCES[i].min_charges)
    return streams[enough & (share >= REGULAR_SHARE)]


def _price_levels(work: pd.DataFrame, streams: pd.DataFrame) -> pd.DataFrame:
    """Per stream: how often the amount changed, the amount before the latest one and since
    when the latest one is charged."""
    work = work[work["stream"].isin(streams.index)]
    changed = ~work["first_in_stream"] & work["amount"].ne(work["amount"].shift())
    level = (work["first_in_stream"] | changed).cumsum()
    latest = level.eq(level.groupby(work["stream"]).transform("max"))
    latest_starts = latest & (work["first_in_stream"] | ~latest.shift(fill_value=False))
    before = work["amount"].shift().where(~work["first_in_stream"])
    starts = work.loc[latest_starts, ["stream", "date"]].assign(previous=before[latest_starts])
    starts = starts.set_index("stream")
    return pd.DataFrame(
        {
            "changes": changed.groupby(work["stream"]).sum(),
            "previous_amount": starts["previous"],
            "level_since": starts["date"],
        }
    )


def _next_dates(last: pd.Series, cadence: pd.Series) -> pd.Series:
    out = pd.Series(pd.NaT, index=last.index, dtype=last.dtype)
    for index, spec in enumerate(CADENCES):
        mine = cadence == index
        if mine.any():
            out[mine] = last[mine] + spec.step
    return out


_MERCHANT_KEY = ["merchant_code", "currency"]


def _streams_with_prices(work: pd.DataFrame) -> pd.DataFrame:
    streams = _regular_streams(work)
    return streams.join(_price_levels(work, streams))


def _plausible(streams: pd.DataFrame, *, whole_merchant: bool) -> pd.DataFrame:
    """Regular timing alone is not a subscription: weekly groceries and two purchases a year
    apart are regular too. Keep what also looks like one bill."""
    spread = streams["max_amount"] / streams["min_amount"].where(streams["min_amount"] > 0)
    keep = pd.Series(True, index=streams.index)
    if whole_merchant:
        keep &= (spread <= WHOLE_MERCHANT_SPREAD) | streams["category"].isin(MOVING_BILLS)
    # Two yearly charges are a pattern only when they are (nearly) the same amount.
    two_yearly = (streams["cadence_index"] == YEARLY) & (streams["charges"] < 3)
    keep &= ~two_yearly | (spread <= TWO_YEARLY_SPREAD)
    return streams[keep.fillna(False)]


def _choose_streams(
    whole: pd.DataFrame, banded: pd.DataFrame, merchant_charges: pd.Series
) -> pd.DataFrame:
    """Per merchant, one stream for all its charges or one per amount band.

    A merchant regular as a whole is one stream even when its amount moves (energy bills).
    But when its bands are regular on their own, cover every charge and come slower than the
    merchant as a whole, those are separate subscriptions interleaved (two plans billed on
    different days look "every two weeks" together): the bands are the streams.
    """
    bands = banded.groupby(_MERCHANT_KEY).agg(
        bands=("charges", "size"), covered=("charges", "sum"), slowest=("cadence_index", "min")
    )
    merchants = whole[[*_MERCHANT_KEY, "cadence_index"]].join(bands, on=_MERCHANT_KEY)
    merchants = merchants.join(merchant_charges, on=_MERCHANT_KEY)
    interleaved = (
        (merchants["bands"] >= 2)
        & (merchants["covered"] == merchants["merchant_charges"])
        & (merchants["slowest"] > merchants["cadence_index"])
    )
    kept_whole = whole[~interleaved]
    taken = pd.MultiIndex.from_frame(kept_whole[_MERCHANT_KEY])
    from_bands = banded[~pd.MultiIndex.from_frame(banded[_MERCHANT_KEY]).isin(taken)]
    return pd.concat([kept_whole, from_bands], ignore_index=True)


def detect_recurring(frame: pd.DataFrame, today: date) -> pd.DataFrame:
    """Every recurring stream with its cadence, typical amount, yearly cost, last and next
    expected dates, and flags for a price rise and for a stream that has stopped."""
    charges = _charges(frame)
    if charges.empty:
        return _empty()
    charges = charges.sort_values(["merchant_code", "currency", "date"], ignore_index=True)
    whole = _with_gaps(charges, _by_merchant(charges))
    banded = _with_gaps(charges, _by_amount_band(charges))
    streams = _choose_streams(
        _plausible(_streams_with_prices(whole), whole_merchant=True),
        _plausible(_streams_with_prices(banded), whole_merchant=False),
        charges.groupby(_MERCHANT_KEY).size().rename("merchant_charges"),
    )
    if streams.empty:
        return _empty()
    cadence = streams["cadence_index"]
    # A bill whose amount moves most months (energy, water) is summed up by its median;
    # a subscription is what it costs now.
    varies = streams["changes"] > np.maximum(2, streams["charges"] // 4)
    typical = streams["median_amount"].where(varies, streams["last_amount"])
    rise = ~varies & streams["previous_amount"].notna()
    rise &= streams["last_amount"] > streams["previous_amount"]
    nominal_days = cadence.map(lambda i: CADENCES[i].days)
    silent_days = (pd.Timestamp(today) - streams["last_date"]).dt.days
    out = pd.DataFrame(
        {
            "merchant": streams["merchant"],
            "category": streams["category"],
            "account": streams["account"],
            "currency": streams["currency"],
            "cadence": cadence.map(lambda i: CADENCES[i].label),
            "charges": streams["charges"].astype("int64"),
            "typical_amount": typical,
            "yearly_cost": typical * cadence.map(lambda i: CADENCES[i].per_year),
            "first_date": streams["first_date"],
            "last_date": streams["last_date"],
            "next_date": _next_dates(streams["last_date"], cadence),
            "last_amount": streams["last_amount"],
            "previous_amount": streams["previous_amount"].where(rise),
            "price_rise": rise,
            "price_rise_since": streams["level_since"].where(rise),
            "amount_varies": varies,
            "stopped": silent_days > STOPPED_AFTER * nominal_days,
        }
    )
    out = out.sort_values(["stopped", "yearly_cost", "merchant"], ascending=[True, False, True])
    return out[list(RECURRING_COLUMNS)].reset_index(drop=True)


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
        for row in rises.head(LATEST_RISES).itertuples(index=False)
    )
    return RecurringSummary(
        yearly=yearly_cost_by_currency(streams),
        running=len(streams) - stopped,
        stopped=stopped,
        latest_rises=latest,
        earlier_rises=max(len(rises) - LATEST_RISES, 0),
    )
