"""Transactions: slice two years of history by any filter, see it charted, download exactly
what is shown. The filters live in the URL, so a view can be bookmarked and shared; banks and
accounts are there by opaque id and the search text not at all
(services.analytics.transaction_query)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import altair as alt
import pandas as pd
import streamlit as st

from pages._shared import (
    analyses,
    connected_snapshot,
    csv_download,
    derived,
    draw_chart,
    from_snapshot,
    require_entry,
    shown_table,
    snapshot_key,
)
from services.analytics.income import income_by_month
from services.analytics.recurring import RecurringSummary
from services.analytics.transaction_query import (
    CUSTOM,
    PERIODS,
    QUERY_KEYS,
    RETIRED_KEYS,
    FilterChoice,
    FilterOptions,
    choice_dates,
    from_query,
    notice_text,
    period_dates,
    to_filter,
    to_query,
)
from services.analytics.transactions import Comparison, PeriodFigures, TransactionFilter
from services.analytics.unusual import KIND_LABELS
from services.runtime import state
from services.runtime.settings import current_settings
from services.views.format import day, markdown_money, money, plain
from services.views.page_figures import (
    TABLE_PAGE_ROWS,
    TRANSACTION_EXPORT_COLUMNS,
    TransactionCharts,
    TransactionsView,
    table_page,
    transaction_charts,
    transactions_view,
    unusual_among,
)

TABLE_COLUMNS = {
    "date": st.column_config.DateColumn("Date", format="YYYY-MM-DD"),
    "name": st.column_config.TextColumn("Description"),
    "merchant": st.column_config.TextColumn("Merchant"),
    "amount": st.column_config.NumberColumn(
        "Amount", format="%.2f", help="Positive = money out, in the row's own currency"
    ),
    "currency": st.column_config.TextColumn("Currency"),
    "category": st.column_config.TextColumn("Category"),
    "category_detailed": st.column_config.TextColumn("Detailed category"),
    "pending": st.column_config.CheckboxColumn("Pending"),
    "account": st.column_config.TextColumn("Account"),
    "institution": st.column_config.TextColumn("Institution"),
}
RECURRING_TABLE = {
    "merchant": st.column_config.TextColumn("Merchant"),
    "cadence": st.column_config.TextColumn("Cadence"),
    "typical_amount": st.column_config.NumberColumn("Typical amount", format="%.2f"),
    "currency": st.column_config.TextColumn("Currency"),
    "yearly_cost": st.column_config.NumberColumn("Yearly cost", format="%.2f"),
    "last_date": st.column_config.DateColumn("Last charged", format="YYYY-MM-DD"),
    "next_date": st.column_config.DateColumn("Next expected", format="YYYY-MM-DD"),
    "price_rise": st.column_config.CheckboxColumn("Price rise"),
    "previous_amount": st.column_config.NumberColumn("Was", format="%.2f"),
    "price_rise_since": st.column_config.DateColumn("Risen since", format="YYYY-MM-DD"),
    "amount_varies": st.column_config.CheckboxColumn("Amount varies"),
    "stopped": st.column_config.CheckboxColumn("Stopped"),
    "charges": st.column_config.NumberColumn("Charges"),
    "account": st.column_config.TextColumn("Account"),
    "category": st.column_config.TextColumn("Category"),
}
UNUSUAL_TABLE = {
    "date": st.column_config.DateColumn("Date", format="YYYY-MM-DD"),
    "kind": st.column_config.TextColumn("What"),
    "merchant": st.column_config.TextColumn("Merchant"),
    "amount": st.column_config.NumberColumn("Amount", format="%.2f"),
    "currency": st.column_config.TextColumn("Currency"),
    "usual_amount": st.column_config.NumberColumn("Usual amount", format="%.2f"),
    "compared_with": st.column_config.TextColumn("Usual for"),
    "first_charge_date": st.column_config.DateColumn("Charged before on", format="YYYY-MM-DD"),
    "account": st.column_config.TextColumn("Account"),
}

INCOME_MONTHS_TABLE = {
    "month": st.column_config.DateColumn("Month", format="YYYY-MM"),
    "currency": st.column_config.TextColumn("Currency"),
    "income": st.column_config.NumberColumn("Income", format="%.2f"),
    "payments": st.column_config.NumberColumn("Payments"),
}
INCOME_STREAMS_TABLE = {
    "merchant": st.column_config.TextColumn("Payer"),
    "cadence": st.column_config.TextColumn("Cadence"),
    "typical_amount": st.column_config.NumberColumn("Typical amount", format="%.2f"),
    "currency": st.column_config.TextColumn("Currency"),
    "last_date": st.column_config.DateColumn("Last received", format="YYYY-MM-DD"),
    "last_amount": st.column_config.NumberColumn("Last amount", format="%.2f"),
    "next_date": st.column_config.DateColumn("Next expected", format="YYYY-MM-DD"),
    "status": st.column_config.TextColumn("Status"),
    "source": st.column_config.TextColumn("Source"),
    "account": st.column_config.TextColumn("Account"),
}
SOURCE_LABELS = {"plaid": "Plaid", "detected": "Found by this app"}

TABS = ("Transactions", "Charts", "Recurring payments", "Income", "Unusual activity")
TAB_KEY = "tx_tab"

# Widget keys; the URL parameters are in services.analytics.transaction_query.
PERIOD_KEY, DATES_KEY = "tx_period", "tx_dates"
INSTITUTIONS_KEY, ACCOUNTS_KEY = "tx_institutions", "tx_accounts"
CATEGORIES_KEY, DETAILED_KEY = "tx_categories", "tx_detailed"
MIN_KEY, MAX_KEY, TEXT_KEY = "tx_min", "tx_max", "tx_text"
PENDING_KEY, TRANSFERS_KEY = "tx_pending", "tx_transfers"
WIDGET_KEYS = (
    PERIOD_KEY,
    DATES_KEY,
    INSTITUTIONS_KEY,
    ACCOUNTS_KEY,
    CATEGORIES_KEY,
    DETAILED_KEY,
    MIN_KEY,
    MAX_KEY,
    TEXT_KEY,
    PENDING_KEY,
    TRANSFERS_KEY,
)
URL_WRITTEN = "tx_url_written"  # the parameters this page last put in the URL
LAST_RANGE = "tx_last_range"  # the last complete date range, while a new one is picked
TABLE_PAGES = "tx_table_pages"  # (the filter, how many pages of its table are shown)


# --- the URL and the widgets ----------------------------------------------------------------


def url_parameters() -> dict[str, list[str]]:
    return {key: st.query_params.get_all(key) for key in QUERY_KEYS if key in st.query_params}


def seed_widgets(choice: FilterChoice, today: date, options: FilterOptions) -> None:
    """Put a choice into the widgets (before they are drawn in this run)."""
    start, end = choice_dates(choice, today, options)
    st.session_state[PERIOD_KEY] = choice.period
    st.session_state[DATES_KEY] = (start, end)
    st.session_state[LAST_RANGE] = (start, end)
    st.session_state[INSTITUTIONS_KEY] = list(choice.institutions)
    st.session_state[ACCOUNTS_KEY] = list(choice.accounts)
    st.session_state[CATEGORIES_KEY] = list(choice.categories)
    st.session_state[DETAILED_KEY] = list(choice.detailed)
    st.session_state[MIN_KEY] = choice.min_amount
    st.session_state[MAX_KEY] = choice.max_amount
    st.session_state[TEXT_KEY] = choice.text
    st.session_state[PENDING_KEY] = choice.include_pending
    st.session_state[TRANSFERS_KEY] = choice.include_transfers


def sync_widgets_from_url(today: date, options: FilterOptions) -> tuple[str, ...]:
    """A URL this page did not write (a bookmark, a shared link, a first visit) sets the
    widgets; otherwise the widgets lead. Returns the parameters that were not understood."""
    parameters = url_parameters()
    widgets_missing = any(key not in st.session_state for key in WIDGET_KEYS)
    if parameters == st.session_state.get(URL_WRITTEN) and not widgets_missing:
        return ()
    choice = from_query(parameters, options)
    seed_widgets(choice, today, options)
    return choice.notices


def write_url(choice: FilterChoice, options: FilterOptions) -> None:
    """Mirror the widgets in the URL, touching only this page's parameters."""
    for key in RETIRED_KEYS:  # an old link's search text leaves the address bar
        if key in st.query_params:
            del st.query_params[key]
    wanted = to_query(choice, options)
    current = url_parameters()
    if wanted != current:
        for key in QUERY_KEYS:
            if key in current and key not in wanted:
                del st.query_params[key]
        for key, values in wanted.items():
            if current.get(key) != values:
                st.query_params[key] = values if len(values) > 1 else values[0]
    st.session_state[URL_WRITTEN] = wanted


def _period_picked(today: date, options: FilterOptions) -> None:
    period = st.session_state.get(PERIOD_KEY)
    if period is None:
        st.session_state[PERIOD_KEY] = CUSTOM  # unselecting a quick range keeps its dates
    elif period != CUSTOM:
        st.session_state[DATES_KEY] = period_dates(period, today, options)


def _dates_picked() -> None:
    st.session_state[PERIOD_KEY] = CUSTOM


def _offer_only(key: str, offered: Sequence[str]) -> None:
    """Drop choices no longer offered (e.g. an account of an institution just unselected)."""
    chosen = st.session_state.get(key) or []
    kept = [value for value in chosen if value in offered]
    if kept != chosen:
        st.session_state[key] = kept


def picked_range() -> tuple[date, date]:
    picked = st.session_state.get(DATES_KEY)
    # While a range is being picked the widget holds only its first day: keep the last one.
    if isinstance(picked, tuple | list) and len(picked) == 2:
        st.session_state[LAST_RANGE] = (picked[0], picked[1])
    return st.session_state[LAST_RANGE]


def render_filters(today: date, options: FilterOptions) -> FilterChoice:
    with st.container(border=True):
        period_col, dates_col = st.columns([3, 2])
        period_col.segmented_control(
            "Period",
            list(PERIODS),
            format_func=PERIODS.__getitem__,
            key=PERIOD_KEY,
            on_change=_period_picked,
            args=(today, options),
        )
        dates_col.date_input(
            "Dates",
            min_value=options.first_day,
            max_value=options.last_day,
            key=DATES_KEY,
            on_change=_dates_picked,
        )
        left, middle, right, far_right = st.columns(4)
        institutions = left.multiselect(
            "Institutions", options.institutions, key=INSTITUTIONS_KEY, placeholder="All"
        )
        offered_accounts = options.accounts_at(institutions)
        _offer_only(ACCOUNTS_KEY, offered_accounts)
        accounts = middle.multiselect(
            "Accounts", offered_accounts, key=ACCOUNTS_KEY, placeholder="All"
        )
        categories = right.multiselect(
            "Categories", options.categories, key=CATEGORIES_KEY, placeholder="All"
        )
        offered_detailed = options.detailed_in(categories)
        _offer_only(DETAILED_KEY, offered_detailed)
        detailed = far_right.multiselect(
            "Detailed categories", offered_detailed, key=DETAILED_KEY, placeholder="All"
        )
        text_col, min_col, max_col = st.columns([2, 1, 1])
        text = text_col.text_input("Search description or merchant", key=TEXT_KEY)
        amount_help = "On the amount as shown: positive is money out, negative money in."
        min_amount = min_col.number_input(
            "Amount from", value=None, step=10.0, format="%.2f", key=MIN_KEY, help=amount_help
        )
        max_amount = max_col.number_input(
            "Amount up to", value=None, step=10.0, format="%.2f", key=MAX_KEY, help=amount_help
        )
        pending_col, transfers_col = st.columns(2)
        include_pending = pending_col.toggle("Include pending", key=PENDING_KEY)
        include_transfers = transfers_col.toggle(
            "Include transfers and card payments", key=TRANSFERS_KEY
        )
    start, end = picked_range()
    return FilterChoice(
        period=st.session_state.get(PERIOD_KEY) or CUSTOM,
        start=start,
        end=end,
        institutions=tuple(institutions),
        accounts=tuple(accounts),
        categories=tuple(categories),
        detailed=tuple(detailed),
        min_amount=min_amount,
        max_amount=max_amount,
        text=text,
        include_pending=include_pending,
        include_transfers=include_transfers,
    )


# --- figures --------------------------------------------------------------------------------


def _delta(now: float | None, before: float | None, currency: str) -> str | None:
    if now is None or before is None:
        return None
    return markdown_money(now - before, currency)


def render_kpis(comparison: Comparison, currency: str) -> None:
    now, before = comparison.current, comparison.previous

    def figure(figures: PeriodFigures | None, name: str) -> float | None:
        if figures is None:
            return None
        values: dict[str, float] = getattr(figures, name)
        return values.get(currency, 0.0 if name in ("spending", "income", "net") else None)

    first, second, third = st.columns(3)
    spending, income, net = (figure(now, n) for n in ("spending", "income", "net"))
    first.metric(
        "Spending",
        markdown_money(spending, currency),
        delta=_delta(spending, figure(before, "spending"), currency),
        delta_color="inverse",
    )
    second.metric(
        "Income",
        markdown_money(income, currency),
        delta=_delta(income, figure(before, "income"), currency),
    )
    third.metric(
        "Net", markdown_money(net, currency), delta=_delta(net, figure(before, "net"), currency)
    )
    fourth, fifth, sixth = st.columns(3)
    fourth.metric(
        "Transactions",
        f"{now.count:,}",
        delta=None if before is None else f"{now.count - before.count:+,}",
        delta_color="off",
    )
    average, median = figure(now, "average_purchase"), figure(now, "median_purchase")
    fifth.metric(
        "Average purchase",
        markdown_money(average, currency),
        delta=_delta(average, figure(before, "average_purchase"), currency),
        delta_color="off",
    )
    sixth.metric(
        "Median purchase",
        markdown_money(median, currency),
        delta=_delta(median, figure(before, "median_purchase"), currency),
        delta_color="off",
    )
    if before is None:
        st.caption("The history does not reach back a whole period earlier: no changes shown.")
    else:
        st.caption(
            f"Changes are against {day(comparison.previous_start)} to "
            f"{day(comparison.previous_end)}. Net is income minus spending; transfers and "
            "card payments are in neither. Purchases leave refunds out."
        )
    render_foreign(now, currency)


def render_foreign(figures: PeriodFigures, currency: str) -> None:
    """Other currencies are never added in: they are listed on their own, flagged."""
    for other in figures.currencies():
        if other == currency:
            continue
        spent = plain(money(figures.spending.get(other, 0.0), other))
        earned = plain(money(figures.income.get(other, 0.0), other))
        st.caption(
            f":orange[**{plain(other)}**] (not converted, not in the figures above): "
            f"spending {spent}, income {earned}."
        )


# --- tabs -----------------------------------------------------------------------------------


def pages_shown(spec: TransactionFilter) -> int:
    """How many pages of the table this filter shows: one until "Show more" is clicked, and
    one again for any other filter."""
    held = st.session_state.get(TABLE_PAGES)
    return held[1] if held is not None and held[0] == spec else 1


def _show_more(spec: TransactionFilter) -> None:
    st.session_state[TABLE_PAGES] = (spec, pages_shown(spec) + 1)


def render_table(shown: TransactionsView, spec: TransactionFilter) -> None:
    # Only the columns shown, and only the newest rows, are sent to the browser: on a long
    # view every row and column costs. The CSV is every row the filters let through.
    page = table_page(shown, pages_shown(spec))
    shown_table(page.rows, TABLE_COLUMNS, key="tx_table")
    caption = page.caption()
    if caption:
        st.caption(caption)
    if page.held_back:
        st.button(
            f"Show {min(page.held_back, TABLE_PAGE_ROWS):,} more",
            key="tx_table_more",
            on_click=_show_more,
            args=(spec,),
            icon=":material/expand_more:",
        )
    csv_download(shown.rows, "transactions.csv", key="tx_csv", columns=TRANSACTION_EXPORT_COLUMNS)


def _chart(title: str, chart: alt.Chart | alt.LayerChart) -> None:
    st.markdown(f"**{title}**")
    draw_chart(chart, width="stretch")


def render_charts(charts: TransactionCharts | None, currency: str) -> None:
    if charts is None:
        st.info(f"No spending in {plain(currency)} among these transactions to chart.")
        return
    st.caption(f"Spending in {plain(currency)}; refunds reduce their category.")
    left, right = st.columns(2)
    with left:
        _chart("Spending by category", charts.by_category)
    with right:
        _chart("Top merchants", charts.top_merchants)
    _chart("Monthly spending by category", charts.monthly)
    left, right = st.columns(2)
    with left:
        _chart("Spending by weekday", charts.weekday)
    with right:
        _chart("This month against last month", charts.this_and_last_month)


def render_recurring(streams: pd.DataFrame, summary: RecurringSummary) -> None:
    st.caption(
        "Charges to the same merchant at a regular cadence (weekly, every two weeks, monthly "
        "or yearly), found across your whole history: the filters above do not apply."
    )
    if streams.empty:
        st.info("No recurring payments found.")
        return
    if summary.yearly:
        columns = st.columns(len(summary.yearly))
        for column, (currency, total) in zip(columns, summary.yearly.items(), strict=True):
            label = f"Recurring payments a year ({plain(currency)})"
            column.metric(label, markdown_money(total, currency))
    st.caption(f"{summary.running} running, {summary.stopped} stopped.")
    for rise in summary.latest_rises:
        st.warning(
            f"**{plain(rise.merchant)}** went up from "
            f"{plain(money(rise.previous_amount, rise.currency))} to "
            f"{plain(money(rise.last_amount, rise.currency))} "
            f"on {day(rise.since)}.",
            icon=":material/trending_up:",
        )
    if summary.earlier_rises:
        st.caption(f"{summary.earlier_rises} earlier price rises: see the Price rise column.")
    shown_table(streams, RECURRING_TABLE, key="tx_recurring")
    csv_download(streams, "recurring.csv", key="tx_recurring_csv")


def render_income(months: pd.DataFrame, streams: pd.DataFrame) -> None:
    st.caption(
        "Money received under an income category (wages, interest, benefits, tax refunds), "
        "per month and currency, across your whole history: the filters above do not apply. "
        "Transfers from your own accounts, refunds and card payments are not income."
    )
    if months.empty:
        st.info("No income found in these transactions.")
    else:
        currencies = sorted(months["currency"].unique())
        if len(currencies) > 1:
            picked = st.multiselect(
                "Currencies", currencies, default=currencies, key="tx_income_currencies"
            )
            months = months[months["currency"].isin(picked)]
        shown_table(months, INCOME_MONTHS_TABLE, key="tx_income_months")
        csv_download(months, "income_by_month.csv", key="tx_income_months_csv")
    st.markdown("**Income that repeats**")
    if streams.empty:
        st.info("No regular income found yet (it takes a few paychecks).")
        return
    st.caption(
        "Paychecks and other income at a regular cadence: Plaid's own streams where your bank "
        "shares them, otherwise found by this app in your transactions. A tax refund is "
        "income, but not a pattern to plan on."
    )
    table = streams.assign(
        status=streams["stopped"].map({True: "Stopped", False: "Running"}),
        source=streams["source"].map(SOURCE_LABELS),
    )
    shown_table(table, INCOME_STREAMS_TABLE, key="tx_income_streams")
    csv_download(
        table, "income_streams.csv", key="tx_income_streams_csv", columns=list(INCOME_STREAMS_TABLE)
    )


def render_unusual(shown: pd.DataFrame) -> None:
    st.caption(
        "Among the transactions shown: charges far above the usual amount at that merchant "
        "(or of that kind), large first charges at a new merchant, and the same amount at the "
        "same merchant twice within two days. Charges refunded later are left out."
    )
    if shown.empty:
        st.info("Nothing unusual among these transactions.")
        return
    table = shown.assign(kind=shown["kind"].map(KIND_LABELS))
    shown_table(table, UNUSUAL_TABLE, key="tx_unusual")
    csv_download(shown, "unusual.csv", key="tx_unusual_csv")


# --- the page -------------------------------------------------------------------------------


def render() -> None:
    require_entry()
    st.title("Transactions")
    snap = connected_snapshot("accounts")
    if snap is None:
        return
    frame = snap.transactions
    if frame.empty:
        st.info("No transactions to show yet.")
        return
    today = state.today(current_settings())
    known = analyses(snap, today)
    options = known.options
    rejected = sync_widgets_from_url(today, options)
    if rejected:
        st.warning(notice_text(rejected), icon=":material/link_off:")
    choice = render_filters(today, options)
    write_url(choice, options)
    spec = to_filter(choice, today, options)

    key = (snapshot_key(snap), today, spec)

    def view() -> TransactionsView:
        return transactions_view(
            frame, spec, options.first_day, known.currency, list(TABLE_COLUMNS)
        )

    # What everyone opens first, the default filters, is the same for every session on the
    # same fetch: shared like the overview's figures. Any other filter is this session's own.
    default = spec == to_filter(FilterChoice(), today, options)
    shown = derived(
        "transactions",
        key,
        (lambda: from_snapshot("transactions", snap, today, view)) if default else view,
    )
    render_kpis(shown.comparison, shown.currency)

    # Only the open tab is computed and drawn: a filter change costs the table, not five
    # charts nobody is looking at. Switching tabs reruns the page (figures kept, not redone).
    table_tab, charts_tab, recurring_tab, income_tab, unusual_tab = st.tabs(
        list(TABS), key=TAB_KEY, on_change="rerun"
    )
    if table_tab.open:
        with table_tab:
            render_table(shown, spec)
    if charts_tab.open:
        with charts_tab:
            charts = derived("transactions_charts", key, lambda: transaction_charts(shown))
            render_charts(charts, shown.currency)
    if recurring_tab.open:
        with recurring_tab:
            render_recurring(known.streams, known.recurring)
    if income_tab.open:
        with income_tab:
            months = derived(
                "transactions_income", snapshot_key(snap), lambda: income_by_month(frame)
            )
            render_income(months, known.income_streams)
    if unusual_tab.open:
        with unusual_tab:
            unusual = derived(
                "transactions_unusual", key, lambda: unusual_among(known.findings, shown.rows)
            )
            render_unusual(unusual)


render()
