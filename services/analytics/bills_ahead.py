"""Bills ahead: what is expected to come in and go out over the next weeks, and the cash it
leaves, per currency (pure; no Streamlit).

Every source becomes ``ExpectedEvent`` rows through one builder each (card due dates,
loan due dates, recurring streams), and ``project_cash`` runs them against
the cash held today. Amounts keep Plaid's sign: positive is money out, negative money in.

What moves cash: a card payment, a loan payment and a bill or income on a cash account. Cash is
the spending accounts' (``worth.spending_cash_by_currency``): savings are kept aside. A
detected stream that pays a linked loan is dropped for that loan's due date, so the payment is
counted once. A
charge billed to a credit card is listed but does not move cash on its day: it is paid with
the card, and the card's payment is what leaves the cash account (counting both would count
it twice). A card's payment is taken at its statement balance (paying in full, the
conservative choice), less what was paid since that statement; its minimum is shown beside
it. Overdue is what the issuer or lender says, never a guess from a passed date. Only each
card's next due date is known: later statements are not guessed.
"""

from __future__ import annotations

import calendar
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Literal

import pandas as pd

from integrations.common.months import add_months
from integrations.models import Account, LoanLiability
from services.analytics.cards import AWAITING_ISSUER, awaiting_issuer, paid_this_cycle
from services.analytics.loans import AWAITING_LENDER, paid_for_due_month
from services.analytics.snapshot import FinancialSnapshot

EventKind = Literal["card_due", "loan_due", "bill", "income"]
KIND_LABELS: dict[str, str] = {
    "card_due": "Card payment",
    "loan_due": "Loan payment",
    "bill": "Bill",
    "income": "Income",
}
HORIZONS = (30, 45, 60)  # days ahead a person may choose; the first is the default
INFLOW = "inflow"


@dataclass(frozen=True)
class ExpectedEvent:
    """One expected movement of money on one day."""

    day: date
    kind: EventKind
    label: str  # the card, lender, merchant or payer
    account: str  # the account it is paid from or into, as the transactions name it
    amount: float | None  # positive = money out (Plaid's sign); None when nothing is known
    currency: str
    moves_cash: bool  # counted in the cash projection
    why: str  # how it was predicted, in a person's words
    minimum: float | None = None  # a card's (or loan's) minimum payment, shown beside


def within(day: date, today: date, horizon: int) -> bool:
    """Both ends count: the horizon's last day is in it."""
    return today <= day <= today + timedelta(days=horizon)


# --- card due dates -------------------------------------------------------------------------


def _paid_since_statement(
    paid: float | None, paid_on: date | None, statement: date | None
) -> float:
    """What was paid after the statement was issued (and so counts against it)."""
    if paid is None or paid_on is None or statement is None or paid_on < statement:
        return 0.0
    return max(paid, 0.0)


def _passed_due_date_note(due: date, statement: date | None) -> str:
    """Why a card due date passed that the issuer does not call overdue is counted today."""
    since = f"the statement of {statement.isoformat()}" if statement else "the last statement"
    return (
        f"due on {due.isoformat()}: {AWAITING_ISSUER}. The issuer does not call it overdue "
        f"but reports no payment of at least the minimum since {since}, so it is counted "
        "today in case it is still to pay"
    )


def card_due_events(snapshot: FinancialSnapshot, today: date, horizon: int) -> list[ExpectedEvent]:
    """Each card's next payment: on its due date when that falls in the horizon, or today
    when the issuer calls it overdue. A due date passed that the issuer does not call overdue
    (``cards.awaiting_issuer``) is left out when it looks paid (``cards.paid_this_cycle``),
    else asked today. Nothing for a card whose statement is paid or asked for nothing."""
    liabilities = {li.account_id: li for li in snapshot.liabilities}
    events = []
    for card in snapshot.cards:
        li = liabilities.get(card.account_id)
        if li is None or li.next_payment_due_date is None:
            continue
        due = li.next_payment_due_date
        overdue = bool(li.is_overdue) and due < today
        passed = awaiting_issuer(li, today)
        if passed and paid_this_cycle(li):
            continue
        if not (overdue or passed or within(due, today, horizon)):
            continue
        paid = _paid_since_statement(
            li.last_payment_amount, li.last_payment_date, li.last_statement_issue_date
        )
        statement = li.last_statement_balance
        minimum = li.minimum_payment_amount
        left = None if statement is None else max(statement - paid, 0.0)
        minimum_left = None if minimum is None else max(minimum - paid, 0.0)
        amount = left if left is not None else minimum_left
        if amount is not None and amount <= 0:
            continue  # paid, or a statement at or below zero
        if left is not None:
            why = "statement balance" + (" less what was paid since" if paid else "")
        elif minimum_left is not None:
            why = "minimum payment (no statement balance reported)"
        else:
            why = "amount not reported"
        if overdue:
            why = f"overdue since {due.isoformat()}: {why}"
        elif passed:
            why = f"{_passed_due_date_note(due, li.last_statement_issue_date)}: {why}"
        events.append(
            ExpectedEvent(
                day=today if overdue or passed else due,
                kind="card_due",
                label=card.name,
                account=card.display_name,
                amount=amount,
                currency=card.currency,
                moves_cash=amount is not None,
                why=why,
                minimum=minimum_left,
            )
        )
    return events


def _loan_event(
    loan: LoanLiability, account: Account, day: date, amount: float | None, why: str
) -> ExpectedEvent:
    return ExpectedEvent(
        day=day,
        kind="loan_due",
        label=account.name,
        account=account.display_name,
        amount=amount,
        currency=account.currency,
        moves_cash=amount is not None,
        why=why,
        minimum=loan.payment_due,
    )


def _overdue_loan_events(
    loan: LoanLiability, account: Account, today: date, horizon: int
) -> list[ExpectedEvent]:
    """The lender says it is overdue: what it asks is due today. When the next due date is
    still ahead, only the amount past due is asked today and the next payment on its day."""
    due, payment = loan.next_payment_due_date, loan.payment_due
    past_due = max(loan.past_due_amount or 0.0, 0.0)
    if due is not None and due > today and past_due:
        events = [_loan_event(loan, account, today, past_due, "overdue: the amount past due")]
        if payment and within(due, today, horizon):
            events.append(_loan_event(loan, account, due, payment, "the lender's next payment"))
        return events
    if payment is None and not past_due:
        amount, why = None, "amount not reported"
    else:
        amount = (payment or 0.0) + past_due
        why = "the lender's next payment" + (" and the amount past due" if past_due else "")
    if amount is not None and amount <= 0:
        return []
    since = f" since {due.isoformat()}" if due is not None and due <= today else ""
    return [_loan_event(loan, account, today, amount, f"overdue{since}: {why}")]


def _passed_due_date_events(
    loan: LoanLiability, account: Account, due: date, today: date, horizon: int
) -> list[ExpectedEvent]:
    """A due date passed that the lender does not call overdue (autopay went through and
    the servicer has not moved the date yet, or it is still to pay). Paid when a payment
    since the first of its month is reported, so left out; otherwise asked today, counted
    in cash, since nothing says it was paid. Either way loans are monthly, so the next
    payment is expected a month after it (or the first such date from today)."""
    payment = loan.payment_due
    events = []
    if not paid_for_due_month(loan.last_payment_date, due):
        since = due.replace(day=1).isoformat()
        counted = "so it is counted today" if payment is not None else "so it is listed today"
        why = (
            f"due on {due.isoformat()}: {AWAITING_LENDER}. The lender does not call it "
            f"overdue but reports no payment since {since}, {counted} in case it is still "
            "to pay"
        )
        events.append(_loan_event(loan, account, today, payment, why))
    months = 1
    while (following := add_months(due, months)) < today:
        months += 1
    if within(following, today, horizon):
        why = (
            f"the lender's next payment, expected a month after {due.isoformat()} "
            "(the lender has not moved its due date yet)"
        )
        events.append(_loan_event(loan, account, following, payment, why))
    return events


def loan_due_events(snapshot: FinancialSnapshot, today: date, horizon: int) -> list[ExpectedEvent]:
    """Each loan's next payment (student loan or mortgage). Overdue is what the lender says
    (``LoanLiability.overdue``), and what it asks is expected today, a mortgage's past-due
    amount included; a due date passed that the lender does not call overdue is
    ``_passed_due_date_events``; otherwise the payment is on its due date within the
    horizon. A loan that asks for nothing is left out."""
    accounts = {a.account_id: a for a in snapshot.accounts}
    events: list[ExpectedEvent] = []
    for loan in snapshot.loans:
        account = accounts.get(loan.account_id)
        if account is None:
            continue
        if loan.overdue:
            events += _overdue_loan_events(loan, account, today, horizon)
            continue
        due, payment = loan.next_payment_due_date, loan.payment_due
        if due is None or (payment is not None and payment <= 0):
            continue
        if due < today:
            events += _passed_due_date_events(loan, account, due, today, horizon)
        elif within(due, today, horizon):
            why = "the lender's next payment" if payment is not None else "amount not reported"
            events.append(_loan_event(loan, account, due, payment, why))
    return events


LOAN_CATEGORY = "LOAN_PAYMENTS"
SAME_PAYMENT = 0.10  # a loan payment stream within 10% of a linked loan's payment is that loan


def without_linked_loan_streams(
    streams: pd.DataFrame, loan_events: Iterable[ExpectedEvent]
) -> pd.DataFrame:
    """The recurring streams less those that pay a linked loan: its due date already
    expects that payment, and counting the stream too would take it from cash twice."""
    payments = [(e.currency, e.minimum) for e in loan_events if e.minimum]
    if streams.empty or not payments or "category" not in streams:
        return streams
    category = streams["category"].astype("string").fillna("")
    is_loan = category.str.upper().str.startswith(LOAN_CATEGORY)
    amount = streams["typical_amount"].abs()
    paying = pd.Series(False, index=streams.index)
    for currency, payment in payments:
        close = (amount - payment).abs() <= SAME_PAYMENT * payment
        paying |= is_loan & (streams["currency"] == currency) & close
    return streams[~paying]


# --- recurring streams ----------------------------------------------------------------------


def _cadence_key(cadence: str) -> str:
    return "".join(c for c in str(cadence).lower() if c.isalpha())


# Our own detection's labels and codes (services.analytics.recurring) and Plaid's frequencies.
MONTHS_APART = {"monthly": 1, "quarterly": 3, "yearly": 12, "annually": 12, "annual": 12}
DAYS_APART = {"weekly": 7, "biweekly": 14, "everytwoweeks": 14}
SEMI_MONTHLY = frozenset({"semimonthly", "twiceamonth"})


def _day_in_month(year: int, month: int, day: int) -> date:
    """``day`` of that month, clamped to a shorter month's end."""
    return date(year, month, min(day, calendar.monthrange(year, month)[1]))


def _semi_monthly(first: date, end: date) -> list[date]:
    """``first``'s day and the day half a month away, every month (the 15th and the 30th)."""
    other = first.day + 15 if first.day <= 15 else first.day - 15
    out: list[date] = []
    month = first.replace(day=1)
    while month <= end:
        for day in sorted({first.day, other}):
            when = _day_in_month(month.year, month.month, day)
            if first <= when <= end:
                out.append(when)
        month = add_months(month, 1)
    return out


# A payday moved off a weekend lands at most this many days from its day of the month.
WEEKEND_SHIFT = 3


def _off_weekend(day: date, early: bool) -> date:
    while day.weekday() >= 5:
        day += timedelta(days=-1 if early else 1)
    return day


def _on_two_days(first: date, end: date, days: tuple[int, int], early: bool) -> list[date]:
    """``first`` (the next date, already moved off a weekend), then the stream's two days of
    the month (31: the last day) after it, each on a weekend moved to the Friday before
    (``early``) or the Monday after. A day landing within WEEKEND_SHIFT days of ``first`` is
    ``first`` itself, paid early or late."""
    out = [first] if first <= end else []
    month = first.replace(day=1)
    while month <= end + timedelta(days=WEEKEND_SHIFT):  # a 1st may move back into the horizon
        for day in days:
            when = _off_weekend(_day_in_month(month.year, month.month, day), early)
            if first + timedelta(days=WEEKEND_SHIFT) < when <= end:
                out.append(when)
        month = add_months(month, 1)
    return sorted(out)


def occurrences(
    cadence: str,
    first: date,
    end: date,
    days: tuple[int, int] | None = None,
    moves_early: bool = True,
) -> list[date]:
    """The dates from ``first`` on, at ``cadence``, up to ``end`` inclusive. Months are
    counted from ``first`` each time, so a bill on the 31st is on the 30th in a 30-day month
    and on the 31st again after it. Twice a month, on the stream's two ``days`` of the month
    when known (``recurring.SCHEDULE_COLUMNS``), moved off weekends as ``moves_early`` says.
    An unknown cadence gives its next date only."""
    key = _cadence_key(cadence)
    if key in SEMI_MONTHLY:
        if days is not None:
            return _on_two_days(first, end, days, moves_early)
        return _semi_monthly(first, end)
    if key in MONTHS_APART:
        months = MONTHS_APART[key]
        step = lambda n: add_months(first, n * months)  # noqa: E731
    elif key in DAYS_APART:
        days = DAYS_APART[key]
        step = lambda n: first + timedelta(days=n * days)  # noqa: E731
    else:
        return [first] if first <= end else []
    out, n = [], 0
    while (when := step(n)) <= end:
        out.append(when)
        n += 1
    return out


def _is_inflow(row: Mapping[str, object]) -> bool:
    return str(row.get("direction") or "").lower() == INFLOW


def _on_card(row: Mapping[str, object], card_accounts: Collection[str]) -> bool:
    kind = row.get("account_type")
    if isinstance(kind, str) and kind:
        return kind == "credit"
    return str(row.get("account")) in card_accounts


def _two_days(row: Mapping[str, object]) -> tuple[int, int] | None:
    """A twice-a-month stream's days of the month, when its row carries them."""
    days = (row.get("day_one"), row.get("day_two"))
    if any(day is None or pd.isna(day) for day in days):
        return None
    return int(days[0]), int(days[1])  # type: ignore[arg-type]


def recurring_events(
    streams: pd.DataFrame, today: date, horizon: int, card_accounts: Collection[str] = ()
) -> list[ExpectedEvent]:
    """Every expected charge (and, where a ``direction`` column says "inflow", every expected
    payment in) of the running streams within the horizon; stopped streams expect nothing.
    A charge expected before today and not seen yet is expected today (the cautious
    reading). Income expected before today and not seen yet is listed today but not
    counted in cash: counting money that has not come would hide a shortfall; its later
    dates count as usual.

    ``streams`` has ``detect_recurring``'s columns (merchant, account, currency, cadence,
    typical_amount, next_date, stopped); an ``account_type`` column, where present, says which
    are on a credit card, else the names in ``card_accounts`` do."""
    end = today + timedelta(days=horizon)
    events = []
    for row in streams.to_dict("records"):
        if bool(row.get("stopped")) or pd.isna(row.get("next_date")):
            continue
        dates = occurrences(
            str(row["cadence"]),
            pd.Timestamp(row["next_date"]).date(),
            end,
            _two_days(row),
            bool(row.get("moves_early", True)),
        )
        late = [d for d in dates if d < today]
        inflow = _is_inflow(row)
        amount = abs(float(row["typical_amount"])) * (-1 if inflow else 1)
        on_card = _on_card(row, card_accounts)
        usual = f"{str(row['cadence']).lower()}, typically {abs(amount):.2f}"
        if on_card:
            usual += "; billed to a card, paid with the card's payment"
        usual_event = ExpectedEvent(
            day=today,
            kind="income" if inflow else "bill",
            label=str(row["merchant"]),
            account=str(row["account"]),
            amount=amount,
            currency=str(row["currency"]),
            moves_cash=not on_card,
            why=usual,
        )
        if late:
            missed = f"expected on {late[-1].isoformat()}, not seen yet"
            if inflow:
                missed += "; not counted in cash until it comes"
            counted = usual_event.moves_cash and not inflow
            events.append(replace(usual_event, why=f"{missed}; {usual}", moves_cash=counted))
        events += [replace(usual_event, day=day) for day in dates if day >= today]
    return events


# --- the projection -------------------------------------------------------------------------

EVENT_COLUMNS = (
    "date",
    "kind",
    "label",
    "account",
    "amount",
    "minimum_payment",
    "currency",
    "counted_in_cash",
    "balance_after",
    "note",
)


def _in_day_order(events: Iterable[ExpectedEvent]) -> list[ExpectedEvent]:
    """By day; within a day money in first (a paycheck posts early in the day), then the
    largest payment out."""
    return sorted(
        events, key=lambda e: (e.day, e.kind != "income", -(e.amount or 0.0), e.label, e.account)
    )


def events_frame(
    events: Iterable[ExpectedEvent], opening_by_currency: Mapping[str, float]
) -> pd.DataFrame:
    """The list: one row per event, with the cash of its currency after it (empty for a
    currency that has no cash account: it is listed but not projected)."""
    running = dict(opening_by_currency)
    rows = []
    for event in _in_day_order(events):
        counted = event.moves_cash and event.amount is not None and event.currency in running
        if counted:
            running[event.currency] -= event.amount or 0.0
        rows.append(
            (
                event.day,
                KIND_LABELS[event.kind],
                event.label,
                event.account,
                event.amount,
                event.minimum,
                event.currency,
                counted,
                running.get(event.currency),
                event.why,
            )
        )
    frame = pd.DataFrame.from_records(rows, columns=list(EVENT_COLUMNS))
    frame["date"] = pd.to_datetime(frame["date"])
    for column in ("amount", "minimum_payment", "balance_after"):
        frame[column] = pd.to_numeric(frame[column], errors="coerce").astype("float64")
    frame["counted_in_cash"] = frame["counted_in_cash"].astype(bool)
    return frame


def project_cash(
    opening_by_currency: Mapping[str, float],
    events: Iterable[ExpectedEvent],
    today: date,
    horizon: int,
) -> dict[str, pd.DataFrame]:
    """Per currency with cash: every day from today to the horizon's end with what goes out
    (``out``, money in negative) and the balance at the day's end. Never across currencies."""
    days = pd.date_range(today, today + timedelta(days=horizon), freq="D")
    moving = [e for e in events if e.moves_cash and e.amount is not None]
    out = {}
    for currency, opening in opening_by_currency.items():
        change = pd.Series(0.0, index=days)
        for event in moving:
            if event.currency == currency and within(event.day, today, horizon):
                change[pd.Timestamp(event.day)] += event.amount or 0.0
        balance = opening - change.cumsum()
        out[currency] = pd.DataFrame(
            {"date": days, "out": change.to_numpy(), "balance": balance.to_numpy()}
        )
    return out


@dataclass(frozen=True)
class Shortfall:
    """Cash of one currency projected below zero."""

    currency: str
    day: date  # the first day that ends below zero
    balance: float  # that day's end balance (negative)
    lowest: float  # the lowest day's end before the next income (or the horizon's end)
    lowest_day: date
    next_income: date | None  # the first expected income after ``day``, if any in the horizon
    next_income_amount: float | None  # money in that day (positive)

    @property
    def needed(self) -> float:
        """What would keep the balance at zero or above until then."""
        return -self.lowest


def shortfalls(
    projections: Mapping[str, pd.DataFrame], events: Iterable[ExpectedEvent]
) -> tuple[Shortfall, ...]:
    """Per currency: the first day its cash ends below zero, how deep it goes before the next
    expected income, and that income's date."""
    income = [e for e in events if e.kind == "income" and e.moves_cash and e.amount is not None]
    found = []
    for currency, days in projections.items():
        below = days[days["balance"] < 0]
        if below.empty:
            continue
        first = below.iloc[0]
        first_day = pd.Timestamp(first["date"]).date()
        later = sorted(e.day for e in income if e.currency == currency and e.day > first_day)
        payday = later[0] if later else None
        until = days if payday is None else days[days["date"] < pd.Timestamp(payday)]
        until = until[until["date"] >= pd.Timestamp(first_day)]
        deepest = until.loc[until["balance"].idxmin()]
        paid_in = (
            -sum(e.amount or 0.0 for e in income if e.currency == currency and e.day == payday)
            if payday
            else None
        )
        found.append(
            Shortfall(
                currency=currency,
                day=first_day,
                balance=float(first["balance"]),
                lowest=float(deepest["balance"]),
                lowest_day=pd.Timestamp(deepest["date"]).date(),
                next_income=payday,
                next_income_amount=paid_in,
            )
        )
    return tuple(found)


def unprojected_currencies(
    events: Iterable[ExpectedEvent], opening_by_currency: Mapping[str, float]
) -> tuple[str, ...]:
    """Currencies with events but no cash account: listed, not projected."""
    return tuple(sorted({e.currency for e in events} - set(opening_by_currency)))
