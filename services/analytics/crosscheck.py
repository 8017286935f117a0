"""Cross-check of the credit report's cards and loans against those linked through Plaid.

A report tradeline and a linked card are the same account when they agree on the last four
digits of the card number and on the issuer's name. Names come in different forms on each side
("JUNIPER CARD SVCS" on the report, "Juniper Card Services" at Plaid), so they are compared on
their distinctive words after abbreviations are expanded and generic words dropped.

Matching runs in three passes, each only over what earlier passes left, and each pairs an
account only when it has exactly one candidate on the other side (and that candidate has only
it), so an ambiguous case stays unmatched rather than guessed:

1. same last four digits and a matching name ("number and name");
2. same last four digits, names not matching ("number": issuers report under other names);
3. a matching name on an open report account, numbers differing or unknown ("name").

Loans (student loans and mortgages, which Plaid's /liabilities/get describes) are matched
to the report's installment accounts of the same kind (education loans; real estate
mortgages) in three passes of the same one-to-one kind: number and name, then name (the
words that say "student loan" or "mortgage" do not count as a name), then, for the one open
account of that kind on each side, a balance within a quarter of the bank's.

Money is float in USD, rounded only for display, like the rest of the app.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Literal, TypeVar

import pandas as pd

from integrations.experian import codes
from integrations.models import LoanLiability, Tradeline
from services.analytics.cards import UtilizationTotal, cards_frame, overall_utilization
from services.analytics.snapshot import FinancialSnapshot

REPORT_CURRENCY = "USD"  # Experian's US consumer reports are in dollars
MatchRule = Literal["number and name", "number", "name"]

# Bureaus get balances when the issuer reports, usually at statement time, so a difference
# from today's bank balance is normal; only a larger one is flagged.
BALANCE_TOLERANCE_AMOUNT = 50.0
BALANCE_TOLERANCE_SHARE = 0.10
# Limits do not move with spending; anything beyond whole-dollar rounding is a real difference.
LIMIT_TOLERANCE_AMOUNT = 1.0

# Forms creditors' names take on reports, expanded to the word the bank uses.
_ABBREVIATIONS = {
    "svcs": "services",
    "svc": "services",
    "srvcs": "services",
    "bk": "bank",
    "bnk": "bank",
    "natl": "national",
    "fin": "financial",
    "finl": "financial",
    "cr": "credit",
    "un": "union",
    "cu": "credit union",
    "dept": "department",
    "mtg": "mortgage",
    "amer": "american",
    "intl": "international",
    "co": "company",
    "corp": "corporation",
}
# Words that say what kind of institution it is, not which one.
_GENERIC_WORDS = frozenset(
    {
        "bank",
        "card",
        "cards",
        "services",
        "service",
        "credit",
        "union",
        "financial",
        "national",
        "company",
        "corporation",
        "inc",
        "na",
        "fsb",
        "llc",
        "the",
        "of",
        "and",
        "usa",
        "us",
        "department",
        "store",
    }
)
_MIN_PREFIX = 4  # a shorter token matching by prefix is too often a coincidence


@dataclass(frozen=True)
class LinkedCard:
    """A credit card linked through Plaid, with what the cross-check compares."""

    account_id: str
    institution: str
    name: str
    official_name: str | None
    mask: str | None
    currency: str
    limit: float | None
    current: float | None
    statement_balance: float | None
    statement_date: date | None

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(n for n in (self.institution, self.official_name, self.name) if n)


def linked_cards(snapshot: FinancialSnapshot) -> tuple[LinkedCard, ...]:
    liabilities = {li.account_id: li for li in snapshot.liabilities}
    cards = []
    for card in snapshot.cards:
        liability = liabilities.get(card.account_id)
        cards.append(
            LinkedCard(
                account_id=card.account_id,
                institution=snapshot.institution_of(card.item_id),
                name=card.name,
                official_name=card.official_name,
                mask=card.mask,
                currency=card.currency,
                limit=card.limit,
                current=card.current,
                statement_balance=liability.last_statement_balance if liability else None,
                statement_date=liability.last_statement_issue_date if liability else None,
            )
        )
    return tuple(cards)


# --- Names and numbers -------------------------------------------------------------------------


def last_four(number: str | None) -> str | None:
    """The last four digits of a masked number ("••4821", "4821"); None when fewer are shown."""
    digits = "".join(c for c in number or "" if c.isascii() and c.isdigit())
    return digits[-4:] if len(digits) >= 4 else None


def name_tokens(name: str, generic: frozenset[str] = _GENERIC_WORDS) -> tuple[str, ...]:
    """The distinctive words of an institution's name, lower case, abbreviations expanded."""
    words = re.sub(r"[^a-z0-9]+", " ", name.lower()).split()
    expanded = " ".join(_ABBREVIATIONS.get(w, w) for w in words).split()
    return tuple(w for w in expanded if w not in generic)


def _tokens_match(a: str, b: str) -> bool:
    short, long = sorted((a, b), key=len)
    return short == long or (len(short) >= _MIN_PREFIX and long.startswith(short))


def names_match(a: str, b: str, generic: frozenset[str] = _GENERIC_WORDS) -> bool:
    """Every distinctive word of the shorter name matches one of the longer's (truncation by
    the bureau allowed). Names made only of generic words never match: "CREDIT CARD" says
    nothing about who issued it."""
    tokens_a, tokens_b = name_tokens(a, generic), name_tokens(b, generic)
    if not tokens_a or not tokens_b:
        return False
    short, long = sorted((tokens_a, tokens_b), key=len)
    return all(any(_tokens_match(s, t) for t in long) for s in short)


def _same_issuer(line: Tradeline, card: LinkedCard) -> bool:
    return any(names_match(line.creditor, name) for name in card.names)


def _same_number(line: Tradeline, card: LinkedCard) -> bool:
    tail = last_four(card.mask)
    return tail is not None and tail == last_four(line.account_number)


# --- Matching ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class CardPair:
    tradeline: Tradeline
    card: LinkedCard
    rule: MatchRule


@dataclass(frozen=True)
class CardMatches:
    pairs: tuple[CardPair, ...]
    not_linked: tuple[Tradeline, ...]  # open report cards no linked card matches
    not_on_report: tuple[LinkedCard, ...]  # linked cards no report account matches


Agreement = Callable[[Tradeline, LinkedCard], bool]
Linked = TypeVar("Linked")


def _unique_pairs(
    lines: dict[int, Tradeline],
    cards: dict[int, Linked],
    agree: Callable[[Tradeline, Linked], bool],
) -> list[tuple[int, int]]:
    """Pairs that agree where each side has exactly one agreeing partner."""
    for_line = {i: [j for j, c in cards.items() if agree(t, c)] for i, t in lines.items()}
    for_card = {j: [i for i, t in lines.items() if agree(t, c)] for j, c in cards.items()}
    return [(i, js[0]) for i, js in for_line.items() if len(js) == 1 and for_card[js[0]] == [i]]


_PASSES: tuple[tuple[MatchRule, Agreement], ...] = (
    ("number and name", lambda t, c: _same_number(t, c) and _same_issuer(t, c)),
    ("number", _same_number),
    # A closed account is not a card anyone still has linked, unless its number says so.
    ("name", lambda t, c: t.is_open and _same_issuer(t, c)),
)


def match_cards(tradelines: Sequence[Tradeline], cards: Sequence[LinkedCard]) -> CardMatches:
    """Pair the report's revolving accounts with linked cards (rules in the module docstring)."""
    lines = {i: t for i, t in enumerate(tradelines) if t.kind == "revolving"}
    remaining = dict(enumerate(cards))
    pairs = []
    for rule, agree in _PASSES:
        for i, j in _unique_pairs(lines, remaining, agree):
            pairs.append(CardPair(lines.pop(i), remaining.pop(j), rule))
    return CardMatches(
        pairs=tuple(pairs),
        not_linked=tuple(t for t in lines.values() if t.is_open),
        not_on_report=tuple(remaining.values()),
    )


# --- Comparison --------------------------------------------------------------------------------

CROSSCHECK_COLUMNS = (
    "status",
    "matched_by",
    "creditor",
    "report_account",
    "report_open",
    "institution",
    "bank_card",
    "bank_account",
    "report_limit",
    "bank_limit",
    "limit_difference",
    "limit_difference_pct",
    "limit_flag",
    "report_balance",
    "report_balance_date",
    "bank_balance",
    "bank_balance_basis",
    "bank_balance_date",
    "balance_difference",
    "balance_difference_pct",
    "balance_flag",
    "note",
)
_NUMBER_COLUMNS = (
    "report_limit",
    "bank_limit",
    "limit_difference",
    "limit_difference_pct",
    "report_balance",
    "bank_balance",
    "balance_difference",
    "balance_difference_pct",
)


def _difference(report: float | None, bank: float | None) -> tuple[float | None, float | None]:
    """(report minus bank, that as a share of the bank's figure)."""
    if report is None or bank is None:
        return None, None
    gap = report - bank
    return gap, (gap / bank if bank else None)


def bank_balance(card: LinkedCard) -> tuple[float | None, str | None, date | None]:
    """(figure, basis, as-of date) to set against the bureau's balance: the last statement
    balance when known, since that is what issuers report; else today's balance. A credit
    balance is reported to bureaus as nothing owed, so it counts as zero."""
    if card.statement_balance is not None:
        return max(card.statement_balance, 0.0), "statement", card.statement_date
    if card.current is not None:
        return max(card.current, 0.0), "current", None
    return None, None, None


def balance_differs(gap: float | None, bank: float | None) -> bool:
    if gap is None or bank is None:
        return False
    return abs(gap) > max(BALANCE_TOLERANCE_AMOUNT, BALANCE_TOLERANCE_SHARE * abs(bank))


def limit_differs(gap: float | None) -> bool:
    return gap is not None and abs(gap) > LIMIT_TOLERANCE_AMOUNT


def _pair_note(pair: CardPair) -> str:
    line, card = pair.tradeline, pair.card
    notes = []
    if pair.rule == "number":
        notes.append(f"Same card number, though the report names the issuer {line.creditor}.")
    if pair.rule == "name":
        shown, reported = last_four(card.mask), last_four(line.account_number)
        if shown and reported:
            notes.append(
                f"Matched by issuer only: the numbers differ (…{shown} at the bank, …{reported} "
                "on the report). Check it is the same card: a replaced card can keep its old "
                "number on the report."
            )
        else:
            notes.append("Matched by issuer only: one side shows no card number to compare.")
    if not line.is_open:
        notes.append("Closed on the report but still linked at the bank.")
    if card.limit is None and line.credit_limit is not None:
        notes.append("The bank reports no limit for this card; the bureau does.")
    if card.currency != REPORT_CURRENCY:
        notes.append(f"The bank keeps this card in {card.currency}: amounts not compared.")
    return " ".join(notes)


def _line_columns(line: Tradeline) -> dict[str, object]:
    return {
        "creditor": line.creditor,
        "report_account": line.account_number,
        "report_open": line.is_open,
        "report_limit": line.credit_limit,
        "report_balance": line.balance,
        "report_balance_date": line.balance_date,
    }


def _card_columns(card: LinkedCard) -> dict[str, object]:
    figure, basis, as_of = bank_balance(card)
    return {
        "institution": card.institution,
        "bank_card": card.name,
        "bank_account": f"••{card.mask}" if card.mask else "",
        "bank_limit": card.limit,
        "bank_balance": figure,
        "bank_balance_basis": basis,
        "bank_balance_date": as_of,
    }


def _pair_row(pair: CardPair) -> dict[str, object]:
    line, card = pair.tradeline, pair.card
    comparable = card.currency == REPORT_CURRENCY
    limit_gap, limit_share = _difference(line.credit_limit, card.limit if comparable else None)
    figure, _basis, _as_of = bank_balance(card)
    balance_gap, balance_share = _difference(line.balance, figure if comparable else None)
    return {
        "status": "matched",
        "matched_by": pair.rule,
        **_line_columns(line),
        **_card_columns(card),
        "limit_difference": limit_gap,
        "limit_difference_pct": limit_share,
        "limit_flag": limit_differs(limit_gap),
        "balance_difference": balance_gap,
        "balance_difference_pct": balance_share,
        "balance_flag": balance_differs(balance_gap, figure),
        "note": _pair_note(pair),
    }


def _ambiguity(candidates: int) -> str:
    """Said when the issuer fits several accounts on the other side and no number decides."""
    return f" {candidates} accounts of this issuer could be it." if candidates > 1 else ""


def _not_linked_row(line: Tradeline, matches: CardMatches) -> dict[str, object]:
    rivals = sum(_same_issuer(line, c) for c in matches.not_on_report)
    return {
        "status": "not linked",
        **_line_columns(line),
        "note": "On the report, but no linked card matches it." + _ambiguity(rivals),
    }


def _not_on_report_row(card: LinkedCard, matches: CardMatches) -> dict[str, object]:
    rivals = sum(_same_issuer(t, card) for t in matches.not_linked)
    return {
        "status": "not on report",
        **_card_columns(card),
        "note": "Linked at the bank, but no account on the report matches it." + _ambiguity(rivals),
    }


def crosscheck_frame(tradelines: Sequence[Tradeline], cards: Sequence[LinkedCard]) -> pd.DataFrame:
    """One row per matched pair, then per open report card not linked, then per linked card
    not on the report; differences are report minus bank, flagged beyond the tolerances."""
    matches = match_cards(tradelines, cards)
    rows = (
        [_pair_row(p) for p in matches.pairs]
        + [_not_linked_row(t, matches) for t in matches.not_linked]
        + [_not_on_report_row(c, matches) for c in matches.not_on_report]
    )
    frame = pd.DataFrame(rows, columns=list(CROSSCHECK_COLUMNS))
    for column in ("limit_flag", "balance_flag"):
        frame[column] = frame[column].astype("boolean").fillna(False).astype(bool)
    for column in _NUMBER_COLUMNS:
        frame[column] = pd.to_numeric(frame[column], errors="coerce").astype("float64")
    return frame


def linked_utilization(snapshot: FinancialSnapshot, today: date) -> UtilizationTotal | None:
    """Utilization of the linked cards in the report's currency, as the Cards page counts it."""
    cards = cards_frame(snapshot.accounts, snapshot.liabilities, snapshot.items, today)
    totals = overall_utilization(cards)
    return next((t for t in totals if t.currency == REPORT_CURRENCY), None)


# --- Loans -------------------------------------------------------------------------------------

LoanMatchRule = Literal["number and name", "name", "kind and balance"]
# Experian's account types of each loan kind Plaid describes (integrations/experian/codes.py).
STUDENT_LOAN_TYPES = frozenset({"12"})  # education loan
MORTGAGE_TYPES = frozenset({"19", "25", "26", "27", "2C", "33", "5B", "85", "86", "87"})
_STUDENT_LENDER = codes.kind_of_business_label("EL")  # "Student loans", as parsed
# Said of any lender of the kind: a name made of them names no one.
_LOAN_WORDS = _GENERIC_WORDS | {
    "student", "loan", "loans", "ln", "servicing", "servicer", "mortgage", "home", "lending",
    "lender", "private", "federal", "education", "educational", "finance", "funding",
}  # fmt: skip
# Only the one open loan of a kind on each side is paired on its balance, and only when the
# two are this close: a month or two of payments apart, not another loan.
LOAN_BALANCE_PLAUSIBLE_SHARE = 0.25


def report_loan_kind(line: Tradeline) -> str | None:
    """ "student" or "mortgage" for a report account of a kind Plaid describes, else None."""
    if line.account_type_code in STUDENT_LOAN_TYPES or line.kind_of_business == _STUDENT_LENDER:
        return "student"
    if line.account_type_code in MORTGAGE_TYPES:
        return "mortgage"
    return None


@dataclass(frozen=True)
class LinkedLoan:
    """A student loan or mortgage linked through Plaid, with what the cross-check compares."""

    account_id: str
    institution: str
    name: str
    official_name: str | None
    loan_name: str | None
    mask: str | None
    kind: str  # "student", "mortgage", or the account's own subtype
    currency: str
    current: float | None
    payment: float | None  # what the next payment asks for

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(
            n for n in (self.institution, self.official_name, self.name, self.loan_name) if n
        )


def linked_loans(snapshot: FinancialSnapshot) -> tuple[LinkedLoan, ...]:
    by_account: dict[str, LoanLiability] = {loan.account_id: loan for loan in snapshot.loans}
    loans = []
    for account in snapshot.accounts:
        if account.type != "loan":
            continue
        loan = by_account.get(account.account_id)
        loans.append(
            LinkedLoan(
                account_id=account.account_id,
                institution=snapshot.institution_of(account.item_id),
                name=account.name,
                official_name=account.official_name,
                loan_name=loan.name if loan else None,
                mask=account.mask or (loan.account_number_last4 if loan else None),
                kind=loan.kind if loan else (account.subtype or "loan"),
                currency=account.currency,
                current=account.current,
                payment=loan.payment_due if loan else None,
            )
        )
    return tuple(loans)


def _same_kind(line: Tradeline, loan: LinkedLoan) -> bool:
    return report_loan_kind(line) == loan.kind


def _same_lender(line: Tradeline, loan: LinkedLoan) -> bool:
    return any(names_match(line.creditor, name, _LOAN_WORDS) for name in loan.names)


def _same_loan_number(line: Tradeline, loan: LinkedLoan) -> bool:
    tail = last_four(loan.mask)
    return tail is not None and tail == last_four(line.account_number)


def loan_balance_plausible(line: Tradeline, loan: LinkedLoan) -> bool:
    if line.balance is None or loan.current is None or loan.currency != REPORT_CURRENCY:
        return False
    return abs(line.balance - loan.current) <= LOAN_BALANCE_PLAUSIBLE_SHARE * abs(loan.current)


LoanAgreement = Callable[[Tradeline, LinkedLoan], bool]
_LOAN_PASSES: tuple[tuple[LoanMatchRule, LoanAgreement], ...] = (
    (
        "number and name",
        lambda t, c: _same_kind(t, c) and _same_loan_number(t, c) and _same_lender(t, c),
    ),
    ("name", lambda t, c: _same_kind(t, c) and t.is_open and _same_lender(t, c)),
)


@dataclass(frozen=True)
class LoanPair:
    tradeline: Tradeline
    loan: LinkedLoan
    rule: LoanMatchRule


@dataclass(frozen=True)
class LoanMatches:
    pairs: tuple[LoanPair, ...]
    not_linked: tuple[Tradeline, ...]  # open report loans of a kind Plaid describes, unmatched
    not_on_report: tuple[LinkedLoan, ...]


def _only_open_of_its_kind(
    lines: dict[int, Tradeline], loans: dict[int, LinkedLoan]
) -> list[tuple[int, int]]:
    """The last pass: per kind, the one open report loan and the one linked loan left, when
    their balances are close enough to be the same loan."""
    pairs = []
    for kind in ("student", "mortgage"):
        open_lines = [i for i, t in lines.items() if t.is_open and report_loan_kind(t) == kind]
        linked = [j for j, c in loans.items() if c.kind == kind]
        if len(open_lines) == 1 and len(linked) == 1:
            i, j = open_lines[0], linked[0]
            if loan_balance_plausible(lines[i], loans[j]):
                pairs.append((i, j))
    return pairs


def match_loans(tradelines: Sequence[Tradeline], loans: Sequence[LinkedLoan]) -> LoanMatches:
    """Pair the report's student loans and mortgages with linked ones (module docstring)."""
    lines = {i: t for i, t in enumerate(tradelines) if report_loan_kind(t) is not None}
    remaining = dict(enumerate(loans))
    pairs = []
    for rule, agree in _LOAN_PASSES:
        for i, j in _unique_pairs(lines, remaining, agree):
            pairs.append(LoanPair(lines.pop(i), remaining.pop(j), rule))
    for i, j in _only_open_of_its_kind(lines, remaining):
        pairs.append(LoanPair(lines.pop(i), remaining.pop(j), "kind and balance"))
    return LoanMatches(
        pairs=tuple(pairs),
        not_linked=tuple(t for t in lines.values() if t.is_open),
        not_on_report=tuple(remaining.values()),
    )


LOAN_CROSSCHECK_COLUMNS = (
    "status",
    "matched_by",
    "creditor",
    "report_account",
    "report_type",
    "report_open",
    "institution",
    "bank_loan",
    "bank_account",
    "kind",
    "report_balance",
    "report_balance_date",
    "bank_balance",
    "balance_difference",
    "balance_difference_pct",
    "balance_flag",
    "report_monthly_payment",
    "bank_payment",
    "note",
)
_LOAN_NUMBER_COLUMNS = (
    "report_balance",
    "bank_balance",
    "balance_difference",
    "balance_difference_pct",
    "report_monthly_payment",
    "bank_payment",
)
_KIND_WORDS = {"student": "student loan", "mortgage": "mortgage"}


def _loan_line_columns(line: Tradeline) -> dict[str, object]:
    return {
        "creditor": line.creditor,
        "report_account": line.account_number,
        "report_type": line.account_type,
        "report_open": line.is_open,
        "report_balance": line.balance,
        "report_balance_date": line.balance_date,
        "report_monthly_payment": line.monthly_payment,
    }


def _loan_columns(loan: LinkedLoan) -> dict[str, object]:
    return {
        "institution": loan.institution,
        "bank_loan": loan.name,
        "bank_account": f"••{loan.mask}" if loan.mask else "",
        "kind": _KIND_WORDS.get(loan.kind, loan.kind),
        "bank_balance": loan.current,
        "bank_payment": loan.payment,
    }


def _loan_pair_note(pair: LoanPair) -> str:
    line, loan = pair.tradeline, pair.loan
    notes = []
    if pair.rule == "kind and balance":
        notes.append(
            f"Matched as the only open {_KIND_WORDS.get(loan.kind, loan.kind)} on each side, "
            f"balances within {LOAN_BALANCE_PLAUSIBLE_SHARE:.0%}: the report names the lender "
            f"{line.creditor}. Check it is the same loan."
        )
    if not line.is_open:
        notes.append("Closed on the report but still linked at the bank.")
    if loan.currency != REPORT_CURRENCY:
        notes.append(f"The bank keeps this loan in {loan.currency}: amounts not compared.")
    notes.append(
        "The bank's balance is today's (interest since the last payment included); the "
        "report's is what the lender last sent."
    )
    return " ".join(notes)


def _loan_pair_row(pair: LoanPair) -> dict[str, object]:
    line, loan = pair.tradeline, pair.loan
    bank = loan.current if loan.currency == REPORT_CURRENCY else None
    gap, share = _difference(line.balance, bank)
    return {
        "status": "matched",
        "matched_by": pair.rule,
        **_loan_line_columns(line),
        **_loan_columns(loan),
        "balance_difference": gap,
        "balance_difference_pct": share,
        "balance_flag": balance_differs(gap, bank),
        "note": _loan_pair_note(pair),
    }


def loan_crosscheck_frame(
    tradelines: Sequence[Tradeline], loans: Sequence[LinkedLoan]
) -> pd.DataFrame:
    """One row per matched loan, then per open report loan of a kind Plaid describes that is
    not linked, then per linked loan not on the report; differences are report minus bank."""
    matches = match_loans(tradelines, loans)
    rows = [_loan_pair_row(p) for p in matches.pairs]
    rows += [
        {
            "status": "not linked",
            **_loan_line_columns(t),
            "kind": _KIND_WORDS.get(report_loan_kind(t) or "", ""),
            "note": "On the report, but no linked loan matches it.",
        }
        for t in matches.not_linked
    ]
    rows += [
        {
            "status": "not on report",
            **_loan_columns(c),
            "note": "Linked at the bank, but no loan on the report matches it.",
        }
        for c in matches.not_on_report
    ]
    frame = pd.DataFrame(rows, columns=list(LOAN_CROSSCHECK_COLUMNS))
    frame["balance_flag"] = frame["balance_flag"].astype("boolean").fillna(False).astype(bool)
    for column in _LOAN_NUMBER_COLUMNS:
        frame[column] = pd.to_numeric(frame[column], errors="coerce").astype("float64")
    return frame
