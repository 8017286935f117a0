"""Credit report: the score and why, the accounts on file, their payment history, inquiries,
public records, personal information, and a cross-check against the linked cards.

Everything from the bureau is shown as text: `plain()` wherever an element renders Markdown;
tables, `st.text` and charts show text as it is.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

from integrations.models import CreditReport, RiskScore
from pages._shared import (
    credit_report,
    csv_download,
    derived,
    draw_chart,
    render_credit_status,
    require_entry,
    shown_table,
    snapshot,
    snapshot_key,
)
from services.analytics.cards import UtilizationTotal
from services.analytics.credit import (
    FULL_HISTORY_MONTHS,
    RECENT_HISTORY_MONTHS,
    AccountSummary,
    TradelineStatus,
    filter_tradelines,
)
from services.analytics.credit_score import band_explanation, factor_meaning
from services.analytics.crosscheck import BALANCE_TOLERANCE_AMOUNT, BALANCE_TOLERANCE_SHARE
from services.analytics.snapshot import FinancialSnapshot
from services.runtime import credit_file, state
from services.runtime.settings import Settings, current_settings
from services.views.format import day, money, percent, plain
from services.views.page_figures import (
    CrosscheckFigures,
    ReportFigures,
    crosscheck_figures,
    history_figures,
    report_figures,
)
from services.views.privacy import mask_name, masked_address

TRADELINE_COLUMNS = {
    "creditor": st.column_config.TextColumn("Creditor"),
    "account_number": st.column_config.TextColumn("Account"),
    "type": st.column_config.TextColumn("Type"),
    "kind": st.column_config.TextColumn("Kind"),
    "status": st.column_config.TextColumn("Status"),
    "open": st.column_config.CheckboxColumn("Open"),
    "opened": st.column_config.DateColumn("Opened", format="MMM YYYY"),
    "balance": st.column_config.NumberColumn("Balance", format="dollar"),
    "credit_limit": st.column_config.NumberColumn("Limit", format="dollar"),
    "original_amount": st.column_config.NumberColumn("Original amount", format="dollar"),
    "monthly_payment": st.column_config.NumberColumn("Monthly payment", format="dollar"),
    "balance_date": st.column_config.DateColumn("Balance as of"),
    "late_30": st.column_config.NumberColumn("30 days late"),
    "late_60": st.column_config.NumberColumn("60 days late"),
    "late_90_plus": st.column_config.NumberColumn("90+ days late"),
}

CROSSCHECK_COLUMNS = {
    "status": st.column_config.TextColumn("Result"),
    "matched_by": st.column_config.TextColumn("Matched by"),
    "creditor": st.column_config.TextColumn("On the report"),
    "report_account": st.column_config.TextColumn("Report account"),
    "institution": st.column_config.TextColumn("Bank"),
    "bank_card": st.column_config.TextColumn("Linked card"),
    "bank_account": st.column_config.TextColumn("Card"),
    "report_limit": st.column_config.NumberColumn("Limit (report)", format="dollar"),
    "bank_limit": st.column_config.NumberColumn("Limit (bank)", format="dollar"),
    "limit_difference": st.column_config.NumberColumn("Limit difference", format="dollar"),
    "limit_difference_pct": st.column_config.NumberColumn("Limit diff. %", format="percent"),
    "limit_flag": st.column_config.CheckboxColumn("Limit differs"),
    "report_balance": st.column_config.NumberColumn("Balance (report)", format="dollar"),
    "report_balance_date": st.column_config.DateColumn("Report balance as of"),
    "bank_balance": st.column_config.NumberColumn("Balance (bank)", format="dollar"),
    "bank_balance_basis": st.column_config.TextColumn("Bank balance is"),
    "bank_balance_date": st.column_config.DateColumn("Statement of"),
    "balance_difference": st.column_config.NumberColumn("Balance difference", format="dollar"),
    "balance_difference_pct": st.column_config.NumberColumn("Balance diff. %", format="percent"),
    "balance_flag": st.column_config.CheckboxColumn("Balance differs"),
    "note": st.column_config.TextColumn("Note", width="large"),
}

LOAN_CROSSCHECK_COLUMNS = {
    "status": st.column_config.TextColumn("Result"),
    "matched_by": st.column_config.TextColumn("Matched by"),
    "creditor": st.column_config.TextColumn("On the report"),
    "report_account": st.column_config.TextColumn("Report account"),
    "report_type": st.column_config.TextColumn("Report type"),
    "institution": st.column_config.TextColumn("Bank"),
    "bank_loan": st.column_config.TextColumn("Linked loan"),
    "bank_account": st.column_config.TextColumn("Loan"),
    "kind": st.column_config.TextColumn("Kind"),
    "report_balance": st.column_config.NumberColumn("Balance (report)", format="dollar"),
    "report_balance_date": st.column_config.DateColumn("Report balance as of"),
    "bank_balance": st.column_config.NumberColumn("Balance (bank, today)", format="dollar"),
    "balance_difference": st.column_config.NumberColumn("Balance difference", format="dollar"),
    "balance_difference_pct": st.column_config.NumberColumn("Balance diff. %", format="percent"),
    "balance_flag": st.column_config.CheckboxColumn("Balance differs"),
    "report_monthly_payment": st.column_config.NumberColumn(
        "Monthly payment (report)", format="dollar"
    ),
    "bank_payment": st.column_config.NumberColumn("Next payment (bank)", format="dollar"),
    "note": st.column_config.TextColumn("Note", width="large"),
}

HISTORY_WINDOWS = {
    RECENT_HISTORY_MONTHS: "Last 24 months",
    FULL_HISTORY_MONTHS: "Full history (up to 84 months)",
}
STATUS_FILTERS: dict[str, TradelineStatus] = {"All": "all", "Open": "open", "Closed": "closed"}


# --- Score ---------------------------------------------------------------------------------


def render_score(report: CreditReport) -> None:
    score = report.primary_score
    if score is None:
        st.info("This report carries no score.")
        return
    left, right = st.columns([1, 2])
    with left:
        st.metric("Credit score", "—" if score.score is None else str(score.score))
        st.caption(
            f"{plain(score.model_name)}, range {score.min_score}–{score.max_score}: "
            f"**{plain(score.band)}**"
        )
        st.caption(plain(band_explanation(score)))
        if score.percentile is not None:
            st.caption(f"Higher than about {score.percentile}% of consumers.")
        for other in report.scores[1:]:
            st.caption(f"Also on file: {plain(other.model_name)} {other.score or '—'}")
    with right:
        render_factors(score)


def render_factors(score: RiskScore) -> None:
    st.markdown("**What affects this score most**")
    if not score.factors:
        st.caption("No score factors reported.")
    for rank, factor in enumerate(score.factors, start=1):
        st.markdown(f"{rank}\\. {plain(factor.description)}")
        st.caption(factor_meaning(factor.description))


# --- Account summary -------------------------------------------------------------------------


def render_summary(summary: AccountSummary) -> None:
    counts = st.columns(4)
    counts[0].metric(
        "Open accounts", str(summary.open_accounts), help=f"{summary.accounts} on file in all"
    )
    counts[1].metric("Closed accounts", str(summary.closed_accounts))
    counts[2].metric("Open revolving", str(summary.open_revolving), help="Cards and credit lines")
    counts[3].metric("Open installment", str(summary.open_installment), help="Loans")
    totals = st.columns(4)
    totals[0].metric("Revolving balances", money(summary.revolving_balance))
    totals[1].metric("Revolving limits", money(summary.revolving_limit))
    totals[2].metric(
        "Utilization on file",
        percent(summary.revolving_utilization),
        help="Balances over limits of the open revolving accounts that report a limit, "
        "as the bureau has them.",
    )
    totals[3].metric(
        "Installment balances",
        money(summary.installment_balance),
        help=f"Borrowed originally: {money(summary.installment_original)}",
    )
    st.caption(f"Balances on all open accounts: {money(summary.total_balance)}.")


# --- Accounts --------------------------------------------------------------------------------


def render_tradelines(figures: ReportFigures) -> None:
    tradelines = figures.tradelines
    left, middle, right = st.columns([1, 2, 2])
    status = left.radio("Status", list(STATUS_FILTERS), horizontal=True, key="tl_status")
    types = middle.multiselect(
        "Type", figures.tradeline_types, key="tl_type", placeholder="All types"
    )
    creditors = right.multiselect(
        "Creditor", figures.creditors, key="tl_creditor", placeholder="All creditors"
    )
    shown = filter_tradelines(tradelines, STATUS_FILTERS[status], types, creditors)
    st.caption(f"{len(shown)} of {len(tradelines)} accounts.")
    shown_table(shown, TRADELINE_COLUMNS, key="tl_table")
    csv_download(shown, "tradelines.csv", key="tl_csv")


# --- Payment history -------------------------------------------------------------------------


def render_payment_history(report: CreditReport, depth: int) -> None:
    months = st.radio(
        "Months shown",
        list(HISTORY_WINDOWS),
        format_func=HISTORY_WINDOWS.get,
        horizontal=True,
        key="ph_months",
    )
    shown = derived("credit_history", (report, months), lambda: history_figures(report, months))
    history = shown.history
    if shown.chart is None:
        st.info("No payment history on file.")
        return
    draw_chart(shown.chart, key="ph_chart")
    if months > depth:
        st.caption(f"The bureau sent at most {depth} months of history per account.")
    st.caption("Blank cells: months before an account opened or after it stopped reporting.")
    csv_download(history, "payment_history.csv", key="ph_csv")


# --- Inquiries and public records ------------------------------------------------------------


def render_inquiries(figures: ReportFigures) -> None:
    counts = figures.inquiry_counts
    cols = st.columns(3)
    cols[0].metric("Hard inquiries", str(counts.hard), help="Credit applications")
    cols[1].metric("Soft inquiries", str(counts.soft), help="Promotional and account reviews")
    cols[2].metric("Hard inquiries still counting", str(counts.hard_still_counting))
    st.caption(
        "A hard inquiry (a credit application) can lower a score and stays on the report for "
        "24 months; soft inquiries never affect a score."
        + (f" Next to drop off: {day(counts.next_drop_off)}." if counts.next_drop_off else "")
    )
    frame = figures.inquiries
    st.dataframe(
        frame,
        hide_index=True,
        column_config={
            "date": st.column_config.DateColumn("Date"),
            "company": "Company",
            "business": "Business",
            "purpose": "Purpose",
            "kind": "Hard or soft",
            "stops_counting": st.column_config.DateColumn("Stops counting"),
        },
        key="inq_table",
    )
    csv_download(frame, "inquiries.csv", key="inq_csv")


def render_public_records(frame: pd.DataFrame) -> None:
    if frame.empty:
        st.success("No public records on file.")
        return
    st.dataframe(
        frame,
        hide_index=True,
        column_config={
            "filed": st.column_config.DateColumn("Filed"),
            "court": "Court",
            "status": "Status",
            "status_date": st.column_config.DateColumn("Status date"),
            "amount": st.column_config.NumberColumn("Amount", format="dollar"),
            "plaintiff": "Plaintiff",
        },
        key="pr_table",
    )
    st.caption(
        "Most negative items leave the report after about 7 years; a bankruptcy after up to 10."
    )
    csv_download(frame, "public_records.csv", key="pr_csv")


# --- Personal information --------------------------------------------------------------------


def render_identity(report: CreditReport) -> None:
    identity = report.identity
    st.caption("Shown masked. Check that every name and address is yours.")
    if not (identity.names or identity.addresses or identity.employers):
        st.text("No personal information in this report.")
    for name in identity.names:
        st.text(f"Name: {mask_name(name)}")
    for a in identity.addresses:
        st.text(
            f"Address: {masked_address(a.street, a.city, a.state, a.zip_code)} "
            f"(last updated {day(a.last_updated)})"
        )
    for employer in identity.employers:
        st.text(f"Employer: {employer}")
    st.markdown("**Messages from the bureau**")
    if not report.messages:
        st.text("None.")
    for message in report.messages:
        st.text(message)


# --- Cross-check with the linked cards ------------------------------------------------------


def render_utilization_comparison(summary: AccountSummary, linked: UtilizationTotal | None) -> None:
    left, right = st.columns(2)
    left.metric("Utilization on file", percent(summary.revolving_utilization))
    gap = (
        None
        if linked is None or linked.utilization is None or summary.revolving_utilization is None
        else linked.utilization - summary.revolving_utilization
    )
    right.metric(
        "Utilization from linked cards",
        percent(linked.utilization if linked else None),
        delta=None if gap is None else f"{gap * 100:+.0f} points vs on file",
        delta_color="inverse",
    )
    if linked is not None:
        st.caption(
            f"On file: {money(summary.revolving_balance_with_limit)} of "
            f"{money(summary.revolving_limit)} "
            "across open revolving accounts with a limit. "
            f"Linked: {money(linked.owed_with_limit)} of "
            f"{money(linked.limit)} across {linked.cards_counted} card(s) with a limit, at "
            "today's balances. Scores use the bureau's figure."
        )


def render_flags(flagged: pd.DataFrame) -> None:
    for row in flagged.itertuples(index=False):
        parts = []
        if row.limit_flag:
            parts.append(
                f"limit {money(row.report_limit)} on the report vs {money(row.bank_limit)} at "
                f"the bank ({percent(row.limit_difference_pct, 1)})"
            )
        if row.balance_flag:
            parts.append(
                f"balance {money(row.report_balance)} on the report vs "
                f"{money(row.bank_balance)} at the bank ({percent(row.balance_difference_pct)})"
            )
        st.warning(f"**{plain(row.creditor)} {plain(row.report_account)}**: {'; '.join(parts)}.")


def render_card_crosscheck(
    figures: CrosscheckFigures, summary: AccountSummary, snap: FinancialSnapshot
) -> None:
    render_utilization_comparison(summary, figures.linked)
    frame, counts = figures.frame, figures.counts
    cols = st.columns(3)
    cols[0].metric("Cards matched", str(counts.get("matched", 0)))
    cols[1].metric("On the report, not linked", str(counts.get("not linked", 0)))
    cols[2].metric("Linked, not on the report", str(counts.get("not on report", 0)))
    st.caption(
        "Issuers send balances to the bureau once a month, usually at statement time, so the "
        "report lags the bank and small differences are normal. The bank's last statement "
        "balance is compared when known. Flagged: a limit that differs at all, a balance that "
        f"differs by more than {money(BALANCE_TOLERANCE_AMOUNT)} and "
        f"{percent(BALANCE_TOLERANCE_SHARE)}."
    )
    if snap.problems:
        st.caption("Some bank connections could not be refreshed: their cards may be missing.")
    render_flags(figures.flagged)
    shown_table(frame, CROSSCHECK_COLUMNS, key="xc_table")
    csv_download(frame, "crosscheck.csv", key="xc_csv")


def render_loan_crosscheck(figures: CrosscheckFigures) -> None:
    st.subheader("Loans")
    frame, counts = figures.loans, figures.loan_counts
    cols = st.columns(3)
    cols[0].metric("Loans matched", str(counts.get("matched", 0)))
    cols[1].metric("Loans on the report, not linked", str(counts.get("not linked", 0)))
    cols[2].metric("Loans linked, not on the report", str(counts.get("not on report", 0)))
    st.caption(
        "Student loans and mortgages linked at a bank, set against the report's education "
        "loans and real estate mortgages. Lenders report monthly and the bank's balance is "
        "today's, interest included, so a month's payment or interest is a normal difference. "
        f"Flagged: a balance that differs by more than {money(BALANCE_TOLERANCE_AMOUNT)} and "
        f"{percent(BALANCE_TOLERANCE_SHARE)}."
    )
    for row in figures.loans_flagged.itertuples(index=False):
        st.warning(
            f"**{plain(row.creditor)} {plain(row.report_account)}**: balance "
            f"{money(row.report_balance)} on the report vs {money(row.bank_balance)} at the "
            f"bank ({percent(row.balance_difference_pct)})."
        )
    shown_table(frame, LOAN_CROSSCHECK_COLUMNS, key="xc_loans_table")
    csv_download(frame, "crosscheck_loans.csv", key="xc_loans_csv")


def render_crosscheck(
    report: CreditReport, summary: AccountSummary, snap: FinancialSnapshot | None, today: date
) -> None:
    figures = None
    if snap is not None:
        key = (report, snapshot_key(snap), today)
        figures = derived("crosscheck", key, lambda: crosscheck_figures(report, snap, today))
    if snap is None or figures is None:
        st.info("Link a credit card or a loan on the Setup page to compare it with the report.")
        return
    if figures.frame.empty:
        st.info("No credit card is linked: link one on the Setup page to compare it.")
    else:
        render_card_crosscheck(figures, summary, snap)
    if not figures.loans.empty:
        render_loan_crosscheck(figures)


def render_new_pull(settings: Settings) -> None:
    """Each pull is billed and needs its own instruction: the report is reused until the
    cache lets go of it, and a newer one is pulled only from here, with consent given again."""
    if not credit_file.new_pull_needs_consent():
        return
    with st.expander("Pull a new report"), st.form("new_pull"):
        agreed = st.checkbox(credit_file.consent_statement(), key="new_pull_consent")
        submitted = st.form_submit_button("Pull a new report")
    if submitted and not agreed:
        st.error("Your consent is needed before a new report can be pulled.")
    elif submitted:
        credit_file.give_consent(settings)
        st.rerun()


def render() -> None:
    require_entry()
    st.title("Credit report")
    settings = current_settings()
    report = credit_report(settings)
    # After the pull: it is what records a failed pull for the status line to show.
    render_credit_status(settings)
    render_new_pull(settings)
    if report is None:
        return  # the status line has said what is missing or what went wrong
    today = state.today(settings)
    st.caption(f"Experian report of {day(report.report_date)}, as the bureau reports it.")
    render_score(report)
    figures = derived("credit_report", (report, today), lambda: report_figures(report, today))
    summary = figures.summary
    render_summary(summary)
    tabs = st.tabs(
        [
            "Accounts",
            "Payment history",
            "Inquiries",
            "Public records",
            "Cross-check with your banks",
            "Personal information",
        ]
    )
    with tabs[0]:
        render_tradelines(figures)
    with tabs[1]:
        render_payment_history(report, figures.history_depth)
    with tabs[2]:
        render_inquiries(figures)
    with tabs[3]:
        render_public_records(figures.public_records)
    with tabs[4]:
        render_crosscheck(report, summary, snapshot(settings), today)
    with tabs[5]:
        render_identity(report)


render()
