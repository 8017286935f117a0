"""The vectorised building blocks of detection (issue 18: under 150 ms at 100k transactions)
give what the pandas formulations they replaced give, on a generated 20k-row history (the
bench's: the demo's transactions in renamed, shifted copies). The detectors' results
themselves are pinned by test_recurring, test_income and test_unusual."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from bench.transactions import synthetic_frame
from services.analytics import codes, recurring, transaction_query, unusual
from services.analytics.money import purchase_rows, received_income_rows
from services.analytics.transactions import merchant_or_name
from services.runtime import loaders as data
from tests.support.clock import TODAY


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return synthetic_frame(data.load_demo_snapshot(TODAY).transactions, 20_000)


@pytest.fixture(scope="module")
def charges(frame: pd.DataFrame) -> pd.DataFrame:
    work, _ = recurring._charges(frame)
    return pd.DataFrame(work).sort_values(["merchant_code", "currency", "date"], ignore_index=True)


def test_merchant_codes_name_the_same_merchants_as_merchant_or_name(
    frame: pd.DataFrame,
) -> None:
    rows = frame.head(5_000).copy()
    rows.loc[rows.index[:50], "merchant"] = None  # the bank's description stands in
    rows.loc[rows.index[50:60], "merchant"] = "  "
    codes, names = recurring.merchant_codes(rows)
    expected = merchant_or_name(rows)
    assert list(names[codes]) == list(expected)
    # Numbered in order of first appearance, as pd.factorize numbers them.
    assert list(codes) == list(pd.factorize(expected)[0])


def _frame_of(rows: recurring._Rows) -> pd.DataFrame:
    return pd.DataFrame({f.name: getattr(rows, f.name) for f in dataclasses.fields(rows)})


def test_stream_medians_are_pandas_medians(charges: pd.DataFrame) -> None:
    _, banded = recurring._candidate_rows(charges)
    work = _frame_of(banded)
    starts, ends = recurring._slices(banded.stream)
    counts = ends - starts
    by_stream = work.groupby("stream")
    gaps = recurring._medians(banded.gap, starts, counts - 1, whole_days=True)
    amounts = recurring._medians(banded.amount, starts, counts)
    np.testing.assert_array_equal(gaps, by_stream["gap"].median().to_numpy())
    np.testing.assert_array_equal(amounts, by_stream["amount"].median().to_numpy())


def _with_gaps(charges: pd.DataFrame, stream: pd.Series) -> pd.DataFrame:
    """The pandas formulation the numpy one replaced: sorted by stream and date, with each
    charge's gap in days since the one before in its stream."""
    work = charges.assign(stream=stream).sort_values(["stream", "date"], ignore_index=True)
    work["first_in_stream"] = work["stream"].ne(work["stream"].shift())
    work["gap"] = work["date"].diff().dt.days.where(~work["first_in_stream"])
    return work


def test_amount_bands_and_gaps_are_those_of_sorting_by_columns(
    frame: pd.DataFrame, charges: pd.DataFrame
) -> None:
    new = charges["merchant_code"].ne(charges["merchant_code"].shift())
    new |= charges["currency"].ne(charges["currency"].shift())
    order = charges.sort_values(["merchant_code", "currency", "amount"])
    new_band = order["merchant_code"].ne(order["merchant_code"].shift())
    new_band |= order["currency"].ne(order["currency"].shift())
    jump = order["amount"] > order["amount"].shift() * (1 + recurring.AMOUNT_TOLERANCE)
    bands = (new_band | jump).cumsum().reindex(charges.index)
    # The charges come in the frame's order: detection sorts them itself.
    whole, banded = recurring._candidate_rows(recurring._charges(frame)[0])
    for rows, stream in ((whole, new.cumsum()), (banded, bands)):
        expected = _with_gaps(charges, stream)
        got = _frame_of(rows)[list(expected.columns)]
        pd.testing.assert_frame_equal(got, expected, check_dtype=False)


def test_one_sort_key_orders_as_lexsort(frame: pd.DataFrame) -> None:
    work, _ = recurring._charges(frame)
    keys = [work[c] for c in ("merchant_code", "currency")]
    keys.append(codes.day_key(work["date"]))
    keys.append(codes.cents(work["amount"]))
    np.testing.assert_array_equal(codes.stable_order(*keys), np.lexsort(keys[::-1]))
    np.testing.assert_array_equal(codes.stable_order(keys[0]), np.argsort(keys[0], kind="stable"))
    # Keys too wide for one integer fall back to lexsort.
    wide = [np.array([2**40, 0, 2**40, 5]), np.array([2**40, 7, 3, 7])]
    np.testing.assert_array_equal(codes.stable_order(*wide), np.lexsort(wide[::-1]))


def test_text_codes_are_those_of_factorize(frame: pd.DataFrame) -> None:
    names = frame["name"].copy()
    names.iloc[:30] = None
    got, values = codes.text_codes(names, first_seen=True)
    expected, uniques = pd.factorize(names)
    np.testing.assert_array_equal(got, expected)
    assert list(values) == list(uniques)
    got, values = codes.text_codes(frame["account"])  # a categorical: its own codes
    assert list(values[got]) == list(frame["account"].astype("str"))


def test_charges_coded_once_are_those_of_each_direction_alone(frame: pd.DataFrame) -> None:
    coded = recurring.code_history(frame)
    for income in (False, True):
        work, labels = recurring._charges(frame, income=income, coded=coded)
        if income:
            rows = received_income_rows(frame, columns=COLUMNS, with_tax_refunds=False)
            rows = rows.assign(amount=-rows["amount"])
        else:
            rows = purchase_rows(frame, columns=COLUMNS)
        merchant, merchants = recurring.merchant_codes(rows)
        np.testing.assert_array_equal(work["merchant_code"], merchant)
        assert list(labels.merchant) == list(merchants)
        np.testing.assert_array_equal(work["amount"], rows["amount"].round(2))
        for column in ("currency", "category", "account"):
            texts = getattr(labels, column)[work[column]]
            assert list(texts) == list(rows[column].astype("str")), column


COLUMNS = ("date", "amount", "merchant", "name", "currency", "account", "category")


def test_price_levels_are_those_of_the_groupby(charges: pd.DataFrame) -> None:
    whole, _ = recurring._candidate_rows(charges)
    streams = recurring._regular_streams(whole)
    got = recurring._price_levels(whole, streams)
    # The pandas formulation it replaced.
    work = _frame_of(whole)
    work = work[work["stream"].isin(streams["stream"])]
    changed = ~work["first_in_stream"] & work["amount"].ne(work["amount"].shift())
    level = (work["first_in_stream"] | changed).cumsum()
    latest = level.eq(level.groupby(work["stream"]).transform("max"))
    latest_starts = latest & (work["first_in_stream"] | ~latest.shift(fill_value=False))
    before = work["amount"].shift().where(~work["first_in_stream"])
    starts = work.loc[latest_starts, ["stream", "date"]].assign(previous=before[latest_starts])
    starts = starts.set_index("stream")
    np.testing.assert_array_equal(got["changes"], changed.groupby(work["stream"]).sum())
    np.testing.assert_array_equal(got["previous_amount"], starts["previous"])
    np.testing.assert_array_equal(got["level_since"], starts["date"])


def _spending(frame: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(unusual._spending(frame)[0])


def _table(rows: pd.DataFrame) -> codes.Table:
    """Rows as detection takes them: an array per column."""
    return {name: rows[name].to_numpy() for name in rows.columns}


@pytest.fixture(scope="module")
def spending_charges(frame: pd.DataFrame) -> pd.DataFrame:
    spending = _spending(frame)
    return spending[spending["amount"] > 0]


def test_usual_amounts_are_groupby_medians_and_sizes(spending_charges: pd.DataFrame) -> None:
    for keys in (["merchant", "currency"], ["detailed", "currency"]):
        median, size = unusual._usual_amounts(_table(spending_charges), keys)
        groups = spending_charges.groupby(keys)["amount"]
        np.testing.assert_array_equal(median, groups.transform("median").to_numpy())
        np.testing.assert_array_equal(size, groups.transform("size").to_numpy())


def test_seen_before_and_duplicates_are_those_of_shifting_sorted_charges(
    spending_charges: pd.DataFrame,
) -> None:
    charges = spending_charges
    ordered = charges.sort_values(["merchant", "currency", "seq"])
    same = ordered["merchant"].eq(ordered["merchant"].shift())
    same &= ordered["currency"].eq(ordered["currency"].shift())
    ratio = ordered["amount"] / ordered["amount"].shift()
    similar = (same & (ratio - 1).abs().le(unusual.SIMILAR_AMOUNT)).reindex(charges.index)
    np.testing.assert_array_equal(unusual._seen_before_at_merchant(_table(charges)), similar)

    by_merchant = charges.sort_values(["merchant", "seq"])
    same = by_merchant["merchant"].eq(by_merchant["merchant"].shift())
    days_apart = by_merchant["date"].diff().dt.days
    groups = days_apart.where(same & (days_apart > 0)).groupby(by_merchant["merchant"])
    paid_often = (groups.transform("median") <= unusual.DUPLICATE_DAYS) & (
        groups.transform("count") >= unusual.PAID_OFTEN_MIN_GAPS
    )
    by_amount = charges.sort_values(["merchant", "currency", "amount", "seq"])
    repeat = by_amount["merchant"].eq(by_amount["merchant"].shift())
    repeat &= by_amount["currency"].eq(by_amount["currency"].shift())
    repeat &= by_amount["amount"].eq(by_amount["amount"].shift())
    gap = by_amount["date"].diff().dt.days.where(repeat)
    twin = (gap <= unusual.DUPLICATE_DAYS).reindex(charges.index)
    expected = charges[twin & ~paid_often.reindex(charges.index)]
    found = unusual._duplicates(_table(charges))
    assert len(expected) > 0
    assert list(found["seq"]) == list(expected["seq"])
    first = (by_amount["date"] - pd.to_timedelta(gap, unit="D")).reindex(expected.index)
    np.testing.assert_array_equal(found["first_charge_date"], first)


def test_refunds_are_matched_as_the_merge_matched_them(frame: pd.DataFrame) -> None:
    spending = _spending(frame)
    refunds = spending[spending["amount"] < 0]
    # Charges of every refunded amount, before and after their refund.
    found = spending.merge(
        refunds.assign(amount=-refunds["amount"])[["merchant", "currency", "amount"]]
    ).drop_duplicates("seq")
    # Some charged after their refund: not settled by it.
    found.loc[found.index[::3], "date"] += pd.Timedelta(days=800)
    returned = refunds.assign(amount=-refunds["amount"]).rename(columns={"date": "refund_date"})
    keys = ["merchant", "currency", "amount"]
    pairs = found[[*keys, "date"]].reset_index().merge(returned[[*keys, "refund_date"]], on=keys)
    matched = pairs.loc[pairs["refund_date"] >= pairs["date"], "index"]
    expected = found.index.to_series().isin(matched).to_numpy()
    np.testing.assert_array_equal(unusual._refunded(_table(found), _table(refunds)), expected)
    assert expected.any()
    assert not expected.all()


def test_filter_pairs_and_url_ids_are_those_of_the_groupby(frame: pd.DataFrame) -> None:
    rows = frame.copy()
    rows["account_id"] = rows["account_id"].astype("object")
    rows.loc[rows.index[:40], "account_id"] = None
    for history in (frame, rows):
        for first, second in (("account", "institution"), ("category_detailed", "category")):
            grouped = history.groupby([first, second], observed=True).size()
            expected = tuple(sorted((str(a), str(b)) for a, b in grouped.index))
            assert transaction_query._pairs(history, first, second) == expected
        for name, upstream in (("institution", "item_id"), ("account", "account_id")):
            smallest = history.groupby(name, observed=True)[upstream].min()
            expected = tuple(
                sorted((str(n), transaction_query.url_id("k", str(i))) for n, i in smallest.items())
            )
            assert transaction_query._url_ids(history, name, upstream, "k") == expected


def test_charges_sort_as_sort_values_does(spending_charges: pd.DataFrame) -> None:
    charges = spending_charges
    for keys in (["merchant"], ["merchant", "currency"], ["merchant", "currency", "amount"]):
        expected = charges.sort_values([*keys, "seq"])
        order = unusual._order(_table(charges), keys)
        pd.testing.assert_frame_equal(charges.take(order), expected)
    # Sorting runs already in merchant order gives the same orders.
    by_merchant = unusual._by_merchant(_table(charges))
    for keys, order in (
        (["merchant"], by_merchant.merchant),
        (["merchant", "currency"], by_merchant.currency),
        (["merchant", "currency", "amount"], by_merchant.amount),
    ):
        expected = charges.sort_values([*keys, "seq"])
        assert list(charges["seq"].to_numpy()[order]) == list(expected["seq"]), keys


def test_spending_rows_come_in_date_then_transaction_id_order(frame: pd.DataFrame) -> None:
    _, position, _ = unusual._spending(frame)
    shown = frame.iloc[position]
    expected = shown.sort_values(["date", "transaction_id"])
    assert list(shown["transaction_id"]) == list(expected["transaction_id"])
    # Arrow's text order is Python's (code points), not a locale's.
    ids = pd.Series(["b", "B", "a", "é", "e", "10", "9"])
    assert list(ids.iloc[np.argsort(unusual._text_rank(ids))]) == sorted(ids)
