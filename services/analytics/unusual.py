"""Unusual activity among the charges (pure pandas, vectorised).

Three kinds, each explainable in one sentence:

- far above usual: at least ``FAR_ABOVE_FACTOR`` times the usual (median) charge at that
  merchant, or in that detailed category when the merchant is too new to have a usual
  amount, and at least ``FAR_ABOVE_MIN_EXCESS`` above it (so a $3 coffee at $9 is not news);
  (an amount already charged there before, within 20%, is that merchant's usual);
- new merchant, large charge: the first charge ever seen at a merchant, at least
  ``NEW_MERCHANT_LARGE``, once there is enough history for "new" to mean something;
- duplicate: the same merchant and amount again within ``DUPLICATE_DAYS`` days, at a
  merchant not normally paid that often (transit fares and daily coffee are not duplicates).

Amounts are compared only within one currency. Only spending charges are looked at, and a
charge refunded in full later (same merchant and amount) is settled, so it is left out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from services.analytics.codes import Table, cents, stable_order, stacked, take
from services.analytics.recurring import CodedHistory, _medians, code_history

FAR_ABOVE_FACTOR = 3.0
FAR_ABOVE_MIN_EXCESS = 20.0
MERCHANT_HISTORY_MIN = 6  # charges at a merchant before its median is "usual"
CATEGORY_HISTORY_MIN = 10
NEW_MERCHANT_LARGE = 200.0
HISTORY_BEFORE_NEW_DAYS = 60  # a merchant seen in the first weeks of history is not "new"
DUPLICATE_DAYS = 2
PAID_OFTEN_MIN_GAPS = 4  # charges apart that show a merchant is paid every day or two
SIMILAR_AMOUNT = 0.20  # an earlier charge this close makes an amount usual at a merchant

FAR_ABOVE, NEW_MERCHANT, DUPLICATE = "far_above_usual", "new_merchant", "duplicate"
KIND_LABELS = {
    FAR_ABOVE: "Far above the usual amount",
    NEW_MERCHANT: "Large first charge at a new merchant",
    DUPLICATE: "Possible duplicate charge",
}
UNUSUAL_COLUMNS = (
    "transaction_id",
    "date",
    "kind",
    "merchant",
    "amount",
    "currency",
    "usual_amount",
    "compared_with",
    "first_charge_date",
    "account",
    "category",
)


def _text_rank(values: pd.Series) -> np.ndarray:
    """Each value's place in text order. Arrow sorts strings several times faster than
    ``pd.factorize(sort=True)``, in the same (code point) order."""
    order = pc.sort_indices(pa.array(values, type=pa.large_string())).to_numpy()
    rank = np.empty(len(order), dtype="int64")
    rank[order] = np.arange(len(order))
    return rank


def _newest_first_by_id(frame: pd.DataFrame) -> bool:
    """Whether ``frame`` is in the order snapshots are built in (date newest first, then
    transaction id): checking it is one pass, much cheaper than sorting the ids."""
    dates = frame["date"].to_numpy()
    if len(dates) < 2:
        return True
    if not (dates[1:] <= dates[:-1]).all():  # NaT compares false: not this order
        return False
    ids = pa.array(frame["transaction_id"], type=pa.large_string())
    if ids.null_count:
        return False
    id_falls = pc.less(ids[1:], ids[:-1]).to_numpy(zero_copy_only=False)
    return not (id_falls & (dates[1:] == dates[:-1])).any()


def _days_reversed(dates: np.ndarray) -> np.ndarray:
    """For dates newest first: the rows' order with their runs of equal dates in reverse,
    each run kept in its order (what a stable sort by date gives, without sorting)."""
    starts = np.flatnonzero(np.r_[True, dates[1:] != dates[:-1]])
    lengths = np.diff(np.r_[starts, len(dates)])
    starts, lengths = starts[::-1], lengths[::-1]
    placed = np.cumsum(lengths) - lengths  # where each run starts once reversed
    return np.arange(len(dates)) + np.repeat(starts - placed, lengths)


def _in_time_order(frame: pd.DataFrame, position: np.ndarray) -> np.ndarray:
    """``position`` (rows of ``frame``, ascending) ordered by date then transaction id."""
    dates = frame["date"].to_numpy()[position]
    if _newest_first_by_id(frame):
        # Rows of one day are in id order already: the days in reverse, each kept as it is.
        return position[_days_reversed(dates)]
    ids = _text_rank(frame["transaction_id"])[position]
    return position[np.lexsort((ids, dates))]


def _spending(
    frame: pd.DataFrame, coded: CodedHistory | None = None
) -> tuple[Table, np.ndarray, np.ndarray]:
    """Spending rows in time order (then by transaction id) as numbers only (merchant,
    currency and category as codes, ``seq`` for the order), which sort and group fast; each
    row's position in ``frame`` and the merchants' names by code. Text is looked up for the
    findings alone: copying the text of every row cost more than finding them."""
    coded = coded if coded is not None else code_history(frame)
    position = _in_time_order(frame, np.flatnonzero(coded.spending))
    work = {
        "seq": np.arange(len(position)),
        "date": coded.date[position],
        "merchant": coded.merchant[position],
        "currency": coded.currency[position],
        "detailed": coded.detailed[position],
        "amount": coded.amount[position].round(2),
    }
    return work, position, coded.merchants


def _order(charges: Table, keys: list[str], within: np.ndarray | None = None) -> np.ndarray:
    """Where each row of ``charges`` (in ``seq`` order) goes once sorted by ``keys`` then
    ``seq``: one integer key of the codes (and amounts in cents), sorted stably. ``within``:
    an order by the first of ``keys`` already, which makes this sort much cheaper."""
    rows = within if within is not None else np.arange(len(charges["seq"]))
    columns = [charges[name][rows] for name in keys]
    return rows[
        stable_order(
            *[cents(v) if name == "amount" else v for name, v in zip(keys, columns, strict=True)]
        )
    ]


@dataclass(frozen=True)
class _ByMerchant:
    """The charges ordered by merchant, by merchant and currency, and by merchant, currency
    and amount (each then by ``seq``): one full sort, the others sort runs already in order."""

    merchant: np.ndarray
    currency: np.ndarray
    amount: np.ndarray


def _by_merchant(charges: Table) -> _ByMerchant:
    merchant = _order(charges, ["merchant"])
    currency = _order(charges, ["merchant", "currency"], within=merchant)
    amount = _order(charges, ["merchant", "currency", "amount"], within=currency)
    return _ByMerchant(merchant, currency, amount)


def _runs(values: np.ndarray) -> np.ndarray:
    """Whether each value (sorted) equals the one before it."""
    return np.r_[False, values[1:] == values[:-1]][: len(values)]


def _back(values: np.ndarray, order: np.ndarray) -> np.ndarray:
    """``values`` computed on rows sorted by ``order``, put back in the rows' order."""
    out = np.empty_like(values)
    out[order] = values
    return out


def _usual_amounts(
    charges: Table, keys: list[str], order: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Each charge's group's median amount and how many charges the group has (a group:
    equal ``keys``), as pandas' ``groupby(keys).transform("median" / "size")``. One sort by
    group and amount gives both (``order``: that sort, when known)."""
    order = order if order is not None else _order(charges, [*keys, "amount"])
    same = np.ones(len(order), dtype=bool)
    for name in keys:
        same &= _runs(charges[name][order])
    starts = np.flatnonzero(~same)
    counts = np.diff(np.r_[starts, len(order)])
    amount = charges["amount"][order]
    median = (amount[starts + (counts - 1) // 2] + amount[starts + counts // 2]) / 2
    group = np.cumsum(~same) - 1
    return _back(median[group], order), _back(counts[group], order)


def _seen_before_at_merchant(charges: Table, order: np.ndarray | None = None) -> np.ndarray:
    """Whether the previous charge at the same merchant was a similar amount (``order``: by
    merchant and currency, when known)."""
    order = order if order is not None else _order(charges, ["merchant", "currency"])
    same = _runs(charges["merchant"][order]) & _runs(charges["currency"][order])
    amount = charges["amount"][order]
    ratio = np.r_[np.nan, amount[1:] / amount[:-1]]
    return _back(same & (np.abs(ratio - 1) <= SIMILAR_AMOUNT), order)


def _first_charge_dtype(dates: np.ndarray) -> np.dtype:
    """As the findings have always given it: the history's precision, at least microseconds."""
    return np.result_type(dates.dtype, np.dtype("datetime64[us]"))


def _found(
    charges: Table,
    rows: np.ndarray,
    kind: str,
    *,
    usual: np.ndarray | None = None,
    compared: np.ndarray | None = None,
    first_charge: np.ndarray | None = None,
) -> Table:
    """The findings of one kind: ``rows`` of ``charges`` with what each kind tells (a kind
    that does not tell something leaves it missing)."""
    found = take(charges, rows)
    size = len(found["seq"])
    nothing = np.full(size, np.nan)
    return {
        **found,
        "kind": np.full(size, kind, dtype="object"),
        "usual_amount": nothing if usual is None else usual,
        "compared_with": nothing.astype("object") if compared is None else compared,
        "first_charge_date": (
            np.full(size, np.datetime64("NaT"), dtype=_first_charge_dtype(found["date"]))
            if first_charge is None
            else first_charge
        ),
    }


def _far_above_usual(charges: Table, by_merchant: _ByMerchant | None = None) -> Table:
    by_merchant = by_merchant if by_merchant is not None else _by_merchant(charges)
    merchant_usual, merchant_charges = _usual_amounts(
        charges, ["merchant", "currency"], by_merchant.amount
    )
    category_usual, category_charges = _usual_amounts(charges, ["detailed", "currency"])
    merchant_known = merchant_charges >= MERCHANT_HISTORY_MIN
    category_applies = (category_charges >= CATEGORY_HISTORY_MIN) & ~_seen_before_at_merchant(
        charges, by_merchant.currency
    )
    usual = np.where(
        merchant_known, merchant_usual, np.where(category_applies, category_usual, np.nan)
    )
    amount = charges["amount"]
    with np.errstate(invalid="ignore"):
        far = (amount >= FAR_ABOVE_FACTOR * usual) & (amount - usual >= FAR_ABOVE_MIN_EXCESS)
    compared = np.where(merchant_known[far], "merchant", "category").astype("object")
    return _found(charges, far, FAR_ABOVE, usual=usual[far], compared=compared)


def _new_merchant_large(charges: Table, by_merchant: _ByMerchant | None = None) -> Table:
    # Charges are in time order: by merchant then that order, a merchant's first row is its
    # first charge.
    order = by_merchant.merchant if by_merchant is not None else _order(charges, ["merchant"])
    merchant, dates = charges["merchant"], charges["date"]
    first = np.zeros(len(merchant), dtype=bool)
    first[order[~_runs(merchant[order])]] = True
    known = dates[~np.isnat(dates)]  # a charge without a date does not start the history
    if len(known):
        first &= dates >= known.min() + np.timedelta64(HISTORY_BEFORE_NEW_DAYS, "D")
    else:
        first[:] = False
    large = charges["amount"] >= NEW_MERCHANT_LARGE
    return _found(charges, first & large, NEW_MERCHANT)


def _duplicates(charges: Table, orders: _ByMerchant | None = None) -> Table:
    # "Paid often" (daily coffee, transit) is judged on the gaps between days with charges,
    # and only with enough of them: a lone double charge must not make itself look usual.
    orders = orders if orders is not None else _by_merchant(charges)
    dates = charges["date"]
    by_merchant = orders.merchant
    same = _runs(charges["merchant"][by_merchant])
    days_apart = _days_apart(dates[by_merchant])
    merchant_gap = np.where(same & (days_apart > 0), days_apart, np.nan)
    starts = np.flatnonzero(~same)
    gaps = np.add.reduceat(~np.isnan(merchant_gap), starts) if len(starts) else starts
    usual_gap = _medians(merchant_gap, starts, gaps, whole_days=True)
    group = np.cumsum(~same) - 1
    paid_often = _back(
        ((usual_gap <= DUPLICATE_DAYS) & (gaps >= PAID_OFTEN_MIN_GAPS))[group], by_merchant
    )

    by_amount = orders.amount
    repeat = np.ones(len(by_amount), dtype=bool)
    for name in ("merchant", "currency", "amount"):
        repeat &= _runs(charges[name][by_amount])
    gap = _back(np.where(repeat, _days_apart(dates[by_amount]), np.nan), by_amount)
    duplicate = (gap <= DUPLICATE_DAYS) & ~paid_often
    first_charge = dates[duplicate] - gap[duplicate].astype("int64") * np.timedelta64(1, "D")
    return _found(
        charges,
        duplicate,
        DUPLICATE,
        usual=charges["amount"][duplicate],
        first_charge=first_charge.astype(_first_charge_dtype(dates)),
    )


def _days_apart(dates: np.ndarray) -> np.ndarray:
    """Whole days since the row before (NaN for the first), as ``diff().dt.days``."""
    return np.r_[np.nan, (np.diff(dates) // np.timedelta64(1, "D")).astype("float64")]


def _refunded(found: Table, refunds: Table) -> np.ndarray:
    """Whether each finding was later refunded in full by the same merchant: a refund of
    the same amount, in the same currency, on the day of the charge or after."""
    if not len(found["seq"]) or not len(refunds["seq"]):
        return np.zeros(len(found["seq"]), dtype=bool)
    charges = len(found["seq"])
    merchant = np.r_[found["merchant"], refunds["merchant"]]
    currency = np.r_[found["currency"], refunds["currency"]]
    amount = cents(np.r_[found["amount"], -refunds["amount"]])
    order = stable_order(merchant, currency, amount)
    same = _runs(merchant[order]) & _runs(currency[order]) & _runs(amount[order])
    charge = _back(np.cumsum(~same) - 1, order)  # one number per merchant, currency, amount
    dates = np.r_[found["date"], refunds["date"]].view("int64")
    latest_refund = np.full(int(charge.max()) + 1, np.iinfo(np.int64).min)
    np.maximum.at(latest_refund, charge[charges:], dates[charges:])
    return latest_refund[charge[:charges]] >= dates[:charges]


def find_unusual(frame: pd.DataFrame, coded: CodedHistory | None = None) -> pd.DataFrame:
    """Every unusual charge, newest first; one row per charge and kind (``coded``:
    ``recurring.code_history(frame)`` when the caller has it already)."""
    spending, position, merchants = _spending(frame, coded)
    charges = take(spending, spending["amount"] > 0)
    by_merchant = _by_merchant(charges)
    found = stacked(
        _far_above_usual(charges, by_merchant),
        _new_merchant_large(charges, by_merchant),
        _duplicates(charges, by_merchant),
    )
    found = take(found, ~_refunded(found, take(spending, spending["amount"] < 0)))
    at = position[found["seq"]]
    described = frame[["transaction_id", "currency", "account", "category"]].iloc[at]
    out = pd.DataFrame(
        {
            "transaction_id": described["transaction_id"].to_numpy(),
            "date": found["date"],
            "kind": found["kind"],
            "merchant": merchants[found["merchant"]],
            "amount": found["amount"],
            "currency": described["currency"].astype("str").to_numpy(),
            "usual_amount": found["usual_amount"],
            "compared_with": found["compared_with"],
            "first_charge_date": found["first_charge_date"],
            "account": described["account"].astype("str").to_numpy(),
            "category": described["category"].astype("str").to_numpy(),
        },
        columns=list(UNUSUAL_COLUMNS),
    )
    out = out.sort_values(["date", "transaction_id", "kind"], ascending=[False, True, True])
    return out.reset_index(drop=True)


def recent(findings: pd.DataFrame, today: date, days: int) -> pd.DataFrame:
    """Findings dated within the last ``days`` days (today included)."""
    since = pd.Timestamp(today - timedelta(days=days - 1))
    return findings[(findings["date"] >= since) & (findings["date"] <= pd.Timestamp(today))]
