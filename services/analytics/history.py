"""What a snapshot's whole history gives, whatever the page's filters: filter options, the
main currency, recurring payments and unusual activity.

Its own module because it is computed once per fetched snapshot and shared by every session
showing it (the cached loader ``services.runtime.loaders.analyse_snapshot``), and a cached
loader must not depend on the view-models that render it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd

from services.analytics.money import main_currency
from services.analytics.recurring import RecurringSummary, detect_recurring, recurring_summary
from services.analytics.transaction_query import FilterOptions, filter_options
from services.analytics.unusual import find_unusual


@dataclass(frozen=True)
class SnapshotAnalyses:
    """What depends on the whole history only, not on the filters."""

    options: FilterOptions
    currency: str  # the one most transactions are in: headline figures and charts use it
    streams: pd.DataFrame
    recurring: RecurringSummary
    findings: pd.DataFrame


def snapshot_analyses(frame: pd.DataFrame, today: date) -> SnapshotAnalyses:
    streams = detect_recurring(frame, today)
    return SnapshotAnalyses(
        options=filter_options(frame, today),
        currency=main_currency(frame),
        streams=streams,
        recurring=recurring_summary(streams),
        findings=find_unusual(frame),
    )
