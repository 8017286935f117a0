"""The API's OpenAPI 3.1 description, served at ``/api/v1/openapi.json``.

Written by hand beside the routes (``services/web/api.py``); tests/unit/test_api_openapi.py
validates it and checks that it describes exactly the routes there are. The filter
parameters are the transactions page's URL parameters (``transaction_query``).
"""

from __future__ import annotations

from typing import Any

from services.analytics.transaction_query import (
    ACCOUNT,
    CATEGORY,
    DETAILED,
    END,
    INSTITUTION,
    MAX_AMOUNT,
    MIN_AMOUNT,
    PENDING,
    PERIOD,
    PERIODS,
    QUERY_KEYS,
    START,
    TRANSFERS,
)
from services.views.api_views import CARD_FIELDS
from services.views.page_figures import TRANSACTION_EXPORT_COLUMNS

Schema = dict[str, Any]
VERSION = "1.0.0"

FILTER_DESCRIPTIONS = {
    PERIOD: "A quick period, or `custom` with `from` and `to`. Default `last_90_days`.",
    START: "First day (YYYY-MM-DD) of a custom period; with `to` it implies `period=custom`.",
    END: "Last day (YYYY-MM-DD) of a custom period.",
    INSTITUTION: "An institution by its URL id (as the page's URL carries it); repeatable.",
    ACCOUNT: "An account by its URL id (as the page's URL carries it); repeatable.",
    CATEGORY: "A primary category (e.g. FOOD_AND_DRINK); repeatable.",
    DETAILED: "A detailed category within the chosen primary ones; repeatable.",
    MIN_AMOUNT: "Least amount as shown (positive is money out).",
    MAX_AMOUNT: "Greatest amount as shown.",
    PENDING: "`no` leaves pending transactions out. Default: included.",
    TRANSFERS: "`no` leaves transfers and card payments out. Default: included.",
}
REPEATABLE = (INSTITUTION, ACCOUNT, CATEGORY, DETAILED)

MONEY_BY_CURRENCY: Schema = {
    "type": "object",
    "description": "Amounts per ISO 4217 currency code; never added across currencies.",
    "additionalProperties": {"type": "number"},
}
NULLABLE_NUMBER: Schema = {"type": ["number", "null"]}
NULLABLE_STRING: Schema = {"type": ["string", "null"]}
NULLABLE_DATE: Schema = {"type": ["string", "null"], "format": "date"}


def _ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def _object(properties: dict[str, Schema], required: tuple[str, ...] | None = None) -> Schema:
    return {
        "type": "object",
        "properties": properties,
        "required": list(properties if required is None else required),
    }


def _filter_parameter(key: str) -> Schema:
    schema: Schema = {"type": "string"}
    if key == PERIOD:
        schema = {"type": "string", "enum": list(PERIODS)}
    elif key in (START, END):
        schema = {"type": "string", "format": "date"}
    elif key in (MIN_AMOUNT, MAX_AMOUNT):
        schema = {"type": "number"}
    elif key in (PENDING, TRANSFERS):
        schema = {"type": "string", "enum": ["yes", "no"]}
    if key in REPEATABLE:
        schema = {"type": "array", "items": {"type": "string"}}
    parameter: Schema = {
        "name": key,
        "in": "query",
        "required": False,
        "description": FILTER_DESCRIPTIONS[key],
        "schema": schema,
    }
    if key in REPEATABLE:
        parameter.update(style="form", explode=True)
    return parameter


PAGING_PARAMETERS: list[Schema] = [
    {"name": "page", "in": "query", "required": False, "description": "From 1.",
     "schema": {"type": "integer", "minimum": 1, "default": 1}},
    {"name": "page_size", "in": "query", "required": False,
     "schema": {"type": "integer", "minimum": 1, "maximum": 500, "default": 100}},
    {"name": "format", "in": "query", "required": False,
     "schema": {"type": "string", "enum": ["json", "csv"], "default": "json"}},
]  # fmt: skip


def _error(description: str, headers: dict[str, Schema] | None = None) -> Schema:
    response: Schema = {
        "description": description,
        "content": {"application/json": {"schema": _ref("Error")}},
    }
    if headers:
        response["headers"] = headers
    return response


def _errors(*statuses: str) -> dict[str, Schema]:
    known = {
        "400": _error("A query parameter cannot be used (named; its value is never echoed)."),
        "401": _error(
            "No token, or not a valid one.",
            {"WWW-Authenticate": {"schema": {"type": "string"}}},
        ),
        "403": _error(
            "A person's token, but the app no longer lets its person in (ALLOWED_USERS "
            "changed, or sign-in was turned on or off)."
        ),
        "404": _error(
            "The API is not enabled here (no API_TOKEN, no DATABASE_URL), or no such address."
        ),
        "429": _error(
            "Too many requests with this token.",
            {"Retry-After": {"description": "Seconds to wait.", "schema": {"type": "integer"}}},
        ),
        "500": _error("Something went wrong on our side."),
        "503": _error(
            "The app's configuration cannot be read, or (a person's token) the history store "
            "does not answer."
        ),
    }
    return {status: known[status] for status in statuses}


AUTHENTICATED_ERRORS = ("401", "403", "404", "429", "500", "503")


def _schemas() -> dict[str, Schema]:
    utilization = _object(
        {
            "currency": {"type": "string"},
            "owed": {"type": "number"},
            "owed_with_limit": {"type": "number"},
            "limit": {"type": "number"},
            "utilization": NULLABLE_NUMBER,
            "cards_counted": {"type": "integer"},
            "cards_without_limit": {"type": "integer"},
        }
    )
    payment_due = _object(
        {
            "card": {"type": "string"},
            "mask": NULLABLE_STRING,
            "currency": {"type": "string"},
            "due_date": {"type": "string", "format": "date"},
            "days_left": {"type": "integer"},
            "minimum_payment": NULLABLE_NUMBER,
            "statement_balance": NULLABLE_NUMBER,
            "overdue": {"type": "boolean"},
        }
    )
    problem = _object({"code": {"type": "string"}, "action": {"type": "string"}})
    score = _object(
        {
            "score": {"type": "integer"},
            "model": NULLABLE_STRING,
            "min_score": {"type": ["integer", "null"]},
            "max_score": {"type": ["integer", "null"]},
            "band": NULLABLE_STRING,
            "report_date": NULLABLE_DATE,
        }
    )
    spending = _object(
        {
            "currency": {"type": "string", "description": "The one most transactions are in."},
            "this_month": MONEY_BY_CURRENCY,
            "same_days_last_month": MONEY_BY_CURRENCY,
            "last_month": MONEY_BY_CURRENCY,
        }
    )
    summary = _object(
        {
            "as_of": {"type": "string", "format": "date"},
            "source": {"type": ["string", "null"], "enum": ["demo", "plaid", None]},
            "fetched_at": NULLABLE_STRING,
            "cards": {"type": "array", "items": _ref("Utilization"),
                      "description": "Per currency; the first is the overview's headline."},
            "next_payment_due": {"oneOf": [_ref("PaymentDue"), {"type": "null"}]},
            "spending_this_month": {"oneOf": [_ref("MonthSpending"), {"type": "null"}]},
            "score": {"oneOf": [_ref("Score"), {"type": "null"}],
                      "description": "From a report already held; the API never pulls one."},
            "problems": {"type": "array", "items": _ref("Problem")},
        }
    )  # fmt: skip
    card = {
        "type": "object",
        "description": "One credit card, amounts in its own currency.",
        "properties": {name: {} for name in CARD_FIELDS},
        "required": list(CARD_FIELDS),
    }
    cards = _object(
        {
            "as_of": {"type": "string", "format": "date"},
            "cards": {"type": "array", "items": _ref("Card")},
            "totals": {"type": "array", "items": _ref("Utilization")},
            "problems": {"type": "array", "items": _ref("Problem")},
        }
    )
    transaction = {
        "type": "object",
        "description": "As the transactions page's CSV; amount positive is money out.",
        "properties": {name: {} for name in TRANSACTION_EXPORT_COLUMNS},
        "required": list(TRANSACTION_EXPORT_COLUMNS),
    }
    transaction["properties"].update(
        amount={"type": "number"}, currency={"type": "string"}, pending={"type": "boolean"}
    )
    figures = _object(
        {
            "count": {"type": "integer"},
            "spending": MONEY_BY_CURRENCY,
            "income": MONEY_BY_CURRENCY,
            "net": MONEY_BY_CURRENCY,
        }
    )
    page = _object(
        {
            "from": {"type": "string", "format": "date"},
            "to": {"type": "string", "format": "date"},
            "page": {"type": "integer"},
            "page_size": {"type": "integer"},
            "pages": {"type": "integer"},
            "total": {"type": "integer"},
            "totals": _ref("PeriodFigures"),
            "transactions": {"type": "array", "items": _ref("Transaction")},
        }
    )
    error = _object({"error": _object({"code": {"type": "string"}, "message": {"type": "string"}})})
    return {
        "Error": error,
        "Utilization": utilization,
        "PaymentDue": payment_due,
        "Problem": problem,
        "Score": score,
        "MonthSpending": spending,
        "Summary": summary,
        "Card": card,
        "Cards": cards,
        "Transaction": transaction,
        "PeriodFigures": figures,
        "TransactionsPage": page,
    }


def _json_ok(description: str, schema: str) -> Schema:
    return {
        "description": description,
        "content": {"application/json": {"schema": _ref(schema)}},
    }


def _paths() -> dict[str, Schema]:
    transactions_ok = _json_ok(
        "One page of the rows the transactions page shows.", "TransactionsPage"
    )
    transactions_ok["content"]["text/csv"] = {"schema": {"type": "string"}}
    transactions_ok["headers"] = {
        "X-Total-Count": {
            "description": "Rows over all pages (CSV).",
            "schema": {"type": "integer"},
        }
    }
    return {
        "/api/v1/summary": {"get": {
            "operationId": "getSummary",
            "summary": "Utilization and owed per currency, next payment due, score",
            "responses": {"200": _json_ok("The overview's figures.", "Summary"),
                          **_errors("400", *AUTHENTICATED_ERRORS)},
        }},
        "/api/v1/cards": {"get": {
            "operationId": "getCards",
            "summary": "Every credit card, with totals per currency",
            "responses": {"200": _json_ok("The cards page's table.", "Cards"),
                          **_errors("400", *AUTHENTICATED_ERRORS)},
        }},
        "/api/v1/transactions": {"get": {
            "operationId": "getTransactions",
            "summary": "Transactions with the transactions page's filters, as JSON or CSV, paged",
            "parameters": [*(_filter_parameter(key) for key in QUERY_KEYS), *PAGING_PARAMETERS],
            "responses": {"200": transactions_ok, **_errors("400", *AUTHENTICATED_ERRORS)},
        }},
        "/api/v1/openapi.json": {"get": {
            "operationId": "getOpenApi",
            "summary": "This description",
            "security": [],
            "responses": {"200": {"description": "OpenAPI 3.1",
                                  "content": {"application/json": {"schema": {"type": "object"}}}},
                          **_errors("404", "503")},
        }},
    }  # fmt: skip


def openapi_document() -> Schema:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Credit monitor API",
            "version": VERSION,
            "description": "Read-only. Money carries its currency code; totals are per "
            "currency. The score comes only from a credit report already held: the API never "
            "pulls one (every pull is billed).",
        },
        "servers": [{"url": "/"}],
        "security": [{"bearer": []}],
        "paths": _paths(),
        "components": {
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "The operator's API_TOKEN (reads the operator's data), or "
                    "a person's own token made on Setup, `cmk_…` (traditional mode: reads "
                    "what the app keeps about that person).",
                }
            },
            "schemas": _schemas(),
        },
    }
