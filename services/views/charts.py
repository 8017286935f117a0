"""Altair chart specifications for the pages (no Streamlit: a page passes them to
``st.altair_chart``). Each takes an aggregate already computed in ``services`` and only
decides how it looks; upstream names are data here, never markup."""

from __future__ import annotations

import altair as alt
import pandas as pd

from services.analytics.cards import BANDS, UTILIZATION_THRESHOLDS
from services.views.format import card_label

_MONEY_AXIS = alt.Axis(format=",.0f")


def _money_title(currency: str) -> str:
    return f"Spending ({currency})"


def utilization_data(cards: pd.DataFrame) -> pd.DataFrame:
    """One row per card whose limit is known: its label and utilization."""
    known = cards[cards["utilization"].notna()]
    labels = [card_label(c, m) for c, m in zip(known["card"], known["mask"], strict=True)]
    return pd.DataFrame({"card": labels, "utilization": known["utilization"].to_numpy()})


def utilization_chart(cards: pd.DataFrame) -> alt.LayerChart:
    """A bar per card coloured by band, with the 10%, 30% and 50% break points marked."""
    bars = (
        alt.Chart(utilization_data(cards))
        .mark_bar()
        .encode(
            x=alt.X(
                "utilization:Q",
                axis=alt.Axis(format="%"),
                title="Utilization",
                scale=alt.Scale(domainMin=0),
            ),
            y=alt.Y("card:N", title=None, sort="-x"),
            color=alt.Color(
                "utilization:Q",
                scale=alt.Scale(
                    type="threshold",
                    domain=list(UTILIZATION_THRESHOLDS),
                    range=[band.colour for band in BANDS],
                ),
                legend=None,
            ),
            tooltip=[alt.Tooltip("card:N"), alt.Tooltip("utilization:Q", format=".1%")],
        )
    )
    marks = pd.DataFrame({"threshold": list(UTILIZATION_THRESHOLDS)})
    rules = alt.Chart(marks).mark_rule(strokeDash=[4, 4]).encode(x="threshold:Q")
    return bars + rules


def category_chart(data: pd.DataFrame, currency: str) -> alt.Chart:
    return (
        alt.Chart(data)
        .mark_bar()
        .encode(
            x=alt.X("spending:Q", title=_money_title(currency), axis=_MONEY_AXIS),
            y=alt.Y("category:N", title=None, sort="-x"),
            tooltip=[alt.Tooltip("category:N"), alt.Tooltip("spending:Q", format=",.2f")],
        )
    )


def monthly_trend_chart(data: pd.DataFrame, currency: str) -> alt.Chart:
    return (
        alt.Chart(data)
        .mark_bar()
        .encode(
            x=alt.X("yearmonth(month):T", title=None),
            y=alt.Y("sum(spending):Q", title=_money_title(currency), axis=_MONEY_AXIS),
            color=alt.Color("category:N", title="Category"),
            tooltip=[
                alt.Tooltip("yearmonth(month):T", title="Month"),
                alt.Tooltip("category:N"),
                alt.Tooltip("sum(spending):Q", format=",.2f", title="Spending"),
            ],
        )
    )


def merchants_chart(data: pd.DataFrame, currency: str) -> alt.Chart:
    return (
        alt.Chart(data)
        .mark_bar()
        .encode(
            x=alt.X("spending:Q", title=_money_title(currency), axis=_MONEY_AXIS),
            y=alt.Y("merchant:N", title=None, sort="-x"),
            tooltip=[
                alt.Tooltip("merchant:N"),
                alt.Tooltip("spending:Q", format=",.2f"),
                alt.Tooltip("transactions:Q"),
            ],
        )
    )


def weekday_chart(data: pd.DataFrame, currency: str) -> alt.Chart:
    return (
        alt.Chart(data)
        .mark_bar()
        .encode(
            x=alt.X("weekday:N", title=None, sort=list(data["weekday"])),
            y=alt.Y("spending:Q", title=_money_title(currency), axis=_MONEY_AXIS),
            tooltip=[alt.Tooltip("weekday:N"), alt.Tooltip("spending:Q", format=",.2f")],
        )
    )


def cumulative_chart(data: pd.DataFrame, currency: str) -> alt.Chart:
    return (
        alt.Chart(data)
        .mark_line(point=True)
        .encode(
            x=alt.X("day:Q", title="Day of the month", scale=alt.Scale(domain=[1, 31])),
            y=alt.Y("spending:Q", title=f"Spent so far ({currency})", axis=_MONEY_AXIS),
            color=alt.Color("month:N", title=None, sort=list(dict.fromkeys(data["month"]))),
            tooltip=[
                alt.Tooltip("month:N"),
                alt.Tooltip("day:Q"),
                alt.Tooltip("spending:Q", format=",.2f"),
            ],
        )
    )


# Our own kind names (services.analytics.bills_ahead.KIND_LABELS), each its own colour.
BILL_KINDS = {
    "Income": "#2e7d32",
    "Card payment": "#c62828",
    "Loan payment": "#6a1b9a",
    "Bill": "#1565c0",
}


# Both charts' money axes take the same room, so their days line up one above the other.
_BILLS_MONEY_AXIS = alt.Axis(format=",.0f", minExtent=64)


def _days_axis(days: pd.DataFrame) -> alt.X:
    """The horizon's days, the same on both of Bills ahead's charts so they line up."""
    domain = [days["date"].min().isoformat(), days["date"].max().isoformat()]
    return alt.X("date:T", title=None, scale=alt.Scale(domain=domain))


def cash_ahead_chart(days: pd.DataFrame, currency: str) -> alt.LayerChart:
    """The projected cash at each day's end, with a red rule at zero."""
    balance = (
        alt.Chart(days[["date", "balance"]])
        .mark_line(interpolate="step-after", point=True)
        .encode(
            x=_days_axis(days),
            y=alt.Y("balance:Q", title=f"Projected cash ({currency})", axis=_BILLS_MONEY_AXIS),
            tooltip=[
                alt.Tooltip("date:T", title="Day", format="%b %d, %Y"),
                alt.Tooltip("balance:Q", title="Cash at the day's end", format=",.2f"),
            ],
        )
    )
    zero = (
        alt.Chart(pd.DataFrame({"zero": [0.0]}))
        .mark_rule(color="#c62828", strokeDash=[4, 4])
        .encode(y="zero:Q")
    )
    return (balance + zero).properties(height=240)


def bills_ahead_chart(days: pd.DataFrame, events: pd.DataFrame, currency: str) -> alt.Chart:
    """What comes in (up) and goes out (down) each day, by kind. A charge billed to a card is
    faded: it is paid with the card's payment, not from cash on its day."""
    flows = events[["date", "kind", "label", "amount", "counted_in_cash"]].assign(
        flow=-events["amount"]
    )
    return (
        alt.Chart(flows)
        .mark_bar()
        .encode(
            x=_days_axis(days),
            y=alt.Y("flow:Q", title=f"In and out ({currency})", axis=_BILLS_MONEY_AXIS),
            color=alt.Color(
                "kind:N",
                title=None,
                scale=alt.Scale(domain=list(BILL_KINDS), range=list(BILL_KINDS.values())),
                legend=alt.Legend(orient="bottom"),
            ),
            opacity=alt.condition(alt.datum.counted_in_cash, alt.value(1.0), alt.value(0.3)),
            tooltip=[
                alt.Tooltip("date:T", title="Day", format="%b %d, %Y"),
                alt.Tooltip("kind:N"),
                alt.Tooltip("label:N", title="What"),
                alt.Tooltip("amount:Q", title="Amount (out +)", format=",.2f"),
            ],
        )
        .properties(height=200)
    )


# Colours for our own status names (never upstream text); unknown stands out from the rest.
HISTORY_STATUS = {
    "current": ("Current", "#2e7d32"),
    "late": ("Late", "#f9a825"),
    "derogatory": ("Derogatory", "#c62828"),
    "no_data": ("No data", "#b0bec5"),
    "unknown": ("Unknown code", "#6a1b9a"),
}


def payment_history_chart(history: pd.DataFrame) -> alt.Chart:
    """Accounts by month, one cell each, coloured by status; the label is in the tooltip."""
    names = {status: name for status, (name, _colour) in HISTORY_STATUS.items()}
    data = history.assign(status_name=history["status"].map(names).fillna("Unknown code"))
    accounts = list(dict.fromkeys(data["account"]))
    return (
        alt.Chart(data)
        .mark_rect(stroke="white", strokeWidth=1)
        .encode(
            x=alt.X("period:O", title=None, sort="ascending", axis=alt.Axis(labelAngle=-60)),
            y=alt.Y(
                "account:N",
                title=None,
                sort=accounts,
                axis=alt.Axis(labelLimit=260, labelOverlap=False),
            ),
            color=alt.Color(
                "status_name:N",
                title="Status",
                scale=alt.Scale(
                    domain=[name for name, _ in HISTORY_STATUS.values()],
                    range=[colour for _, colour in HISTORY_STATUS.values()],
                ),
            ),
            tooltip=[
                alt.Tooltip("account:N", title="Account"),
                alt.Tooltip("period:O", title="Month"),
                alt.Tooltip("label:N", title="Reported"),
            ],
        )
        .properties(height=max(90, 30 * len(accounts)))
    )


# --- History (traditional mode and the demo) ---------------------------------------------------


def score_history_chart(scores: pd.DataFrame) -> alt.Chart:
    """A line per score model over time."""
    return (
        alt.Chart(scores)
        .mark_line(point=True)
        .encode(
            x=alt.X("day:T", title=None),
            y=alt.Y("score:Q", title="Score", scale=alt.Scale(zero=False)),
            color=alt.Color("model:N", title="Model"),
            tooltip=[
                alt.Tooltip("day:T", format="%b %d, %Y"),
                alt.Tooltip("model:N"),
                alt.Tooltip("score:Q"),
            ],
        )
    )


def utilization_history_chart(utilization: pd.DataFrame) -> alt.LayerChart:
    """A line per card (and the overall figure per currency), with the 10%, 30% and 50%
    break points marked."""
    lines = (
        alt.Chart(utilization)
        .mark_line()
        .encode(
            x=alt.X("day:T", title=None),
            y=alt.Y("utilization:Q", axis=alt.Axis(format="%"), title="Utilization"),
            color=alt.Color("card:N", title=None),
            tooltip=[
                alt.Tooltip("day:T", format="%b %d, %Y"),
                alt.Tooltip("card:N"),
                alt.Tooltip("utilization:Q", format=".1%"),
            ],
        )
    )
    marks = pd.DataFrame({"threshold": list(UTILIZATION_THRESHOLDS)})
    rules = alt.Chart(marks).mark_rule(strokeDash=[4, 4]).encode(y="threshold:Q")
    return lines + rules


def balances_history_chart(balances: pd.DataFrame, currency: str) -> alt.Chart:
    """A line per account in one currency (cards as what is owed), and the total owed."""
    return (
        alt.Chart(balances)
        .mark_line()
        .encode(
            x=alt.X("day:T", title=None),
            y=alt.Y("amount:Q", axis=_MONEY_AXIS, title=f"Balance ({currency})"),
            color=alt.Color("account:N", title=None),
            tooltip=[
                alt.Tooltip("day:T", format="%b %d, %Y"),
                alt.Tooltip("account:N"),
                alt.Tooltip("amount:Q", format=",.2f"),
            ],
        )
    )


def monthly_spending_chart(spending: pd.DataFrame, currency: str) -> alt.Chart:
    """Spending per month in one currency, over the whole kept history."""
    return (
        alt.Chart(spending)
        .mark_bar()
        .encode(
            x=alt.X("month:T", title=None, timeUnit="yearmonth"),
            y=alt.Y("spent:Q", axis=_MONEY_AXIS, title=_money_title(currency)),
            tooltip=[
                alt.Tooltip("month:T", format="%B %Y"),
                alt.Tooltip("spent:Q", format=",.2f"),
            ],
        )
    )
