"""Credit report: the score and why, the accounts on file, inquiries and public records."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from integrations.models import CreditReport, RiskScore
from pages._shared import csv_download, nothing_connected
from services import session
from services.credit import hard_inquiry_expiry, tradelines_frame
from services.format import day, money, plain
from services.privacy import mask_name, mask_street, mask_zip
from services.settings import current_settings

TRADELINE_COLUMNS = {
    "creditor": st.column_config.TextColumn("Creditor"),
    "account_number": st.column_config.TextColumn("Account"),
    "type": st.column_config.TextColumn("Type"),
    "kind": st.column_config.TextColumn("Kind"),
    "status": st.column_config.TextColumn("Status"),
    "open": st.column_config.CheckboxColumn("Open"),
    "opened": st.column_config.DateColumn("Opened", format="MMM YYYY"),
    "balance": st.column_config.NumberColumn("Balance", format="%.0f"),
    "credit_limit": st.column_config.NumberColumn("Limit", format="%.0f"),
    "original_amount": st.column_config.NumberColumn("Original amount", format="%.0f"),
    "monthly_payment": st.column_config.NumberColumn("Monthly payment", format="%.0f"),
    "late_30": st.column_config.NumberColumn("30 days late"),
    "late_60": st.column_config.NumberColumn("60 days late"),
    "late_90_plus": st.column_config.NumberColumn("90+ days late"),
}


def render_score(score: RiskScore | None, report: CreditReport) -> None:
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
        if score.percentile is not None:
            st.caption(f"Higher than about {score.percentile}% of consumers.")
        st.caption(f"Report of {day(report.report_date)}")
    with right:
        st.markdown("**What affects this score most**")
        if not score.factors:
            st.caption("No score factors reported.")
        for rank, factor in enumerate(score.factors, start=1):
            st.markdown(f"{rank}\\. {plain(factor.description)}")


def render_summary(tradelines: pd.DataFrame) -> None:
    open_lines = tradelines[tradelines["open"]]
    revolving = open_lines[open_lines["kind"] == "revolving"]
    limit = revolving["credit_limit"].sum()
    cols = st.columns(4)
    cols[0].metric("Open accounts", f"{len(open_lines)}", help=f"{len(tradelines)} on file in all")
    cols[1].metric("Revolving balances", money(revolving["balance"].sum()))
    cols[2].metric(
        "Utilization on file",
        f"{revolving['balance'].sum() / limit:.0%}" if limit > 0 else "—",
        help="Revolving balances over revolving limits, as the bureau reports them.",
    )
    installment = open_lines[open_lines["kind"] == "installment"]
    cols[3].metric("Installment balances", money(installment["balance"].sum()))


def render_tradelines(tradelines: pd.DataFrame) -> None:
    left, middle, right = st.columns([1, 2, 2])
    status = left.radio("Status", ["All", "Open", "Closed"], horizontal=True, key="tl_status")
    kinds = middle.multiselect(
        "Kind", sorted(tradelines["kind"].unique()), key="tl_kind", placeholder="All"
    )
    creditor = right.text_input("Creditor contains", key="tl_creditor")
    shown = tradelines
    if status != "All":
        shown = shown[shown["open"] == (status == "Open")]
    if kinds:
        shown = shown[shown["kind"].isin(kinds)]
    if creditor.strip():
        shown = shown[shown["creditor"].str.contains(creditor.strip(), case=False, regex=False)]
    st.dataframe(
        shown,
        hide_index=True,
        column_order=list(TRADELINE_COLUMNS),
        column_config=TRADELINE_COLUMNS,
        key="tl_table",
    )
    csv_download(shown, "tradelines.csv", key="tl_csv")


def render_inquiries(report: CreditReport) -> None:
    frame = pd.DataFrame(
        [
            {
                "date": i.date,
                "company": i.subscriber_name,
                "business": i.kind_of_business,
                "kind": i.kind,
                "stops_counting": hard_inquiry_expiry(i) if i.kind == "hard" else None,
            }
            for i in report.inquiries
        ],
        columns=["date", "company", "business", "kind", "stops_counting"],
    )
    st.caption("Hard inquiries (credit applications) can lower a score and stay for 24 months.")
    st.dataframe(
        frame,
        hide_index=True,
        column_config={
            "date": st.column_config.DateColumn("Date"),
            "company": "Company",
            "business": "Business",
            "kind": "Hard or soft",
            "stops_counting": st.column_config.DateColumn("Drops off"),
        },
        key="inq_table",
    )
    csv_download(frame, "inquiries.csv", key="inq_csv")


def render_public_records(report: CreditReport) -> None:
    if not report.public_records:
        st.success("No public records on file.")
        return
    frame = pd.DataFrame(
        [
            {
                "filed": r.filing_date,
                "court": r.court_name,
                "status": r.status,
                "status_date": r.status_date,
                "amount": r.amount,
                "plaintiff": r.plaintiff,
            }
            for r in report.public_records
        ]
    )
    st.dataframe(frame, hide_index=True, key="pr_table")
    csv_download(frame, "public_records.csv", key="pr_csv")


def render_identity(report: CreditReport) -> None:
    identity = report.identity
    st.caption("Shown masked. Check that every name and address is yours.")
    for name in identity.names:
        st.text(f"Name: {mask_name(name)}")
    for address in identity.addresses:
        st.text(
            f"Address: {mask_street(address.street)}, {address.city} {address.state} "
            f"{mask_zip(address.zip_code)} (last updated {day(address.last_updated)})"
        )
    for employer in identity.employers:
        st.text(f"Employer: {employer}")
    for message in report.messages:
        st.text(f"Bureau message: {message}")


def render() -> None:
    st.title("Credit report")
    settings = current_settings()
    report = session.credit_report(settings)
    if report is None:
        nothing_connected("credit report")
        return
    render_score(report.primary_score, report)
    tradelines = tradelines_frame(report)
    render_summary(tradelines)
    accounts, inquiries, records, personal = st.tabs(
        ["Accounts", "Inquiries", "Public records", "Personal information"]
    )
    with accounts:
        render_tradelines(tradelines)
    with inquiries:
        render_inquiries(report)
    with records:
        render_public_records(report)
    with personal:
        render_identity(report)


render()
