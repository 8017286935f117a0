"""What a snapshot's whole history gives, whatever the page's filters: filter options, the
main currency, recurring payments and income and unusual activity.

Its own module because it is computed once per fetched snapshot and shared by every session
showing it (the cached loader ``services.runtime.loaders.analyse_snapshot``), and a cached
loader must not depend on the view-models that render it.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date

import pandas as pd

from integrations.models import RecurringStream
from services.analytics.income import income_streams
from services.analytics.money import main_currency
from services.analytics.recurring import (
    RECURRING_COLUMNS,
    RecurringSummary,
    code_history,
    outflows,
    recurring_streams,
    recurring_summary,
)
from services.analytics.transaction_query import FilterOptions, filter_options
from services.analytics.unusual import find_unusual


@dataclass(frozen=True)
class SnapshotAnalyses:
    """What depends on the whole history only, not on the filters."""

    options: FilterOptions
    currency: str  # the one most transactions are in: headline figures and charts use it
    streams: pd.DataFrame  # recurring payments out (RECURRING_COLUMNS)
    recurring: RecurringSummary
    findings: pd.DataFrame
    # Every stream in and out, Plaid's or ours per item (recurring.STREAM_COLUMNS): what the
    # bills ahead read; and the streams of income alone (services.analytics.income).
    all_streams: pd.DataFrame
    income_streams: pd.DataFrame


def snapshot_analyses(
    frame: pd.DataFrame,
    today: date,
    plaid_streams: Sequence[RecurringStream] = (),
    plaid_items: Collection[str] = (),
) -> SnapshotAnalyses:
    """``plaid_streams`` are Plaid's own for the items in ``plaid_items``; the other items'
    streams are found in their transactions."""
    # Recurring payments, income and unusual activity read the same rows: coded once.
    coded = code_history(frame)
    every = recurring_streams(frame, today, plaid_streams, plaid_items, coded)
    streams = outflows(every)[list(RECURRING_COLUMNS)]
    return SnapshotAnalyses(
        options=filter_options(frame, today),
        currency=main_currency(frame),
        streams=streams,
        recurring=recurring_summary(streams),
        findings=find_unusual(frame, coded),
        all_streams=every,
        income_streams=income_streams(every),
    )
