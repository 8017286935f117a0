"""Typed domain objects that the integrations return and everything above them consumes.

Money is kept as float in the account's currency and rounded only for display; every amount
travels next to its currency code. Plaid's sign convention is kept: a positive transaction
amount is money leaving the account.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Literal

CREDIT_CARD_SUBTYPES = frozenset({"credit card", "paypal"})


@dataclass(frozen=True, slots=True)
class Institution:
    institution_id: str
    name: str


@dataclass(frozen=True, slots=True)
class Item:
    """One connection to one institution (a Plaid Item)."""

    item_id: str
    institution: Institution
    available_products: tuple[str, ...] = ()
    billed_products: tuple[str, ...] = ()
    error_code: str | None = None
    # When the person's consent lapses and the bank stops sharing (some OAuth and European
    # banks); None when it does not expire. Always with its time zone.
    consent_expires_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Account:
    account_id: str
    item_id: str
    name: str
    official_name: str | None
    mask: str | None
    type: str
    subtype: str | None
    current: float | None
    available: float | None
    limit: float | None
    currency: str
    currency_is_official: bool = True

    @property
    def is_credit_card(self) -> bool:
        return self.type == "credit" and (self.subtype or "credit card") in CREDIT_CARD_SUBTYPES

    @property
    def display_name(self) -> str:
        return f"{self.name} ••{self.mask}" if self.mask else self.name


@dataclass(frozen=True, slots=True)
class Transaction:
    transaction_id: str
    account_id: str
    amount: float
    currency: str
    date: date
    authorized_date: date | None
    name: str
    merchant_name: str | None
    pending: bool
    pending_transaction_id: str | None
    category: str | None
    category_detailed: str | None
    payment_channel: str | None


@dataclass(frozen=True, slots=True)
class Apr:
    apr_type: str
    apr_percentage: float
    balance_subject_to_apr: float | None = None
    interest_charge_amount: float | None = None


@dataclass(frozen=True, slots=True)
class CardLiability:
    account_id: str
    aprs: tuple[Apr, ...] = ()
    is_overdue: bool | None = None
    last_payment_amount: float | None = None
    last_payment_date: date | None = None
    last_statement_issue_date: date | None = None
    last_statement_balance: float | None = None
    minimum_payment_amount: float | None = None
    next_payment_due_date: date | None = None

    def apr(self, apr_type: str) -> float | None:
        return next((a.apr_percentage for a in self.aprs if a.apr_type == apr_type), None)


LoanKind = Literal["student", "mortgage"]


@dataclass(frozen=True, slots=True)
class LoanLiability:
    """A student loan or a mortgage from /liabilities/get; its balance stays on the account
    (type "loan"). Only the last four digits of the loan's number are kept."""

    account_id: str
    kind: LoanKind
    # The student loan's name, or the mortgage's type in words (Plaid names no servicer: the
    # institution the item is at is who the person deals with).
    name: str | None = None
    account_number_last4: str | None = None
    interest_rate_percentage: float | None = None
    interest_rate_type: str | None = None  # mortgage: "fixed" or "variable"
    minimum_payment_amount: float | None = None  # student: the minimum due next
    next_monthly_payment: float | None = None  # mortgage: the next scheduled payment
    next_payment_due_date: date | None = None
    last_payment_amount: float | None = None
    last_payment_date: date | None = None
    is_overdue: bool | None = None  # student loans say so; a mortgage has past_due_amount
    past_due_amount: float | None = None
    status: str | None = None  # student: repayment, deferment, forbearance, delinquent...
    origination_date: date | None = None
    origination_principal_amount: float | None = None
    payoff_date: date | None = None  # student: expected payoff; mortgage: maturity

    @property
    def payment_due(self) -> float | None:
        """What the next payment asks for, whichever way the loan's kind says it."""
        if self.minimum_payment_amount is not None:
            return self.minimum_payment_amount
        return self.next_monthly_payment

    @property
    def overdue(self) -> bool:
        return bool(self.is_overdue) or (self.past_due_amount or 0.0) > 0


StreamDirection = Literal["inflow", "outflow"]


@dataclass(frozen=True, slots=True)
class RecurringStream:
    """One stream of Plaid's /transactions/recurring/get: money coming in (paychecks) or
    going out (bills) at a regular frequency. Amounts keep Plaid's sign (an inflow's are
    negative) and travel with their currency."""

    stream_id: str
    direction: StreamDirection
    account_id: str
    description: str
    merchant_name: str | None
    category: str | None  # personal_finance_category.primary
    category_detailed: str | None
    first_date: date
    last_date: date
    predicted_next_date: date | None
    frequency: str  # WEEKLY, BIWEEKLY, SEMI_MONTHLY, MONTHLY, ANNUALLY or UNKNOWN
    status: str  # MATURE, EARLY_DETECTION, TOMBSTONED or UNKNOWN
    is_active: bool
    average_amount: float
    last_amount: float
    currency: str
    transactions: int = 0  # how many transactions Plaid counts in the stream


@dataclass(frozen=True, slots=True)
class ItemData:
    """Everything fetched for one item, parsed."""

    item: Item
    accounts: tuple[Account, ...]
    transactions: tuple[Transaction, ...]
    liabilities: tuple[CardLiability, ...]
    notes: tuple[str, ...] = ()  # what this bank does not share, said once
    loans: tuple[LoanLiability, ...] = ()  # student loans and mortgages
    # Plaid's own recurring streams, when the item has the product and Plaid answered;
    # otherwise the app finds the streams in the transactions itself.
    recurring: tuple[RecurringStream, ...] = ()
    recurring_from_plaid: bool = False


@dataclass(frozen=True, slots=True)
class SyncState:
    """Where an item's ``/transactions/sync`` stands: the cursor to continue from and the
    transactions it has produced so far, and the item's institution (which does not change).
    Given back to the client, the next fetch asks Plaid only for what changed since."""

    cursor: str
    transactions: tuple[Transaction, ...]
    institution: Institution | None = None
    # Read from the start (no kept cursor, or Plaid refused it): it holds only what Plaid
    # still serves, so older kept transactions are not gone, only out of its reach.
    from_start: bool = False


# --- Credit report -------------------------------------------------------------------------

InquiryKind = Literal["hard", "soft", "unknown"]
PaymentStatus = Literal["current", "late", "derogatory", "no_data", "unknown"]


@dataclass(frozen=True, slots=True)
class ScoreFactor:
    importance: int
    code: str
    description: str


@dataclass(frozen=True, slots=True)
class RiskScore:
    model_indicator: str
    model_name: str
    score: int | None
    min_score: int
    max_score: int
    band: str
    percentile: int | None
    factors: tuple[ScoreFactor, ...] = ()


@dataclass(frozen=True, slots=True)
class PaymentMonth:
    """One month of a tradeline's payment history, newest first in its tuple."""

    month: date
    code: str
    label: str
    status: PaymentStatus
    days_late: int | None


@dataclass(frozen=True, slots=True)
class Tradeline:
    creditor: str
    account_number: str
    account_type_code: str
    account_type: str
    kind_of_business: str
    open_date: date | None
    is_open: bool
    kind: Literal["revolving", "installment", "unknown"]
    credit_limit: float | None
    high_balance: float | None
    original_amount: float | None
    balance: float | None
    balance_date: date | None
    monthly_payment: float | None
    last_payment_date: date | None
    status_code: str
    status: str
    status_date: date | None
    payment_history: tuple[PaymentMonth, ...]
    delinquencies_30: int
    delinquencies_60: int
    delinquencies_90_plus: int
    derogatory_count: int

    @property
    def late_months(self) -> tuple[PaymentMonth, ...]:
        return tuple(m for m in self.payment_history if m.status in ("late", "derogatory"))


@dataclass(frozen=True, slots=True)
class Inquiry:
    date: date | None
    subscriber_name: str
    kind_of_business: str
    type_code: str
    kind: InquiryKind


@dataclass(frozen=True, slots=True)
class PublicRecord:
    court_name: str
    filing_date: date | None
    amount: float | None
    status_code: str
    status: str
    status_date: date | None
    plaintiff: str | None


@dataclass(frozen=True, slots=True)
class Address:
    street: str
    city: str
    state: str
    zip_code: str
    first_reported: date | None
    last_updated: date | None


@dataclass(frozen=True, slots=True)
class ConsumerIdentity:
    """Who the bureau thinks the person is; no date of birth or SSN is kept."""

    names: tuple[str, ...] = ()
    addresses: tuple[Address, ...] = ()
    employers: tuple[str, ...] = ()


# weakref_slot: pages remember a report's description while it lives (pages/_shared.py).
@dataclass(frozen=True, slots=True, weakref_slot=True)
class CreditReport:
    report_date: date | None
    scores: tuple[RiskScore, ...]
    tradelines: tuple[Tradeline, ...]
    inquiries: tuple[Inquiry, ...]
    public_records: tuple[PublicRecord, ...]
    identity: ConsumerIdentity = field(default_factory=ConsumerIdentity)
    messages: tuple[str, ...] = ()

    @property
    def primary_score(self) -> RiskScore | None:
        return self.scores[0] if self.scores else None
