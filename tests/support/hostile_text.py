"""Hostile upstream text, and Plaid and Experian bodies that carry it everywhere a person's
data can hold text: names of institutions, accounts, merchants, creditors, courts, the
consumer's own name and address, bureau messages, codes, currencies and error codes.

Each string is something that would turn into markup if a page passed it to a
Markdown-rendering element unescaped: HTML, a script, links, images, autolinks, Streamlit's
colour and icon directives, LaTeX, a code fence; plus text that is awkward rather than
active: 5,000 characters, control characters, a right-to-left override.

The bodies are deep copies of the demo bodies with their text replaced, so every number,
date and id keeps its shape and each page has something to show (alerts, recurring
payments, unusual charges, a due payment, late payments, a recent hard inquiry).
"""

from __future__ import annotations

import copy
import dataclasses
import re
from collections.abc import Iterator
from datetime import date
from typing import Any

from integrations.demo.experian import experian_demo_report
from integrations.demo.plaid import DemoPlaidItem, plaid_demo_items
from integrations.experian.parse import parse_credit_report
from services.analytics.credit import recent_hard_inquiries, recent_late_payments
from tests.support.plaid_double import Fault

HTML_IMAGE = "<img src=x onerror=alert(1)>"
SCRIPT = "<script>alert(1)</script>"
HTML_LINK = '<a href="https://evil.example/a">a</a>'
MARKDOWN_LINK = "[click me](https://evil.example/phish)"
JAVASCRIPT_LINK = "[js](javascript:alert(1))"
MARKDOWN_IMAGE = "![x](https://evil.example/x.png)"
AUTOLINK = "<https://evil.example>"
BARE_URL = "see https://evil.example/bare"
WWW_NAME = "www.evil.example"
EMAIL = "phish@evil.example"
COLOUR_DIRECTIVE = ":red[boom]"
ICON_DIRECTIVE = ":material/warning:"
LATEX = "$x^2$"
CODE_FENCE = "```python\nimport os  # an unterminated fence swallows what follows"
CONTROL_CHARACTERS = "bad\x00name\x1b[31m red\r\nsecond line\x7f"
RIGHT_TO_LEFT = "\u202eevil.exe"
LONG = ("Very long name " * 334)[:4999] + "."  # 5,000 characters

# Would become markup if rendered as Markdown unescaped.
MARKUP = (
    HTML_IMAGE,
    SCRIPT,
    HTML_LINK,
    MARKDOWN_LINK,
    JAVASCRIPT_LINK,
    MARKDOWN_IMAGE,
    AUTOLINK,
    BARE_URL,
    WWW_NAME,
    EMAIL,
    COLOUR_DIRECTIVE,
    ICON_DIRECTIVE,
    LATEX,
    CODE_FENCE,
)
# Awkward rather than active.
AWKWARD = (CONTROL_CHARACTERS, RIGHT_TO_LEFT, LONG)
HOSTILE = MARKUP + AWKWARD

# CommonMark markup that must never reach a Markdown renderer unescaped (checked on the text
# with escaped characters taken out: see tests/pages/test_untrusted_text.py).
MARKERS = (
    "<img",
    "<script",
    "<a ",
    "<https",
    "](",
    "![",
    ":red[boom",
    "$x^2$",
    "```",
)
# Acted on wherever they stand, escaped or not (checked on the text with escapes resolved):
# GitHub-flavoured autolinks (URLs, www. names, e-mail addresses) and Streamlit's
# ":material/" icons.
FOUND_AFTER_ESCAPES = re.compile(
    r"(?i)\b(?:https?://|www\.)[-\w]|[-.\w+]+@[-\w]+\.[-\w]|:material/"
)

# MARKUP split over the places whose alerts fire on every day of the demo: the three cards,
# the newest hard inquiry and the creditor with the newest late payment.
ALERT_GROUPS = (MARKUP[0:3], MARKUP[3:6], MARKUP[6:9], MARKUP[9:12], MARKUP[12:])
CARD_GROUPS, INQUIRY_GROUP, LATE_PAYMENT_GROUP = ALERT_GROUPS[:3], *ALERT_GROUPS[3:]

# A currency code (Plaid's unofficial_currency_code is free text) that is itself a link.
HOSTILE_CURRENCY = MARKDOWN_LINK
HOSTILE_TOKENS = ("access-sandbox-hostile-bank", "access-sandbox-hostile-cards")
BROKEN_TOKEN = "access-sandbox-hostile-broken"
HOSTILE_ERROR_CODE = f"{MARKDOWN_LINK}{HTML_IMAGE}"
HOSTILE_DISPLAY_MESSAGE = f"{SCRIPT} {MARKDOWN_IMAGE} {COLOUR_DIRECTIVE}"
INSTITUTIONS = (
    f"{HTML_IMAGE} Harborline {MARKDOWN_LINK} {LATEX}",
    f"{SCRIPT}{AUTOLINK} {COLOUR_DIRECTIVE} Juniper {WWW_NAME} {JAVASCRIPT_LINK} {LATEX} "
    f"{ICON_DIRECTIVE} {CODE_FENCE} {RIGHT_TO_LEFT}",
)


def hostile(index: int) -> str:
    """The hostile strings in turn, for as many fields as there are."""
    return HOSTILE[index % len(HOSTILE)]


def _each_account(item: DemoPlaidItem) -> Iterator[dict[str, Any]]:
    """Every account object of an Item: /accounts/get, each sync page, /liabilities/get."""
    bodies = [item.accounts_get, *item.transactions_sync_pages]
    if item.liabilities_get is not None:
        bodies.append(item.liabilities_get)
    for body in bodies:
        yield from body.get("accounts") or ()


def _each_transaction(item: DemoPlaidItem) -> Iterator[dict[str, Any]]:
    for page in item.transactions_sync_pages:
        yield from page["added"]
        yield from page["modified"]


def _rename(item: DemoPlaidItem, institution: str, first: int) -> None:
    """Hostile institution, account and merchant names, the same for the same original.
    The institution gets an id of its own: the double answers /institutions/get_by_id with
    the first Item it holds at that id, and the demo Items hold the demo ids."""
    institution_id = f"ins_hostile_{first}"
    item.item_get["item"].update(institution_id=institution_id, institution_name=institution)
    item.institution["institution"].update(institution_id=institution_id, name=institution)
    names: dict[str, int] = {}
    for account in _each_account(item):
        number = names.setdefault(account["account_id"], first + len(names))
        account["name"] = f"{hostile(number)} card {number}"
        account["official_name"] = f"{hostile(number + 1)} official {number}"
    merchants: dict[str, int] = {}
    for transaction in _each_transaction(item):
        original = transaction["merchant_name"] or transaction["name"]
        # Kept apart per original merchant, so recurring and unusual charges are still found.
        number = merchants.setdefault(original, first + len(merchants))
        if transaction["merchant_name"] is not None:
            transaction["merchant_name"] = f"{hostile(number)} {original}"
        transaction["name"] = f"{hostile(number + 3)} {transaction['name']}"
        category = transaction.get("personal_finance_category")
        if category and category["primary"] == "ENTERTAINMENT":
            category["primary"] = f"ENTERTAINMENT {COLOUR_DIRECTIVE}{HTML_IMAGE}"
            category["detailed"] = f"{category['primary']}_{MARKDOWN_LINK}"


def _in_hostile_currency(item: DemoPlaidItem, balance: float) -> None:
    """The Item's accounts and transactions in a currency whose code is a Markdown link."""
    for account in _each_account(item):
        account["balances"].update(
            iso_currency_code=None, unofficial_currency_code=HOSTILE_CURRENCY, current=balance
        )
    for transaction in _each_transaction(item):
        transaction.update(iso_currency_code=None, unofficial_currency_code=HOSTILE_CURRENCY)


def _name_cards_that_alert(items: tuple[DemoPlaidItem, ...]) -> None:
    """Each demo card raises an alert on every day (high utilization, a payment overdue or
    due soon): their names carry the first groups of MARKUP, so the alerts show them."""
    groups = iter(ALERT_GROUPS)
    for item in items:
        names: dict[str, str] = {}
        for account in _each_account(item):
            if account["type"] == "credit":
                if account["account_id"] not in names:
                    names[account["account_id"]] = f"{' '.join(next(groups))} card"
                account["name"] = names[account["account_id"]]


def hostile_plaid_items(
    today: date, demo_items: tuple[DemoPlaidItem, ...] | None = None
) -> tuple[DemoPlaidItem, DemoPlaidItem]:
    """The two demo Items with hostile text in every name. The second Item's card is in a
    hostile currency and carries a balance, so that currency is shown on its own.
    ``demo_items``: that day's demo items, if the caller has them (they are changed)."""
    bank, cards = demo_items or plaid_demo_items(today)  # built anew on every call
    bank = dataclasses.replace(bank, access_token=HOSTILE_TOKENS[0])
    cards = dataclasses.replace(cards, access_token=HOSTILE_TOKENS[1])
    _rename(bank, INSTITUTIONS[0], first=0)
    _rename(cards, INSTITUTIONS[1], first=7)
    _name_cards_that_alert((bank, cards))
    _in_hostile_currency(cards, balance=2500.0)
    return bank, cards


def broken_item_fault() -> Fault:
    """A Plaid error whose code and display_message are hostile (the app keeps neither's
    free text, but it does show the code)."""
    return Fault(
        "plaid_error",
        error_type="ITEM_ERROR",
        error_code=HOSTILE_ERROR_CODE,
        display_message=HOSTILE_DISPLAY_MESSAGE,
        times=10_000,
    )


def no_liabilities_fault() -> Fault:
    """Plaid's answer for an institution that does not share liabilities: a note naming it."""
    return Fault(
        "plaid_error", error_type="ITEM_ERROR", error_code="PRODUCTS_NOT_SUPPORTED", times=10_000
    )


def hostile_experian_report(
    today: date, demo_items: tuple[DemoPlaidItem, ...] | None = None
) -> dict[str, Any]:
    """The demo credit report with hostile creditors, inquirers, court, plaintiff, messages,
    employer, the consumer's name and addresses, codes, and a second score model."""
    body = copy.deepcopy(experian_demo_report(today, demo_items))
    profile = body["creditProfile"][0]
    for number, tradeline in enumerate(profile["tradeline"]):
        tradeline["subscriberName"] = f"{hostile(number)} LENDER {number}"
    odd = profile["tradeline"][-1]
    odd.update(accountType=SCRIPT, kob=MARKDOWN_LINK, status=HTML_IMAGE)
    for number, inquiry in enumerate(profile["inquiry"]):
        inquiry["subscriberName"] = f"{hostile(number + 5)} INQUIRER {number}"
    profile["inquiry"][-1]["type"] = MARKDOWN_IMAGE
    for record in profile["publicRecord"]:
        record.update(
            courtName=f"{MARKDOWN_IMAGE} COURT {LONG}",
            plaintiffName=f"{HTML_LINK} {CONTROL_CHARACTERS}",
            status=COLOUR_DIRECTIVE,
        )
    profile["informationalMessage"] = [
        {"messageNumber": str(number), "messageText": text} for number, text in enumerate(HOSTILE)
    ]
    profile["consumerIdentity"]["name"] = [
        {"firstName": HTML_IMAGE, "middleName": MARKDOWN_LINK, "surname": SCRIPT, "type": "N"},
        {"firstName": RIGHT_TO_LEFT, "surname": COLOUR_DIRECTIVE, "type": "A"},
    ]
    for number, address in enumerate(profile["addressInformation"]):
        address.update(
            streetName=hostile(number),
            city=hostile(number + 3),
            state=ICON_DIRECTIVE,
            zipCode=LATEX,
        )
    profile["employmentInformation"] = [{"name": f"{AUTOLINK} {CODE_FENCE}"}]
    _name_what_alerts(profile, today)
    primary = profile["riskModel"][0]
    primary["scoreFactors"][-1]["code"] = MARKDOWN_LINK
    profile["riskModel"].append(
        {
            "modelIndicator": f"{HTML_IMAGE}{COLOUR_DIRECTIVE}",
            "score": "0700",
            "scoreFactors": [{"importance": "1", "code": ICON_DIRECTIVE}],
        }
    )
    return body


def _name_what_alerts(profile: dict[str, Any], today: date) -> None:
    """The inquirer and the creditor that the overview's alerts name on this day (the newest
    hard inquiry, the newest late payment) carry the last groups of MARKUP."""
    numbered = copy.deepcopy(profile)  # the same report, each name its position
    for field in ("inquiry", "tradeline"):
        for number, entry in enumerate(numbered[field]):
            entry["subscriberName"] = str(number)
    report = parse_credit_report({"creditProfile": [numbered]})
    newest_inquiry = max(recent_hard_inquiries(report, today), key=lambda i: i.date or today)
    newest_late = recent_late_payments(report, today)[0]
    inquiry = profile["inquiry"][int(newest_inquiry.subscriber_name)]
    inquiry["subscriberName"] = f"{' '.join(INQUIRY_GROUP)} INQUIRER"
    tradeline = profile["tradeline"][int(newest_late.creditor)]
    tradeline["subscriberName"] = f"{' '.join(LATE_PAYMENT_GROUP)} LENDER"
