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

from datetime import date, timedelta

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from services.analytics.money import spending_rows
from services.analytics.recurring import merchant_codes

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


def _codes(values: pd.Series) -> np.ndarray:
    return pd.factorize(values)[0]


def _text_rank(values: pd.Series) -> np.ndarray:
    """Each value's place in text order. Arrow sorts strings several times faster than
    ``pd.factorize(sort=True)``, in the same (code point) order."""
    order = pc.sort_indices(pa.array(values, type=pa.large_string())).to_numpy()
    rank = np.empty(len(order), dtype="int64")
    rank[order] = np.arange(len(order))
    return rank


def _spending(frame: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Spending rows in time order (then by transaction id) as numbers only (merchant,
    currency and category as codes, ``seq`` for the order), which sort and group fast; each
    row's position in ``frame`` and the merchants' names by code. Text is looked up for the
    findings alone: copying the text of every row cost more than finding them."""
    numbered = frame.reset_index(drop=True)
    position = spending_rows(numbered, columns=("date",)).index.to_numpy()
    dates = numbered["date"].to_numpy()[position]
    ids = _text_rank(numbered["transaction_id"])[position]
    position = position[np.lexsort((ids, dates))]
    merchant, merchants = merchant_codes(numbered)
    work = pd.DataFrame(
        {
            "seq": np.arange(len(position)),
            "date": numbered["date"].to_numpy()[position],
            "merchant": merchant[position],
            "currency": _codes(numbered["currency"])[position],
            "detailed": _codes(numbered["category_detailed"])[position],
            "amount": numbered["amount"].to_numpy()[position].round(2),
        }
    )
    return work, position, merchants


def _sorted(charges: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """``charges`` (in ``seq`` order) sorted by ``keys`` then ``seq``, as ``sort_values``
    would: one integer key of the codes (and amounts in cents), sorted stably, keeps ``seq``
    order among equals and is several times faster than sorting by columns."""
    key = np.zeros(len(charges), dtype="int64")
    bound = 1.0
    for name in keys:
        values = charges[name].to_numpy()
        values = np.rint(values * 100).astype("int64") if name == "amount" else values
        low = int(values.min()) if len(values) else 0
        span = (int(values.max()) - low + 1) if len(values) else 1
        bound *= span
        key = key * span + (values - low)
    if bound >= 2.0**62:  # too wide for one key: sort by the columns
        columns = [charges[name].to_numpy() for name in reversed(keys)]
        return charges.take(np.lexsort([charges["seq"].to_numpy(), *columns]))
    return charges.take(np.argsort(key, kind="stable"))


def _seen_before_at_merchant(charges: pd.DataFrame) -> pd.Series:
    """Whether the previous charge at the same merchant was a similar amount."""
    ordered = _sorted(charges, ["merchant", "currency"])
    same = ordered["merchant"].eq(ordered["merchant"].shift())
    same &= ordered["currency"].eq(ordered["currency"].shift())
    ratio = ordered["amount"] / ordered["amount"].shift()
    similar = same & (ratio - 1).abs().le(SIMILAR_AMOUNT)
    return similar.reindex(charges.index)


def _far_above_usual(charges: pd.DataFrame) -> pd.DataFrame:
    by_merchant = charges.groupby(["merchant", "currency"])["amount"]
    by_category = charges.groupby(["detailed", "currency"])["amount"]
    merchant_usual = by_merchant.transform("median")
    merchant_known = by_merchant.transform("size") >= MERCHANT_HISTORY_MIN
    category_usual = by_category.transform("median")
    category_known = by_category.transform("size") >= CATEGORY_HISTORY_MIN
    category_applies = category_known & ~_seen_before_at_merchant(charges)
    usual = merchant_usual.where(merchant_known, category_usual.where(category_applies))
    compared = pd.Series("merchant", index=charges.index).where(merchant_known, "category")
    far = (charges["amount"] >= FAR_ABOVE_FACTOR * usual) & (
        charges["amount"] - usual >= FAR_ABOVE_MIN_EXCESS
    )
    return charges[far].assign(kind=FAR_ABOVE, usual_amount=usual[far], compared_with=compared[far])


def _new_merchant_large(charges: pd.DataFrame) -> pd.DataFrame:
    # Charges are in time order already: the first row of a merchant is its first charge.
    first = ~charges["merchant"].duplicated()
    starts = charges["date"].min()
    late_enough = charges["date"] >= starts + pd.Timedelta(days=HISTORY_BEFORE_NEW_DAYS)
    large = charges["amount"] >= NEW_MERCHANT_LARGE
    return charges[first & late_enough & large].assign(kind=NEW_MERCHANT)


def _duplicates(charges: pd.DataFrame) -> pd.DataFrame:
    # "Paid often" (daily coffee, transit) is judged on the gaps between days with charges,
    # and only with enough of them: a lone double charge must not make itself look usual.
    by_merchant = _sorted(charges, ["merchant"])
    same = by_merchant["merchant"].eq(by_merchant["merchant"].shift())
    days_apart = by_merchant["date"].diff().dt.days
    merchant_gap = days_apart.where(same & (days_apart > 0))
    groups = merchant_gap.groupby(by_merchant["merchant"])
    usual_gap = groups.transform("median")
    enough = groups.transform("count") >= PAID_OFTEN_MIN_GAPS
    paid_often = ((usual_gap <= DUPLICATE_DAYS) & enough).reindex(charges.index)

    by_amount = _sorted(charges, ["merchant", "currency", "amount"])
    repeat = (
        by_amount["merchant"].eq(by_amount["merchant"].shift())
        & by_amount["currency"].eq(by_amount["currency"].shift())
        & by_amount["amount"].eq(by_amount["amount"].shift())
    )
    gap = by_amount["date"].diff().dt.days.where(repeat)
    twin = (gap <= DUPLICATE_DAYS).reindex(charges.index)
    found = charges[twin & ~paid_often]
    first_charge = (by_amount["date"] - pd.to_timedelta(gap, unit="D")).reindex(found.index)
    return found.assign(
        kind=DUPLICATE, usual_amount=found["amount"], first_charge_date=first_charge
    )


def _refunded(found: pd.DataFrame, refunds: pd.DataFrame) -> pd.Series:
    """Whether each finding was later refunded in full by the same merchant."""
    if found.empty or refunds.empty:
        return pd.Series(False, index=found.index)
    returned = refunds.assign(amount=-refunds["amount"]).rename(columns={"date": "refund_date"})
    keys = ["merchant", "currency", "amount"]
    pairs = found[[*keys, "date"]].reset_index().merge(returned[[*keys, "refund_date"]], on=keys)
    matched = pairs.loc[pairs["refund_date"] >= pairs["date"], "index"]
    return found.index.to_series().isin(matched)


def find_unusual(frame: pd.DataFrame) -> pd.DataFrame:
    """Every unusual charge, newest first; one row per charge and kind."""
    spending, position, merchants = _spending(frame)
    charges = spending[spending["amount"] > 0]
    found = pd.concat(
        [_far_above_usual(charges), _new_merchant_large(charges), _duplicates(charges)],
        ignore_index=True,
    )
    found = found[~_refunded(found, spending[spending["amount"] < 0])]
    at = position[found["seq"].to_numpy()]
    described = frame.iloc[at]
    out = pd.DataFrame(
        {
            "transaction_id": described["transaction_id"].to_numpy(),
            "date": found["date"].to_numpy(),
            "kind": found["kind"].to_numpy(),
            "merchant": merchants[found["merchant"].to_numpy()],
            "amount": found["amount"].to_numpy(),
            "currency": described["currency"].astype("str").to_numpy(),
            "usual_amount": found["usual_amount"].to_numpy(),
            "compared_with": found["compared_with"].to_numpy(),
            "first_charge_date": found["first_charge_date"].to_numpy(),
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
