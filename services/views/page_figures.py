"""What each page shows, computed from fetched data
in one go (pure pandas, no Streamlit): a page computes these once per fetch (and per choice
that changes them) and only renders them on every rerun."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, timedelta, tzinfo

import altair as alt
import pandas as pd

from integrations.models import CreditReport
from services.analytics.cards import (
    PaymentDue,
    UtilizationTotal,
    cards_frame,
    next_payment_due,
    overall_utilization,
    utilization_band,
)
from services.analytics.credit import (
    AccountSummary,
    InquiryCounts,
    account_summary,
    history_depth,
    inquiries_frame,
    inquiry_counts,
    payment_history_frame,
    public_records_frame,
    tradelines_frame,
)
from services.analytics.crosscheck import (
    crosscheck_frame,
    linked_cards,
    linked_loans,
    linked_utilization,
    loan_crosscheck_frame,
)
from services.analytics.dates import previous_period
from services.analytics.loans import cash_frame, loans_frame
from services.analytics.money import (
    between,
    main_currency,
    pending_by_account,
    spending_rows,
    totals_by_currency,
)
from services.analytics.paydown import (
    avalanche_order,
    interest_totals,
    overall_payment_needed,
    overall_payment_split,
    paydown_plan,
    payment_totals,
)
from services.analytics.snapshot import FinancialSnapshot
from services.analytics.transactions import (
    Comparison,
    TransactionFilter,
    apply_filter,
    compare_with_previous_period,
    comparison_window,
    cumulative_this_and_last_month,
    monthly_spending_by_category,
    spending_by_category,
    spending_by_weekday,
    top_merchants,
)
from services.analytics.worth import (
    CashTotal,
    NetWorth,
    cash_by_currency,
    net_worth_by_currency,
    net_worth_parts,
)
from services.views.alerts import Alert, build_alerts
from services.views.charts import (
    category_chart,
    cumulative_chart,
    merchants_chart,
    monthly_trend_chart,
    payment_history_chart,
    utilization_chart,
    weekday_chart,
)

_SPENDING_COLUMNS = ("date", "currency", "amount")
# The transactions a page's CSV and the API give, in this order (pages/transactions.py, and
# services/web/api.py for /api/v1/transactions).
TRANSACTION_EXPORT_COLUMNS = (
    "transaction_id",
    "date",
    "authorized_date",
    "name",
    "merchant",
    "amount",
    "currency",
    "category",
    "category_detailed",
    "pending",
    "account",
    "institution",
    "payment_channel",
    "account_id",
)
# The transactions table shows this many of the newest rows at first, and as many more per
# click: a long view is not sent to the browser whole (the CSV still holds every row).
TABLE_PAGE_ROWS = 1_000


@dataclass(frozen=True)
class MonthSpending:
    """This month so far, against the same days of last month and all of last month; every
    figure per currency, the headline in the currency most transactions are in."""

    currency: str
    this_month: dict[str, float]
    same_days_last_month: dict[str, float]
    last_month: dict[str, float]
    history_reaches: bool  # the history goes back to the start of last month


def month_spending(frame: pd.DataFrame, today: date) -> MonthSpending:
    month_start = today.replace(day=1)
    # Like with like: the first N days of last month against the first N of this one.
    last_start, last_same_day = previous_period(month_start, today)
    rows = spending_rows(frame, columns=_SPENDING_COLUMNS)
    return MonthSpending(
        currency=main_currency(frame),
        this_month=totals_by_currency(between(rows, month_start, today)),
        same_days_last_month=totals_by_currency(between(rows, last_start, last_same_day)),
        last_month=totals_by_currency(between(rows, last_start, month_start - timedelta(days=1))),
        history_reaches=not frame.empty and frame["date"].min() <= pd.Timestamp(last_start),
    )


@dataclass(frozen=True)
class OverviewFigures:
    cards: pd.DataFrame
    totals: tuple[UtilizationTotal, ...]
    next_due: PaymentDue | None
    spending: MonthSpending | None  # None without bank data
    alerts: list[Alert]
    chart: alt.LayerChart | None  # None when no card has a known limit
    cash: tuple[CashTotal, ...] = ()  # per currency, the headline first
    net_worth: dict[str, float] | None = None  # per currency; None without bank data


def overview_figures(
    snap: FinancialSnapshot | None,
    report: CreditReport | None,
    today: date,
    unusual: pd.DataFrame | None,
    zone: tzinfo = UTC,
) -> OverviewFigures:
    """``zone`` is the person's time zone, in which ``today`` is theirs."""
    if snap is None:
        cards = cards_frame((), (), (), today)
    else:
        cards = cards_frame(snap.accounts, snap.liabilities, snap.items, today)
    totals = overall_utilization(cards)
    return OverviewFigures(
        cards=cards,
        totals=totals,
        next_due=next_payment_due(cards),
        spending=month_spending(snap.transactions, today) if snap is not None else None,
        alerts=build_alerts(
            cards,
            totals,
            report,
            today,
            unusual,
            snap.items if snap else (),
            zone,
            loans_frame(snap.accounts, snap.loans, snap.items, today) if snap else None,
        ),
        chart=_utilization_chart(cards),
        cash=cash_by_currency(snap.accounts) if snap is not None else (),
        net_worth=net_worth_by_currency(snap.accounts) if snap is not None else None,
    )


def _utilization_chart(cards: pd.DataFrame) -> alt.LayerChart | None:
    return None if cards["utilization"].isna().all() else utilization_chart(cards)


@dataclass(frozen=True)
class AccountsFigures:
    """The Accounts page: cash accounts and loans, their totals and net worth per currency."""

    cash: pd.DataFrame
    loans: pd.DataFrame
    net_worth: tuple[NetWorth, ...]
    institutions: list[str]  # of the cash accounts and loans
    loan_kinds: list[str]


def accounts_figures(snap: FinancialSnapshot, today: date) -> AccountsFigures:
    cash = cash_frame(snap.accounts, snap.items)
    loans = loans_frame(snap.accounts, snap.loans, snap.items, today)
    both = pd.concat([cash["institution"], loans["institution"]])
    return AccountsFigures(
        cash=cash,
        loans=loans,
        net_worth=net_worth_parts(snap.accounts),
        institutions=sorted(both.unique().tolist()),
        loan_kinds=sorted(loans["kind"].unique().tolist()),
    )


@dataclass(frozen=True)
class CardFigures:
    cards: pd.DataFrame  # with the band in words, for the table
    totals: tuple[UtilizationTotal, ...]
    institutions: list[str]
    chart: alt.LayerChart | None
    pending: dict[tuple[str, str], float]  # net pending per (account id, currency)
    avalanche: pd.DataFrame
    monthly_interest: dict[str, float]


def card_figures(snap: FinancialSnapshot, today: date) -> CardFigures:
    cards = cards_frame(snap.accounts, snap.liabilities, snap.items, today)
    pending = pending_by_account(snap.transactions)
    order = avalanche_order(cards, pending)
    # Said in words too: a missing limit reads "Unknown", never an empty bar taken for 0%.
    banded = cards.assign(band=[utilization_band(u).label for u in cards["utilization"]])
    return CardFigures(
        cards=banded,
        totals=overall_utilization(cards),
        institutions=sorted(cards["institution"].unique()),
        chart=_utilization_chart(cards),
        pending=pending,
        avalanche=order,
        monthly_interest=interest_totals(order),
    )


@dataclass(frozen=True)
class PlanFigures:
    plan: pd.DataFrame
    totals: dict[str, float]  # per currency
    overall_needed: dict[str, float]  # per currency: enough for the overall figure only
    overall_split: dict[str, list[tuple[str, str | None, float]]]


def plan_figures(figures: CardFigures, target: float, today: date) -> PlanFigures:
    plan = paydown_plan(figures.cards, target, today, figures.pending)
    return PlanFigures(
        plan=plan,
        totals=payment_totals(plan),
        overall_needed=overall_payment_needed(plan, target),
        overall_split=overall_payment_split(plan, target),
    )


@dataclass(frozen=True)
class ReportFigures:
    summary: AccountSummary
    tradelines: pd.DataFrame
    tradeline_types: list[str]
    creditors: list[str]
    inquiries: pd.DataFrame
    inquiry_counts: InquiryCounts
    public_records: pd.DataFrame
    history_depth: int  # months of payment history the bureau sent, at most, per account


def report_figures(report: CreditReport, today: date) -> ReportFigures:
    tradelines = tradelines_frame(report)
    return ReportFigures(
        summary=account_summary(report),
        tradelines=tradelines,
        tradeline_types=sorted(tradelines["type"].unique()),
        creditors=sorted(tradelines["creditor"].unique()),
        inquiries=inquiries_frame(report),
        inquiry_counts=inquiry_counts(report, today),
        public_records=public_records_frame(report),
        history_depth=history_depth(report),
    )


@dataclass(frozen=True)
class HistoryFigures:
    history: pd.DataFrame
    chart: alt.Chart | None  # None when there is no history to draw


def history_figures(report: CreditReport, months: int) -> HistoryFigures:
    history = payment_history_frame(report, months)
    return HistoryFigures(history, None if history.empty else payment_history_chart(history))


@dataclass(frozen=True)
class CrosscheckFigures:
    linked: UtilizationTotal | None  # utilization of the linked cards, at today's balances
    frame: pd.DataFrame  # cards; empty when no card is linked
    counts: dict[str, int]  # per result: matched, not linked, not on report
    flagged: pd.DataFrame  # rows whose limit or balance differs
    loans: pd.DataFrame  # student loans and mortgages; empty when no loan is linked
    loan_counts: dict[str, int]
    loans_flagged: pd.DataFrame  # rows whose balance differs


def _counts(frame: pd.DataFrame) -> dict[str, int]:
    return {str(k): int(v) for k, v in frame["status"].value_counts().items()}


def crosscheck_figures(
    report: CreditReport, snap: FinancialSnapshot, today: date
) -> CrosscheckFigures | None:
    """None when no credit card and no loan is linked: nothing to compare the report with."""
    cards = linked_cards(snap)
    loans = linked_loans(snap)
    if not cards and not loans:
        return None
    # A report's loans are listed only beside linked ones: without any, every mortgage on
    # the file would read "not linked" to someone who never meant to link it.
    frame = crosscheck_frame(report.tradelines if cards else (), cards)
    loan_frame = loan_crosscheck_frame(report.tradelines if loans else (), loans)
    return CrosscheckFigures(
        linked=linked_utilization(snap, today),
        frame=frame,
        counts=_counts(frame),
        flagged=frame[frame["limit_flag"] | frame["balance_flag"]],
        loans=loan_frame,
        loan_counts=_counts(loan_frame),
        loans_flagged=loan_frame[loan_frame["balance_flag"]],
    )


@dataclass(frozen=True)
class TransactionCharts:
    by_category: alt.Chart
    top_merchants: alt.Chart
    monthly: alt.Chart
    weekday: alt.Chart
    this_and_last_month: alt.Chart


@dataclass(frozen=True)
class TransactionsView:
    rows: pd.DataFrame  # what the filters let through, every column, newest first
    table: pd.DataFrame  # the same rows, only the columns the table shows (nothing hidden)
    window: pd.DataFrame  # every filter but the dates, back to the start of last month
    end: date  # the last day asked for
    currency: str  # the one the KPIs and charts are in
    comparison: Comparison


def transactions_view(
    frame: pd.DataFrame,
    spec: TransactionFilter,
    history_starts: date,
    currency: str,
    table_columns: Sequence[str],
) -> TransactionsView:
    """The filtered rows and the KPIs against the period before; charts and unusual activity
    are separate (``transaction_charts``, ``unusual_among``): a page draws them only when
    they are looked at."""
    window = apply_filter(frame, comparison_window(spec))
    view = between(window, spec.start, spec.end)
    return TransactionsView(
        rows=view,
        table=view[list(table_columns)],
        window=window,
        end=spec.end,
        currency=currency,
        comparison=compare_with_previous_period(window, spec.start, spec.end, history_starts),
    )


@dataclass(frozen=True)
class TablePage:
    """The part of a view's table that is drawn: its newest ``len(rows)`` rows."""

    rows: pd.DataFrame
    total: int  # rows the filters let through

    @property
    def held_back(self) -> int:
        return self.total - len(self.rows)

    def caption(self) -> str | None:
        """What the table leaves out, in words; None when it shows a single whole page."""
        if self.held_back:
            return f"Showing the newest {len(self.rows):,} of {self.total:,} transactions."
        if self.total > TABLE_PAGE_ROWS:
            return f"Showing all {self.total:,} transactions."
        return None


def table_page(view: TransactionsView, pages: int) -> TablePage:
    """The first ``pages`` pages of the table (``TABLE_PAGE_ROWS`` each). The view keeps the
    snapshot's order (``transactions_frame``: newest first), so they are the newest rows."""
    shown = view.table.head(max(pages, 1) * TABLE_PAGE_ROWS)
    return TablePage(rows=shown, total=len(view.table))


def unusual_among(findings: pd.DataFrame, rows: pd.DataFrame) -> pd.DataFrame:
    """What ``services.analytics.unusual.find_unusual`` found across the history, among these
    rows."""
    shown_ids = set(rows["transaction_id"].tolist())
    return findings[[tid in shown_ids for tid in findings["transaction_id"].tolist()]]


def transaction_charts(view: TransactionsView) -> TransactionCharts | None:
    """None when nothing was spent in the view's currency."""
    rows, currency = view.rows, view.currency
    by_category = spending_by_category(rows, currency)
    if by_category.empty:
        return None
    monthly = monthly_spending_by_category(rows, currency)
    cumulative = cumulative_this_and_last_month(view.window, view.end, currency)
    return TransactionCharts(
        by_category=category_chart(by_category, currency),
        top_merchants=merchants_chart(top_merchants(rows, currency), currency),
        monthly=monthly_trend_chart(monthly, currency),
        weekday=weekday_chart(spending_by_weekday(rows, currency), currency),
        this_and_last_month=cumulative_chart(cumulative, currency),
    )
