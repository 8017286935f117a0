"""Parse an Experian Consumer Credit Profile (v2) credit-report body into a CreditReport.

Every value in the body is a string: zero-padded numbers, MMDDYYYY dates (MMDDYY in the
header), amounts with qualifiers. Missing sections are normal; unknown codes are labelled
"unknown (code X)". Account numbers are kept masked; date of birth and SSN are not kept.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from integrations.experian import codes
from integrations.models import (
    Address,
    ConsumerIdentity,
    CreditReport,
    Inquiry,
    PaymentMonth,
    PublicRecord,
    RiskScore,
    ScoreFactor,
    Tradeline,
)

Body = Mapping[str, Any]
MAX_DIGITS = 15  # amounts and counts beyond this are not real values


class ExperianBodyError(ValueError):
    """The body is not a credit report we can read. Carries no personal data."""


def _list(body: Body, key: str) -> Sequence[Body]:
    value = body.get(key)
    if not isinstance(value, list):
        return ()
    return tuple(v for v in value if isinstance(v, Mapping))


def _text(value: Any) -> str:
    return str(value).strip() if value is not None else ""


def _digits(text: str) -> bool:
    # isdigit() alone accepts superscripts and other scripts' digits that int() rejects.
    return 0 < len(text) <= MAX_DIGITS and text.isascii() and text.isdigit()


def _int(value: Any) -> int | None:
    text = _text(value)
    negative = text.startswith("-")
    digits = text[1:] if negative else text
    return (-int(digits) if negative else int(digits)) if _digits(digits) else None


def _count(value: Any) -> int:
    return _int(value) or 0


def _amount(value: Any) -> float | None:
    text = _text(value)
    return float(int(text)) if _digits(text) else None


def _date(value: Any) -> date | None:
    """MMDDYYYY or MMDDYY; anything else (including blanks) is no date."""
    text = _text(value)
    formats = {8: "%m%d%Y", 6: "%m%d%y"}
    if not _digits(text) or len(text) not in formats:
        return None
    try:
        return datetime.strptime(text, formats[len(text)]).date()
    except ValueError:
        return None


def _month_back(anchor: date, months: int) -> date:
    year, month = divmod(anchor.year * 12 + anchor.month - 1 - months, 12)
    return date(year, month + 1, 1)


def mask_account_number(raw: Any) -> str:
    """Only the last four characters, which is how the account is recognised on a statement;
    characters the bureau itself masked (X) stay masked."""
    visible = "".join(c for c in _text(raw) if c.isalnum())[-4:]
    shown = "".join("•" if c in "xX" else c for c in visible)
    return f"••{shown}" if visible else ""


def _history_text(value: Any) -> str:
    # One character a month, newest first: a leading blank is a month without data, so only
    # trailing padding may go.
    return str(value).rstrip() if value is not None else ""


def _payment_history(raw: Body, report_date: date | None) -> tuple[PaymentMonth, ...]:
    """Newest month first. The enhanced 84-month history, where present, covers more."""
    enhanced = raw.get("enhancedPaymentData")
    long_history = (
        _history_text(enhanced.get("enhancedPaymentHistory84"))
        if isinstance(enhanced, Mapping)
        else ""
    )
    history = max(_history_text(raw.get("paymentHistory")), long_history, key=len)
    anchor = _date(raw.get("balanceDate")) or _date(raw.get("statusDate")) or report_date
    if not history or anchor is None:
        return ()
    months = []
    for offset, char in enumerate(history):
        decoded = codes.decode_payment_month(char)
        months.append(
            PaymentMonth(
                month=_month_back(anchor, offset),
                code=decoded.code,
                label=decoded.label,
                status=decoded.status,
                days_late=decoded.days_late,
            )
        )
    return tuple(months)


def _qualified_amounts(raw: Body) -> dict[str, float]:
    """amount1/amount2 with their qualifiers: L limit, H high balance, O original amount."""
    found: dict[str, float] = {}
    for slot in ("amount1", "amount2"):
        qualifier = _text(raw.get(f"{slot}Qualifier")).upper()
        amount = _amount(raw.get(slot))
        if qualifier and amount is not None:
            found.setdefault(qualifier, amount)
    return found


def parse_tradeline(raw: Body, report_date: date | None) -> Tradeline:
    amounts = _qualified_amounts(raw)
    enhanced = raw.get("enhancedPaymentData")
    enhanced = enhanced if isinstance(enhanced, Mapping) else {}
    kind_code = _text(raw.get("revolvingOrInstallment")).upper()
    account_type = _text(raw.get("accountType"))
    status = _text(raw.get("status"))
    return Tradeline(
        creditor=_text(raw.get("subscriberName")) or "Unknown creditor",
        account_number=mask_account_number(raw.get("accountNumber")),
        account_type_code=account_type,
        account_type=codes.account_type_label(account_type),
        kind_of_business=codes.kind_of_business_label(_text(raw.get("kob"))),
        open_date=_date(raw.get("openDate")),
        is_open=_text(raw.get("openOrClosed")).upper() != "C",
        kind={"R": "revolving", "I": "installment"}.get(kind_code, "unknown"),
        credit_limit=amounts.get("L", _amount(enhanced.get("creditLimitAmount"))),
        high_balance=amounts.get("H", _amount(enhanced.get("highBalanceAmount"))),
        original_amount=amounts.get("O", _amount(enhanced.get("originalLoanAmount"))),
        balance=_amount(raw.get("balanceAmount")),
        balance_date=_date(raw.get("balanceDate")),
        monthly_payment=_amount(raw.get("monthlyPaymentAmount")),
        last_payment_date=_date(raw.get("lastPaymentDate")),
        status_code=status,
        status=codes.account_status_label(status),
        status_date=_date(raw.get("statusDate")),
        payment_history=_payment_history(raw, report_date),
        delinquencies_30=_count(raw.get("delinquencies30Days")),
        delinquencies_60=_count(raw.get("delinquencies60Days")),
        delinquencies_90_plus=_count(raw.get("delinquencies90to180Days")),
        derogatory_count=_count(raw.get("derogCounter")),
    )


def parse_inquiry(raw: Body) -> Inquiry:
    type_code = _text(raw.get("type"))
    kob = _text(raw.get("kob"))
    return Inquiry(
        date=_date(raw.get("date")),
        subscriber_name=_text(raw.get("subscriberName")) or "Unknown company",
        kind_of_business=codes.kind_of_business_label(kob),
        type_code=type_code,
        kind=codes.inquiry_kind(type_code, kob),
    )


def parse_public_record(raw: Body) -> PublicRecord:
    status = _text(raw.get("status"))
    return PublicRecord(
        court_name=_text(raw.get("courtName")) or "Unknown court",
        filing_date=_date(raw.get("filingDate")),
        amount=_amount(raw.get("amount")),
        status_code=status,
        status=codes.public_record_status_label(status),
        status_date=_date(raw.get("statusDate")),
        plaintiff=_text(raw.get("plaintiffName")) or None,
    )


def parse_risk_model(raw: Body) -> RiskScore:
    indicator = _text(raw.get("modelIndicator"))
    info = codes.risk_model_info(indicator)
    score = _int(raw.get("score"))
    # Scores outside the model's range are exclusion codes (no score could be computed).
    if score is not None and not info.min_score <= score <= info.max_score:
        score = None
    factors = sorted(
        (
            ScoreFactor(
                importance=_int(f.get("importance")) or 99,
                code=_text(f.get("code")),
                description=codes.score_factor_label(indicator, _text(f.get("code"))),
            )
            for f in _list(raw, "scoreFactors")
        ),
        key=lambda f: f.importance,
    )
    return RiskScore(
        model_indicator=indicator,
        model_name=info.name,
        score=score,
        min_score=info.min_score,
        max_score=info.max_score,
        band=codes.score_band(score, info) if score is not None else "No score",
        percentile=_int(raw.get("scorePercentile")),
        factors=tuple(factors),
    )


def _identity(profile: Body) -> ConsumerIdentity:
    identity = profile.get("consumerIdentity")
    identity = identity if isinstance(identity, Mapping) else {}
    names = tuple(
        " ".join(p for p in (_text(n.get(k)) for k in ("firstName", "middleName", "surname")) if p)
        for n in _list(identity, "name")
    )
    addresses = tuple(
        Address(
            street=" ".join(
                p
                for p in (_text(a.get(k)) for k in ("streetPrefix", "streetName", "streetSuffix"))
                if p
            ),
            city=_text(a.get("city")),
            state=_text(a.get("state")),
            zip_code=_text(a.get("zipCode")),
            first_reported=_date(a.get("firstReportedDate")),
            last_updated=_date(a.get("lastUpdatedDate")),
        )
        for a in _list(profile, "addressInformation")
    )
    employers = tuple(
        _text(e.get("name")) for e in _list(profile, "employmentInformation") if e.get("name")
    )
    return ConsumerIdentity(
        names=tuple(n for n in names if n), addresses=addresses, employers=employers
    )


def parse_credit_report(body: Body) -> CreditReport:
    profiles = body.get("creditProfile") if isinstance(body, Mapping) else None
    if not isinstance(profiles, list) or not profiles or not isinstance(profiles[0], Mapping):
        raise ExperianBodyError("The response holds no credit profile.")
    profile = profiles[0]
    headers = _list(profile, "headerRecord")
    report_date = _date(headers[0].get("reportDate")) if headers else None
    return CreditReport(
        report_date=report_date,
        scores=tuple(parse_risk_model(r) for r in _list(profile, "riskModel")),
        tradelines=tuple(parse_tradeline(t, report_date) for t in _list(profile, "tradeline")),
        inquiries=tuple(parse_inquiry(i) for i in _list(profile, "inquiry")),
        public_records=tuple(parse_public_record(p) for p in _list(profile, "publicRecord")),
        identity=_identity(profile),
        messages=tuple(
            _text(m.get("messageText"))
            for m in _list(profile, "informationalMessage")
            if m.get("messageText")
        ),
    )
