"""A deterministic demo body shaped like Experian's Consumer Credit Profile API v2 response.

`experian_demo_report(today)` returns `{"creditProfile": [profile]}` where every value is a
string, amounts are zero padded, dates are MMDDYYYY (the header's reportDate is MMDDYY) and all
dates are relative to `today`, so the demo never looks stale.

The person, creditors, subscriber codes and account numbers are fictional. Three revolving
accounts match the app's demo Plaid cards (HARBORLINE BANK x2, JUNIPER CARD SVCS).

Every code used is one `experian_codes` knows, except the public record's status: Experian's
public-record status codes could not be confirmed, so it deliberately shows the unknown path.
"""

from __future__ import annotations

from calendar import monthrange
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any

from integrations.demo.plaid import DemoPlaidItem, plaid_demo_items

# The one code in the body that `experian_codes` does not label (see the module docstring).
DEMO_UNKNOWN_PUBLIC_RECORD_STATUS = "15"

HISTORY_MONTHS_SHOWN = 25  # paymentHistory carries at most 25 months
ENHANCED_HISTORY_MONTHS = 84  # enhancedPaymentHistory84 carries at most 84 months


# --- Formatting helpers ------------------------------------------------------------------------


def _mmddyyyy(day: date) -> str:
    return day.strftime("%m%d%Y")


def _mmddyy(day: date) -> str:
    return day.strftime("%m%d%y")


def _amount(value: int, width: int = 8) -> str:
    return f"{value:0{width}d}"


def _shift_months(day: date, months: int, on_day: int | None = None) -> date:
    """The same day `months` later (negative: earlier), clamped to the month's length."""
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    wanted = on_day if on_day is not None else day.day
    return date(year, month, min(wanted, monthrange(year, month)[1]))


def _months_apart(start: date, end: date) -> int:
    """How many calendar months ``end``'s month is after ``start``'s."""
    return (end.year - start.year) * 12 + (end.month - start.month)


# --- Tradelines --------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Trade:
    creditor: str
    subscriber_code: str
    kob: str
    account_type: str
    account_number: str
    revolving: bool
    terms: str
    opened_months_ago: int
    opened_day: int
    amount: int  # credit limit (revolving) or original loan amount (installment)
    balance: int
    ecoa: str = "1"
    high_balance: int | None = None  # revolving only
    monthly_payment: int | None = None
    status: str = "11"
    condition: str = "A1"
    payment_status: str = "11"
    history_prefix: str = ""  # most recent months; the rest of the history is "C"
    delinquencies_30: int = 0
    evaluation: str = "P"
    report_lag_days: int = 10  # how long before today the creditor last reported
    closed_months_ago: int | None = None
    no_limit: bool = False  # charge cards report a high balance but no credit limit


_TRADES: tuple[_Trade, ...] = (
    _Trade(
        creditor="HARBORLINE BANK",
        subscriber_code="3104821",
        kob="BC",
        account_type="18",
        account_number="4264XXXXXXXX4821",
        revolving=True,
        terms="REV",
        opened_months_ago=80,
        opened_day=14,
        amount=8000,
        high_balance=3120,
        balance=1842,
        monthly_payment=55,
        report_lag_days=9,
    ),
    _Trade(
        creditor="HARBORLINE BANK",
        subscriber_code="3104821",
        kob="BC",
        account_type="18",
        account_number="4264XXXXXXXX7710",
        revolving=True,
        terms="REV",
        opened_months_ago=43,
        opened_day=3,
        amount=0,
        no_limit=True,  # a charge card: the bureau has no limit, as the bank has none
        high_balance=2210,
        balance=620,
        monthly_payment=25,
        report_lag_days=9,
    ),
    _Trade(
        creditor="JUNIPER CARD SVCS",
        subscriber_code="3207715",
        kob="NF",
        account_type="18",
        account_number="5178XXXXXXXX0374",
        revolving=True,
        terms="REV",
        opened_months_ago=51,
        opened_day=22,
        amount=3000,
        high_balance=2890,
        balance=2310,
        monthly_payment=69,
        status="31",  # current; was 30 days past due
        history_prefix="CCC1",
        delinquencies_30=1,
        evaluation="N",
        report_lag_days=15,
    ),
    _Trade(
        creditor="RIVERBEND CREDIT UNION",
        subscriber_code="4411306",
        kob="FC",
        account_type="18",
        account_number="4031XXXXXXXX0274",
        revolving=True,
        terms="REV",
        opened_months_ago=66,
        opened_day=8,
        amount=3000,
        high_balance=1180,
        balance=240,
        monthly_payment=25,
        report_lag_days=12,
    ),
    _Trade(
        creditor="MAPLEWOOD DEPT STORE",
        subscriber_code="2908843",
        kob="DC",
        account_type="07",
        account_number="6035XXXXXXXX9912",
        revolving=True,
        terms="REV",
        opened_months_ago=70,
        opened_day=27,
        amount=1500,
        high_balance=640,
        balance=0,
        history_prefix="000",
        report_lag_days=18,
    ),
    _Trade(
        creditor="NORTHGATE BANK CARD",
        subscriber_code="1509027",
        kob="BC",
        account_type="18",
        account_number="4190XXXXXXXX6605",
        revolving=True,
        terms="REV",
        opened_months_ago=84,
        opened_day=2,
        amount=2500,
        high_balance=1975,
        balance=0,
        status="13",  # paid account, zero balance
        condition="A3",  # closed
        history_prefix="B0",
        closed_months_ago=14,
    ),
    _Trade(
        creditor="SUMMIT AUTO FINANCE",
        subscriber_code="2735518",
        kob="FA",
        account_type="00",
        account_number="80417XXXX",
        revolving=False,
        terms="060",
        opened_months_ago=32,
        opened_day=19,
        amount=24500,
        balance=11230,
        monthly_payment=452,
        report_lag_days=7,
    ),
    _Trade(
        creditor="CEDARLINE STUDENT LOAN",
        subscriber_code="6618204",
        kob="EL",
        account_type="12",
        account_number="57100XXXXXX",
        revolving=False,
        terms="120",
        opened_months_ago=76,
        opened_day=11,
        amount=18000,
        balance=9870,
        monthly_payment=196,
        report_lag_days=13,
    ),
    _Trade(
        creditor="BRIGHTWATER MORTGAGE",
        subscriber_code="1182640",
        kob="FM",
        account_type="26",
        account_number="7700XXXX31",
        revolving=False,
        terms="360",
        opened_months_ago=58,
        opened_day=6,
        amount=285000,
        balance=251400,
        monthly_payment=1790,
        ecoa="2",
        report_lag_days=6,
    ),
    _Trade(
        creditor="OAKRIDGE LENDING",
        subscriber_code="3360912",
        kob="FP",
        account_type="01",
        account_number="20633XXXX",
        revolving=False,
        terms="036",
        opened_months_ago=8,
        opened_day=9,
        amount=6000,
        balance=5010,
        monthly_payment=198,
        report_lag_days=11,
    ),
)

# The personal loan's application: the older hard inquiry.
_LOAN_INQUIRY_DAYS_BEFORE_OPENING = 4


def _trade_dates(trade: _Trade, today: date) -> tuple[date, date]:
    """(open date, balance date) of a trade."""
    opened = _shift_months(today, -trade.opened_months_ago, trade.opened_day)
    if trade.closed_months_ago is not None:
        balance_date = _shift_months(today, -trade.closed_months_ago, 20)
    else:
        balance_date = today - timedelta(days=trade.report_lag_days)
    return opened, max(opened, balance_date)


def _history(trade: _Trade, months: int) -> str:
    """The month-by-month history, most recent first, covering `months` months."""
    return (trade.history_prefix + "C" * months)[:months]


def _trades_matching_the_bank(
    today: date, bank_items: Sequence[DemoPlaidItem] | None
) -> tuple[_Trade, ...]:
    """The three cards the demo person also links through Plaid report, as bureaus do, the
    balance of their last statement; the bank's demo data decides what that was."""
    items = plaid_demo_items(today) if bank_items is None else bank_items
    statements = {
        card["account_id"]: card["last_statement_balance"]
        for item in items
        if item.liabilities_get
        for card in item.liabilities_get["liabilities"]["credit"]
    }
    masks = {
        account["mask"]: statements[account["account_id"]]
        for item in items
        for account in item.accounts_get["accounts"]
        if account["account_id"] in statements
    }
    trades = []
    for trade in _TRADES:
        statement = masks.get(trade.account_number[-4:])
        if statement is None or trade.closed_months_ago is not None:
            trades.append(trade)
            continue
        balance = max(round(statement), 0)
        high = max(trade.high_balance or 0, balance)
        trades.append(replace(trade, balance=balance, high_balance=high))
    return tuple(trades)


def _tradeline(trade: _Trade, today: date) -> dict[str, Any]:
    opened, balance_date = _trade_dates(trade, today)
    months = min(max(_months_apart(opened, balance_date), 1), 99)
    history = _history(trade, min(months, ENHANCED_HISTORY_MONTHS))
    status_date = balance_date.replace(day=1)
    last_payment = balance_date - timedelta(days=9)
    if trade.balance == 0 and trade.history_prefix.startswith("0"):
        last_payment = _shift_months(balance_date, -len(trade.history_prefix), 12)

    enhanced: dict[str, str] = {
        "enhancedAccountCondition": trade.condition,
        "enhancedAccountType": trade.account_type,
        "enhancedPaymentHistory84": history,
        "enhancedPaymentStatus": trade.payment_status,
        "enhancedTerms": trade.terms,
    }
    line: dict[str, Any] = {
        "accountNumber": trade.account_number,
        "accountType": trade.account_type,
        "amount1": _amount(trade.amount),
        "amount1Qualifier": "L" if trade.revolving else "O",
    }
    if trade.no_limit:
        high = max(trade.high_balance or 0, trade.balance)
        line["amount1"], line["amount1Qualifier"] = _amount(high), "H"
        enhanced["highBalanceAmount"] = _amount(high, 10)
    elif trade.revolving:
        high = trade.high_balance if trade.high_balance is not None else trade.balance
        line["amount2"] = _amount(high)
        line["amount2Qualifier"] = "H"
        enhanced["creditLimitAmount"] = _amount(trade.amount, 10)
        enhanced["highBalanceAmount"] = _amount(high, 10)
    else:
        enhanced["originalLoanAmount"] = _amount(trade.amount, 10)
        enhanced["enhancedTermsFrequency"] = "M"
    enhanced["paymentLevelDate"] = _mmddyyyy(status_date)

    line.update(
        {
            "balanceAmount": _amount(trade.balance),
            "balanceDate": _mmddyyyy(balance_date),
            "delinquencies30Days": f"{trade.delinquencies_30:02d}",
            "delinquencies60Days": "00",
            "delinquencies90to180Days": "00",
            "derogCounter": "00",
            "ecoa": trade.ecoa,
            "enhancedPaymentData": dict(sorted(enhanced.items())),
            "evaluation": trade.evaluation,
            "kob": trade.kob,
            "lastPaymentDate": _mmddyyyy(last_payment),
        }
    )
    if trade.monthly_payment is not None and trade.closed_months_ago is None:
        line["monthlyPaymentAmount"] = _amount(trade.monthly_payment)
    line.update(
        {
            "monthsHistory": f"{months:02d}",
            "openDate": _mmddyyyy(opened),
            "openOrClosed": "C" if trade.closed_months_ago is not None else "O",
            "paymentHistory": history[:HISTORY_MONTHS_SHOWN],
            "revolvingOrInstallment": "R" if trade.revolving else "I",
            "status": trade.status,
            "statusDate": _mmddyyyy(status_date),
            "subscriberCode": trade.subscriber_code,
            "subscriberName": trade.creditor,
            "terms": trade.terms,
        }
    )
    return line


# --- Other segments ----------------------------------------------------------------------------


def _inquiries(today: date) -> list[dict[str, str]]:
    loan = next(t for t in _TRADES if t.creditor == "OAKRIDGE LENDING")
    loan_opened, _ = _trade_dates(loan, today)
    loan_inquiry = loan_opened - timedelta(days=_LOAN_INQUIRY_DAYS_BEFORE_OPENING)
    return [
        {
            # A credit card application twelve days ago: hard.
            "amount": "UNKNOWN",
            "date": _mmddyyyy(today - timedelta(days=12)),
            "kob": "BC",
            "subscriberCode": "3104821",
            "subscriberName": "HARBORLINE BANK",
            "terms": "REV",
            "type": "18",
        },
        {
            # A promotional (prescreen) inquiry: soft.
            "amount": "UNKNOWN",
            "date": _mmddyyyy(today - timedelta(days=41)),
            "kob": "BC",
            "subscriberCode": "1877342",
            "subscriberName": "LAKESHORE BANK CARD",
            "terms": "UNK",
            "type": "83",
        },
        {
            # The personal loan application, about eight months ago: hard.
            "amount": _amount(loan.amount),
            "date": _mmddyyyy(loan_inquiry),
            "kob": loan.kob,
            "subscriberCode": loan.subscriber_code,
            "subscriberName": loan.creditor,
            "terms": loan.terms,
            "type": loan.account_type,
        },
    ]


def _public_records(today: date) -> list[dict[str, str]]:
    # Bankruptcy is the only public record type still on US consumer credit reports; a
    # Chapter 7 stays ten years from filing. A bankruptcy has no plaintiff, so no plaintiffName.
    filed = _shift_months(today, -92, 18)
    status_date = _shift_months(filed, 4, 21)
    return [
        {
            "amount": _amount(31850),
            "courtCode": "9990417",
            "courtName": "US BKPT CT DEMO DIST",
            "ecoa": "1",
            "evaluation": "N",
            "filingDate": _mmddyyyy(filed),
            "referenceNumber": "DEMO1710842",
            "status": DEMO_UNKNOWN_PUBLIC_RECORD_STATUS,
            "statusDate": _mmddyyyy(status_date),
        }
    ]


def _summaries(today: date, tradelines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    open_lines = [t for t in tradelines if t["openOrClosed"] == "O"]
    revolving = [t for t in open_lines if t["revolvingOrInstallment"] == "R"]
    mortgages = [t for t in open_lines if t["accountType"] == "26"]
    installment = [
        t for t in open_lines if t["revolvingOrInstallment"] == "I" and t not in mortgages
    ]

    def total(lines: list[dict[str, Any]], key: str) -> int:
        return sum(int(t[key]) for t in lines if key in t)

    # Charge cards carry a high balance in amount1, not a limit: they stay out of the ratio.
    with_limit = [t for t in revolving if t["amount1Qualifier"] == "L"]
    limits = total(with_limit, "amount1")
    limited_balance = total(with_limit, "balanceAmount")
    revolving_balance = total(revolving, "balanceAmount")
    available = round(100 * (limits - limited_balance) / limits) if limits else 0
    recent = today - timedelta(days=183)
    inquiries = _inquiries(today)
    oldest = min(
        date(int(t["openDate"][4:]), int(t["openDate"][:2]), int(t["openDate"][2:4]))
        for t in tradelines
    )
    late = [t for t in tradelines if int(t["delinquencies30Days"]) > 0]
    attributes = {
        "publicRecordsCount": "1",
        "installmentBalance": str(total(installment, "balanceAmount")),
        "realEstateBalance": str(total(mortgages, "balanceAmount")),
        "revolvingBalance": str(revolving_balance),
        "pastDueAmount": "0",
        "monthlyPayment": str(total(open_lines, "monthlyPaymentAmount")),
        "realEstatePayment": str(total(mortgages, "monthlyPaymentAmount")),
        "revolvingAvailablePercent": str(available),
        "totalInquiries": str(len(inquiries)),
        "inquiriesDuringLast6Months": str(
            sum(
                1
                for i in inquiries
                if date(int(i["date"][4:]), int(i["date"][:2]), int(i["date"][2:4])) >= recent
            )
        ),
        "totalTradeItems": str(len(tradelines)),
        "paidAccounts": str(len(tradelines) - len(open_lines)),
        "satisfactoryAccounts": str(len(tradelines) - len(late)),
        "nowDelinquentDerog": "0",
        "wasDelinquentDerog": str(len(late)),
        "oldestTradeDate": _mmddyyyy(oldest),
        "delinquencies30Days": str(total(tradelines, "delinquencies30Days")),
        "delinquencies60Days": "0",
        "delinquencies90to180Days": "0",
        "derogCounter": "0",
    }
    return [
        {
            "summaryType": "Profile Summary",
            "attributes": [{"id": key, "value": value} for key, value in attributes.items()],
        }
    ]


def experian_demo_report(today: date, bank_items: Sequence[DemoPlaidItem] | None = None) -> dict:
    """A credit-report response for a fictional consumer, dated `today`. ``bank_items``: the
    Plaid demo items already built for the same day, if the caller has them (saves building
    them again)."""
    trades = _trades_matching_the_bank(today, bank_items)
    tradelines = [_tradeline(trade, today) for trade in trades]
    profile: dict[str, Any] = {
        "headerRecord": [
            {
                "reportDate": _mmddyy(today),
                "reportTime": "101522",
                "preamble": "TCA7",
                "versionNo": "07",
                "mKeywordLength": "00",
                "y2kReportedDate": _mmddyyyy(today),
            }
        ],
        "addressInformation": [
            {
                "city": "SPRINGFIELD",
                "dwellingType": "S",
                "firstReportedDate": _mmddyyyy(_shift_months(today, -58, 6)),
                "lastReportingSubscriberCode": "1182640",
                "lastUpdatedDate": _mmddyyyy(today - timedelta(days=6)),
                "source": "2",
                "state": "IL",
                "streetName": "LARKSPUR",
                "streetPrefix": "1420",
                "streetSuffix": "LN",
                "timesReported": "41",
                "zipCode": "627040000",
            },
            {
                "city": "SPRINGFIELD",
                "dwellingType": "A",
                "firstReportedDate": _mmddyyyy(_shift_months(today, -97, 2)),
                "lastUpdatedDate": _mmddyyyy(_shift_months(today, -59, 15)),
                "source": "1",
                "state": "IL",
                "streetName": "MONROE",
                "streetPrefix": "88 W",
                "streetSuffix": "ST",
                "timesReported": "00",
                "unitId": "4B",
                "unitType": "APT",
                "zipCode": "627010000",
            },
        ],
        "consumerIdentity": {
            "dob": {"day": "14", "month": "03", "year": "1986"},
            "name": [
                {
                    "firstName": "JORDAN",
                    "middleName": "Q",
                    "surname": "DEMOPERSON",
                    "type": "N",
                }
            ],
            "phone": [{"number": "2175550147", "source": "1"}],
        },
        "employmentInformation": [
            {
                "firstReportedDate": _mmddyyyy(_shift_months(today, -40, 1)),
                "lastUpdatedDate": _mmddyyyy(_shift_months(today, -3, 1)),
                "name": "NORTHWIND LOGISTICS",
                "source": "2",
            }
        ],
        "informationalMessage": [
            {"messageNumber": "84", "messageNumberDetailed": "0084", "messageText": "SSN MATCHES"}
        ],
        "inquiry": _inquiries(today),
        "publicRecord": _public_records(today),
        "riskModel": [
            {
                "evaluation": "P",
                "modelIndicator": "V4",
                "score": "0712",
                "scoreFactors": [
                    {"importance": "1", "code": "32"},
                    {"importance": "2", "code": "98"},
                    {"importance": "3", "code": "15"},
                    {"importance": "4", "code": "13"},
                ],
                "scorePercentile": "54",
            }
        ],
        "ssn": [{"number": "666104321"}],
        "summaries": _summaries(today, tradelines),
        "tradeline": tradelines,
    }
    return {"creditProfile": [profile]}
