"""Parse Plaid response bodies into domain objects.

Accepts the JSON bodies as Plaid sends them and the dictionaries plaid-python's
``response.to_dict()`` returns (where dates are already ``datetime.date`` and enums are their
string values), so the demo bodies and live responses share one path.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, date, datetime
from typing import Any, TypeVar

from integrations.models import (
    Account,
    Apr,
    CardLiability,
    Institution,
    Item,
    ItemData,
    LoanLiability,
    RecurringStream,
    StreamDirection,
    Transaction,
)

Body = Mapping[str, Any]
T = TypeVar("T")


class PlaidBodyError(ValueError):
    """A Plaid body lacks something we cannot do without. Carries no upstream values."""


# Said once for a bank when some of its liabilities could not be read: the rest still shows.
UNREADABLE_LOAN_NOTE = "A loan at this bank could not be read, so it is not shown."
UNREADABLE_CARD_NOTE = "A card's payment details could not be read, so its due date is not shown."
# What one malformed entry raises while parsed (a null where a value is needed, a wrong type).
UNREADABLE = (PlaidBodyError, KeyError, TypeError, ValueError, AttributeError)


def _list_of(body: Body, key: str, where: str, *, required: bool = False) -> list[Any]:
    """A list of a body; missing or null is empty (unless ``required``), anything else but a
    list means the body itself is unreadable."""
    value = body.get(key)
    if value is None and not required:
        return []
    if not isinstance(value, list):
        raise PlaidBodyError(f"{where} has no list {key}")
    return value


def readable(raws: Iterable[Any], parse: Callable[[Body], T]) -> tuple[list[T], int]:
    """Each entry parsed on its own: one Plaid sends odd (a null account_id, a text where a
    number belongs) is skipped and counted, never the whole list."""
    parsed: list[T] = []
    skipped = 0
    for raw in raws:
        try:
            if not isinstance(raw, Mapping):
                raise PlaidBodyError("entry is not an object")
            parsed.append(parse(raw))
        except UNREADABLE:
            skipped += 1
    return parsed, skipped


def _as_date(value: Any) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def _as_moment(value: Any) -> datetime | None:
    """A timestamp as an aware datetime; Plaid's are UTC, so one without a zone is UTC."""
    if value is None or value == "":
        return None
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _as_float(value: Any) -> float | None:
    return None if value is None else float(value)


def _as_flag(value: Any) -> bool | None:
    """A JSON boolean or null; anything else is not a flag to guess at."""
    if value is None or isinstance(value, bool):
        return value
    raise TypeError("not a boolean")


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _required(body: Body, key: str, where: str) -> Any:
    value = body.get(key)
    if value is None:
        raise PlaidBodyError(f"{where} has no {key}")
    return value


def parse_institution(body: Body) -> Institution:
    """Parse an /institutions/get_by_id body (or its ``institution`` object)."""
    inst = body.get("institution", body)
    return Institution(
        institution_id=str(_required(inst, "institution_id", "institution")),
        name=str(inst.get("name") or "Unknown institution"),
    )


def institution_name(item_body: Body, institution_body: Body | None) -> str | None:
    """The bank's name from /institutions/get_by_id, else the item's own institution_name.
    /item/get answers for an item in error too, so this names a bank that needs attention."""
    institution = (institution_body or {}).get("institution")
    if isinstance(institution, Mapping) and institution.get("name"):
        return str(institution["name"])
    item = item_body.get("item")
    if isinstance(item, Mapping) and item.get("institution_name"):
        return str(item["institution_name"])
    return None


def parse_item(body: Body, institution: Institution | None = None) -> Item:
    """Parse an /item/get body (or any body carrying ``item``)."""
    item = body.get("item", body)
    error = item.get("error") or {}
    inst = institution or Institution(
        institution_id=str(item.get("institution_id") or "unknown"),
        name=str(item.get("institution_name") or "Unknown institution"),
    )
    return Item(
        item_id=str(_required(item, "item_id", "item")),
        institution=inst,
        available_products=tuple(str(p) for p in item.get("available_products") or ()),
        billed_products=tuple(str(p) for p in item.get("billed_products") or ()),
        error_code=_text(error.get("error_code")) if error else None,
        consent_expires_at=_as_moment(item.get("consent_expiration_time")),
    )


def parse_account(raw: Body, item_id: str) -> Account:
    balances = raw.get("balances") or {}
    iso = balances.get("iso_currency_code")
    unofficial = balances.get("unofficial_currency_code")
    return Account(
        account_id=str(_required(raw, "account_id", "account")),
        item_id=item_id,
        name=str(raw.get("name") or raw.get("official_name") or "Account"),
        official_name=_text(raw.get("official_name")),
        mask=_text(raw.get("mask")),
        type=str(raw.get("type") or "other"),
        subtype=_text(raw.get("subtype")),
        current=_as_float(balances.get("current")),
        available=_as_float(balances.get("available")),
        limit=_as_float(balances.get("limit")),
        currency=str(iso or unofficial or "XXX"),
        currency_is_official=iso is not None or unofficial is None,
    )


def parse_accounts(body: Body, item_id: str) -> tuple[Account, ...]:
    """Parse the ``accounts`` list of an /accounts/get (or /liabilities/get) body."""
    return tuple(parse_account(raw, item_id) for raw in body.get("accounts") or ())


def parse_live_balances(body: Body) -> tuple[Account, ...]:
    """Parse an /accounts/balance/get body: every account of the item, with the balances the
    bank gave just now (the same account shape as /accounts/get)."""
    item = body.get("item")
    if not isinstance(item, Mapping):
        raise PlaidBodyError("balance answer has no item")
    return parse_accounts(body, str(_required(item, "item_id", "item")))


def parse_transaction(raw: Body) -> Transaction:
    category = raw.get("personal_finance_category") or {}
    return Transaction(
        transaction_id=str(_required(raw, "transaction_id", "transaction")),
        account_id=str(_required(raw, "account_id", "transaction")),
        amount=float(_required(raw, "amount", "transaction")),
        currency=str(raw.get("iso_currency_code") or raw.get("unofficial_currency_code") or "XXX"),
        date=_as_date(_required(raw, "date", "transaction")) or date.min,
        authorized_date=_as_date(raw.get("authorized_date")),
        name=str(raw.get("name") or raw.get("merchant_name") or ""),
        merchant_name=_text(raw.get("merchant_name")),
        pending=bool(raw.get("pending")),
        pending_transaction_id=_text(raw.get("pending_transaction_id")),
        category=_text(category.get("primary")),
        category_detailed=_text(category.get("detailed")),
        payment_channel=_text(raw.get("payment_channel")),
    )


def apply_sync_pages(
    earlier: Iterable[Transaction], pages: Iterable[Body]
) -> tuple[Transaction, ...]:
    """The transactions an earlier sync produced, brought up to date by the pages that came
    after it: added and modified replace by id, removed go (a pending transaction that
    posted is removed and its posted self added). Only what the pages sent is parsed."""
    by_id: dict[str, Transaction | Body] = {t.transaction_id: t for t in earlier}
    for page in pages:
        _apply_page(by_id, page)
    return tuple(t if isinstance(t, Transaction) else parse_transaction(t) for t in by_id.values())


def _apply_page(by_id: dict[str, Any], page: Body) -> None:
    for raw in page.get("added") or ():
        by_id[str(raw["transaction_id"])] = raw
    for raw in page.get("modified") or ():
        by_id[str(raw["transaction_id"])] = raw
    for gone in page.get("removed") or ():
        by_id.pop(str(gone.get("transaction_id")), None)


def parse_transactions(raws: Iterable[Body]) -> tuple[Transaction, ...]:
    return tuple(parse_transaction(raw) for raw in raws)


def _parse_apr(raw: Body) -> Apr:
    return Apr(
        apr_type=str(raw.get("apr_type") or "unknown"),
        apr_percentage=float(raw.get("apr_percentage") or 0.0),
        balance_subject_to_apr=_as_float(raw.get("balance_subject_to_apr")),
        interest_charge_amount=_as_float(raw.get("interest_charge_amount")),
    )


def parse_card_liability(raw: Body) -> CardLiability:
    return CardLiability(
        account_id=str(_required(raw, "account_id", "credit liability")),
        aprs=tuple(_parse_apr(a) for a in raw.get("aprs") or ()),
        is_overdue=_as_flag(raw.get("is_overdue")),
        last_payment_amount=_as_float(raw.get("last_payment_amount")),
        last_payment_date=_as_date(raw.get("last_payment_date")),
        last_statement_issue_date=_as_date(raw.get("last_statement_issue_date")),
        last_statement_balance=_as_float(raw.get("last_statement_balance")),
        minimum_payment_amount=_as_float(raw.get("minimum_payment_amount")),
        next_payment_due_date=_as_date(raw.get("next_payment_due_date")),
    )


def _liabilities_of(body: Body | None) -> Body:
    liabilities = body.get("liabilities") if body else None
    if liabilities is None:
        return {}
    if not isinstance(liabilities, Mapping):
        raise PlaidBodyError("liabilities is not an object")
    return liabilities


def read_card_liabilities(body: Body | None) -> tuple[tuple[CardLiability, ...], int]:
    """The credit cards of a /liabilities/get body (a missing list means none), and how many
    could not be read and were left out."""
    raws = _list_of(_liabilities_of(body), "credit", "liabilities")
    cards, skipped = readable(raws, parse_card_liability)
    return tuple(cards), skipped


def parse_card_liabilities(body: Body | None) -> tuple[CardLiability, ...]:
    return read_card_liabilities(body)[0]


def _last_four(number: Any) -> str | None:
    """The last four digits of a loan number: all a page shows of it, so all that is kept."""
    digits = "".join(c for c in str(number or "") if c.isascii() and c.isdigit())
    return digits[-4:] if len(digits) >= 4 else None


def _mapping(value: Any) -> Body:
    return value if isinstance(value, Mapping) else {}


def parse_student_loan(raw: Body) -> LoanLiability:
    status = _mapping(raw.get("loan_status"))
    return LoanLiability(
        account_id=str(_required(raw, "account_id", "student loan")),
        kind="student",
        name=_text(raw.get("loan_name")),
        account_number_last4=_last_four(raw.get("account_number")),
        interest_rate_percentage=_as_float(raw.get("interest_rate_percentage")),
        minimum_payment_amount=_as_float(raw.get("minimum_payment_amount")),
        next_payment_due_date=_as_date(raw.get("next_payment_due_date")),
        last_payment_amount=_as_float(raw.get("last_payment_amount")),
        last_payment_date=_as_date(raw.get("last_payment_date")),
        is_overdue=_as_flag(raw.get("is_overdue")),
        status=_text(status.get("type")),
        origination_date=_as_date(raw.get("origination_date")),
        origination_principal_amount=_as_float(raw.get("origination_principal_amount")),
        payoff_date=_as_date(raw.get("expected_payoff_date")),
    )


def parse_mortgage(raw: Body) -> LoanLiability:
    rate = _mapping(raw.get("interest_rate"))
    return LoanLiability(
        account_id=str(_required(raw, "account_id", "mortgage")),
        kind="mortgage",
        name=_text(raw.get("loan_type_description")),
        account_number_last4=_last_four(raw.get("account_number")),
        interest_rate_percentage=_as_float(rate.get("percentage")),
        interest_rate_type=_text(rate.get("type")),
        next_monthly_payment=_as_float(raw.get("next_monthly_payment")),
        next_payment_due_date=_as_date(raw.get("next_payment_due_date")),
        last_payment_amount=_as_float(raw.get("last_payment_amount")),
        last_payment_date=_as_date(raw.get("last_payment_date")),
        past_due_amount=_as_float(raw.get("past_due_amount")),
        origination_date=_as_date(raw.get("origination_date")),
        origination_principal_amount=_as_float(raw.get("origination_principal_amount")),
        payoff_date=_as_date(raw.get("maturity_date")),
    )


def read_loan_liabilities(body: Body | None) -> tuple[tuple[LoanLiability, ...], int]:
    """The student loans and mortgages of a /liabilities/get body (a missing list means
    none), each read on its own, and how many could not be read and were left out."""
    liabilities = _liabilities_of(body)
    students, odd_students = readable(
        _list_of(liabilities, "student", "liabilities"), parse_student_loan
    )
    mortgages, odd_mortgages = readable(
        _list_of(liabilities, "mortgage", "liabilities"), parse_mortgage
    )
    return (*students, *mortgages), odd_students + odd_mortgages


def parse_loan_liabilities(body: Body | None) -> tuple[LoanLiability, ...]:
    return read_loan_liabilities(body)[0]


def _stream_amount(raw: Any) -> tuple[float, str | None]:
    amount = raw if isinstance(raw, Mapping) else {}
    currency = amount.get("iso_currency_code") or amount.get("unofficial_currency_code")
    return float(_required(amount, "amount", "stream amount")), _text(currency)


def parse_recurring_stream(raw: Body, direction: StreamDirection) -> RecurringStream:
    """One stream of /transactions/recurring/get; its amounts keep Plaid's sign."""
    category = raw.get("personal_finance_category") or {}
    average, average_currency = _stream_amount(raw.get("average_amount"))
    last, last_currency = _stream_amount(raw.get("last_amount"))
    return RecurringStream(
        stream_id=str(_required(raw, "stream_id", "stream")),
        direction=direction,
        account_id=str(_required(raw, "account_id", "stream")),
        description=str(raw.get("description") or raw.get("merchant_name") or ""),
        merchant_name=_text(raw.get("merchant_name")) or None,
        category=_text(category.get("primary")),
        category_detailed=_text(category.get("detailed")),
        first_date=_as_date(_required(raw, "first_date", "stream")) or date.min,
        last_date=_as_date(_required(raw, "last_date", "stream")) or date.min,
        predicted_next_date=_as_date(raw.get("predicted_next_date")),
        frequency=str(raw.get("frequency") or "UNKNOWN"),
        status=str(raw.get("status") or "UNKNOWN"),
        is_active=bool(_as_flag(raw.get("is_active"))),
        average_amount=average,
        last_amount=last,
        currency=last_currency or average_currency or "XXX",
        transactions=len(raw.get("transaction_ids") or ()),
    )


def read_recurring(body: Body | None) -> tuple[tuple[RecurringStream, ...], int]:
    """Both lists of a /transactions/recurring/get body, inflows first, then outflows, and
    how many streams could not be read and were left out. A body without both lists is
    unreadable (PlaidBodyError)."""
    if not body:
        return (), 0
    where = "recurring streams"
    inflows, odd_in = readable(
        _list_of(body, "inflow_streams", where, required=True),
        lambda raw: parse_recurring_stream(raw, "inflow"),
    )
    outflows, odd_out = readable(
        _list_of(body, "outflow_streams", where, required=True),
        lambda raw: parse_recurring_stream(raw, "outflow"),
    )
    return (*inflows, *outflows), odd_in + odd_out


def parse_recurring(body: Body | None) -> tuple[RecurringStream, ...]:
    return read_recurring(body)[0]


def parse_item_data(
    *,
    item_body: Body,
    institution_body: Body | None,
    accounts_body: Body,
    sync_pages: Iterable[Body],
    liabilities_body: Body | None,
    notes: tuple[str, ...] = (),
    earlier: tuple[Transaction, ...] = (),
    known_institution: Institution | None = None,
    recurring_body: Body | None = None,
) -> ItemData:
    """Assemble one item's parsed data from the bodies of the calls that fetch it; the sync
    pages apply on top of ``earlier``, what a kept sync state already holds; without an
    institution body, ``known_institution`` names the bank. With a /transactions/recurring/get
    body the item's streams are Plaid's (even none); without one the app finds them."""
    institution = parse_institution(institution_body) if institution_body else known_institution
    item = parse_item(item_body, institution)
    cards, odd_cards = read_card_liabilities(liabilities_body)
    loans, odd_loans = read_loan_liabilities(liabilities_body)
    unreadable = ((odd_cards, UNREADABLE_CARD_NOTE), (odd_loans, UNREADABLE_LOAN_NOTE))
    return ItemData(
        item=item,
        accounts=parse_accounts(accounts_body, item.item_id),
        transactions=apply_sync_pages(earlier, sync_pages),
        liabilities=cards,
        notes=(*notes, *(note for skipped, note in unreadable if skipped)),
        loans=loans,
        recurring=parse_recurring(recurring_body),
        recurring_from_plaid=recurring_body is not None,
    )
