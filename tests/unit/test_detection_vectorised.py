"""The vectorised building blocks of detection (issue 18: under 150 ms at 100k transactions)
give what the pandas formulations they replaced give, on a generated 20k-row history (the
bench's: the demo's transactions in renamed, shifted copies). The detectors' results
themselves are pinned by test_recurring, test_income and test_unusual."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from bench.transactions import synthetic_frame
from services.analytics import recurring, unusual
from services.analytics.transactions import merchant_or_name
from services.runtime import loaders as data
from tests.support.clock import TODAY


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return synthetic_frame(data.load_demo_snapshot(TODAY).transactions, 20_000)


@pytest.fixture(scope="module")
def charges(frame: pd.DataFrame) -> pd.DataFrame:
    work, _ = recurring._charges(frame)
    return work.sort_values(["merchant_code", "currency", "date"], ignore_index=True)


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


def test_stream_medians_are_pandas_medians(charges: pd.DataFrame) -> None:
    work = recurring._with_gaps(charges, recurring._by_amount_band(charges))
    starts, ends = recurring._slices(work["stream"].to_numpy())
    counts = ends - starts
    by_stream = work.groupby("stream")
    gaps = recurring._medians(work["gap"].to_numpy(), starts, counts - 1, whole_days=True)
    amounts = recurring._medians(work["amount"].to_numpy(), starts, counts)
    np.testing.assert_array_equal(gaps, by_stream["gap"].median().to_numpy())
    np.testing.assert_array_equal(amounts, by_stream["amount"].median().to_numpy())


def test_amount_bands_and_gaps_are_those_of_sorting_by_columns(charges: pd.DataFrame) -> None:
    # The pandas formulation the numpy one replaced.
    order = charges.sort_values(["merchant_code", "currency", "amount"])
    new = order["merchant_code"].ne(order["merchant_code"].shift())
    new |= order["currency"].ne(order["currency"].shift())
    jump = order["amount"] > order["amount"].shift() * (1 + recurring.AMOUNT_TOLERANCE)
    expected_bands = (new | jump).cumsum().reindex(charges.index)
    bands = recurring._by_amount_band(charges)
    pd.testing.assert_series_equal(bands, expected_bands, check_names=False, check_dtype=False)

    expected = charges.assign(stream=bands).sort_values(["stream", "date"], ignore_index=True)
    work = recurring._with_gaps(charges, bands)
    pd.testing.assert_frame_equal(work[list(expected.columns)], expected, check_dtype=False)


def test_charges_sort_as_sort_values_does(frame: pd.DataFrame) -> None:
    spending, _, _ = unusual._spending(frame)
    charges = spending[spending["amount"] > 0]
    for keys in (["merchant"], ["merchant", "currency"], ["merchant", "currency", "amount"]):
        expected = charges.sort_values([*keys, "seq"])
        pd.testing.assert_frame_equal(unusual._sorted(charges, keys), expected)


def test_spending_rows_come_in_date_then_transaction_id_order(frame: pd.DataFrame) -> None:
    _, position, _ = unusual._spending(frame)
    shown = frame.iloc[position]
    expected = shown.sort_values(["date", "transaction_id"])
    assert list(shown["transaction_id"]) == list(expected["transaction_id"])
    # Arrow's text order is Python's (code points), not a locale's.
    ids = pd.Series(["b", "B", "a", "é", "e", "10", "9"])
    assert list(ids.iloc[np.argsort(unusual._text_rank(ids))]) == sorted(ids)
