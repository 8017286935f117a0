"""The JSON API (services/web/api.py) on the demo data, through Starlette's test client with
the app's own security headers: who may read, how often, what a bad filter gets, and that
every answer is JSON in the same error shape, never stored by a cache."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import replace

import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.testclient import TestClient

from services.runtime import loaders
from services.runtime.settings import Settings, SettingsError, parse_settings
from services.web import api
from services.web.api import Api, TokenBuckets
from services.web.headers import SecurityHeaders
from tests.support.clock import TODAY

TOKEN = "operator-token-canary-0123456789abcdefghij"
OTHER_TOKEN = "another-token-canary-0123456789abcdefghijk"
ENDPOINTS = ("/api/v1/summary", "/api/v1/cards", "/api/v1/transactions")
FORMULA = '=HYPERLINK("https://attacker.example","click")'


def operator_settings(**extra: str) -> Settings:
    return parse_settings({"API_TOKEN": TOKEN, "AS_OF_DATE": TODAY.isoformat(), **extra})


class Clock:
    """A monotonic clock a test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def client(
    settings: Callable[[], Settings | None] | Settings | None = None,
    buckets: TokenBuckets | None = None,
) -> TestClient:
    given = settings if settings is not None else operator_settings()
    source = given if callable(given) else (lambda: given)
    routes = Api(source, buckets or TokenBuckets()).routes()
    app = Starlette(routes=routes, middleware=[Middleware(SecurityHeaders, policy="x")])
    return TestClient(app)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def assert_error(answer: object, status: int, code: str) -> dict[str, str]:
    assert answer.status_code == status  # type: ignore[attr-defined]
    assert answer.headers["content-type"] == "application/json"  # type: ignore[attr-defined]
    assert answer.headers["cache-control"] == "no-store"  # type: ignore[attr-defined]
    error = answer.json()["error"]  # type: ignore[attr-defined]
    assert error["code"] == code
    assert error["message"]
    return error


@pytest.mark.parametrize("path", ENDPOINTS)
def test_every_endpoint_without_a_token_is_401_with_a_bearer_challenge(path: str) -> None:
    answer = client().get(path)
    assert_error(answer, 401, "unauthorized")
    assert answer.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize("path", ENDPOINTS)
@pytest.mark.parametrize(
    "header",
    [bearer(OTHER_TOKEN), bearer(TOKEN[:-1]), {"Authorization": f"Basic {TOKEN}"}],
    ids=["another token", "one character short", "not a bearer"],
)
def test_every_endpoint_with_a_wrong_token_is_401_and_says_nothing_of_it(
    path: str, header: dict[str, str]
) -> None:
    answer = client().get(path, headers=header)
    assert_error(answer, 401, "unauthorized")
    assert "Bearer" in answer.headers["www-authenticate"]
    assert OTHER_TOKEN not in answer.text
    assert TOKEN[:20] not in answer.text


@pytest.mark.parametrize("path", ENDPOINTS)
def test_a_token_the_operator_replaced_no_longer_reads(path: str) -> None:
    """Revoking the operator token is replacing API_TOKEN: the old one is refused at once."""
    current = {"settings": operator_settings()}
    api_client = client(lambda: current["settings"])
    assert api_client.get(path, headers=bearer(TOKEN)).status_code == 200
    current["settings"] = parse_settings({"API_TOKEN": OTHER_TOKEN})
    assert_error(api_client.get(path, headers=bearer(TOKEN)), 401, "unauthorized")
    assert api_client.get(path, headers=bearer(OTHER_TOKEN)).status_code == 200


@pytest.mark.parametrize("path", [*ENDPOINTS, "/api/v1/openapi.json", "/api/v2/summary"])
def test_without_api_token_the_api_is_not_there_even_with_a_token(path: str) -> None:
    answer = client(parse_settings({})).get(path, headers=bearer(TOKEN))
    assert_error(answer, 404, "not_found")


def test_an_address_under_the_api_that_does_not_exist_is_the_api_404() -> None:
    assert_error(client().get("/api/v1/nothing", headers=bearer(TOKEN)), 404, "not_found")


def test_settings_that_do_not_parse_are_503_without_a_reason() -> None:
    answer = client(lambda: None).get("/api/v1/summary", headers=bearer(TOKEN))
    assert_error(answer, 503, "unavailable")


def test_api_token_must_be_long_and_its_value_is_never_in_the_problem() -> None:
    with pytest.raises(SettingsError) as problem:
        parse_settings({"API_TOKEN": "short-canary"})
    assert "API_TOKEN must be at least 32" in str(problem.value)
    assert "short-canary" not in str(problem.value)


def test_past_its_rate_a_token_gets_429_with_retry_after_until_the_bucket_refills() -> None:
    clock = Clock()
    api_client = client(buckets=TokenBuckets(capacity=2, per_second=0.5, clock=clock))
    for _ in range(2):
        assert api_client.get("/api/v1/summary", headers=bearer(TOKEN)).status_code == 200
    refused = api_client.get("/api/v1/cards", headers=bearer(TOKEN))
    assert_error(refused, 429, "rate_limited")
    assert refused.headers["retry-after"] == "2"
    clock.now += 2
    assert api_client.get("/api/v1/cards", headers=bearer(TOKEN)).status_code == 200
    assert api_client.get("/api/v1/cards", headers=bearer(TOKEN)).status_code == 429


def test_requests_without_a_valid_token_do_not_use_up_the_operators_rate() -> None:
    api_client = client(buckets=TokenBuckets(capacity=1, per_second=0.001, clock=Clock()))
    for _ in range(5):
        assert api_client.get("/api/v1/summary", headers=bearer(OTHER_TOKEN)).status_code == 401
    assert api_client.get("/api/v1/summary", headers=bearer(TOKEN)).status_code == 200


@pytest.mark.parametrize(
    ("query", "named"),
    [
        ("period=since-forever-canary", "period"),
        ("from=2026-13-01-canary&to=2026-11-30", "from"),
        ("category=NOT_A_CATEGORY_CANARY", "category"),
        ("min=lots-canary", "min"),
        ("page_size=501", "page_size"),
        ("page=0", "page"),
        ("format=xml-canary", "format"),
        ("q=canary-search", "Unknown"),
    ],
)
def test_a_bad_filter_is_400_naming_the_parameter_never_the_value(query: str, named: str) -> None:
    answer = client().get(f"/api/v1/transactions?{query}", headers=bearer(TOKEN))
    error = assert_error(answer, 400, "bad_request")
    assert named in error["message"]
    assert "canary" not in answer.text
    assert "501" not in error["message"].replace("500", "")


def test_summary_and_cards_take_no_parameters() -> None:
    answer = client().get("/api/v1/summary?x=canary-value", headers=bearer(TOKEN))
    assert "canary-value" not in assert_error(answer, 400, "bad_request")["message"]


def test_answers_carry_currency_codes_and_per_currency_totals() -> None:
    api_client = client()
    summary = api_client.get("/api/v1/summary", headers=bearer(TOKEN)).json()
    assert summary["cards"]
    assert all(total["currency"] == "USD" for total in summary["cards"])
    assert summary["next_payment_due"]["currency"] == "USD"
    assert set(summary["spending_this_month"]["this_month"]) == {"USD"}
    cards = api_client.get("/api/v1/cards", headers=bearer(TOKEN)).json()
    assert cards["cards"]
    assert all(card["currency"] for card in cards["cards"])
    page = api_client.get("/api/v1/transactions?page_size=3", headers=bearer(TOKEN)).json()
    assert len(page["transactions"]) == 3
    assert page["total"] > 3
    assert all(row["currency"] == "USD" for row in page["transactions"])
    assert set(page["totals"]["spending"]) == {"USD"}


def test_pages_follow_each_other_without_gap_or_overlap() -> None:
    api_client = client()
    every = api_client.get("/api/v1/transactions?page_size=500", headers=bearer(TOKEN)).json()
    ids: list[str] = []
    for number in range(1, 4):
        page = api_client.get(
            f"/api/v1/transactions?page_size=50&page={number}", headers=bearer(TOKEN)
        ).json()
        assert page["total"] == every["total"]
        assert page["pages"] == -(-every["total"] // 50)
        ids += [row["transaction_id"] for row in page["transactions"]]
    assert ids == [row["transaction_id"] for row in every["transactions"][:150]]


def test_a_merchant_named_like_a_formula_stays_text_in_the_csv_and_json(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    demo = loaders.load_demo_snapshot(TODAY)
    frame = demo.transactions.copy()
    frame["merchant"] = frame["merchant"].astype(object)
    frame.loc[frame.index[0], "merchant"] = FORMULA
    hostile = replace(demo, transactions=frame, version="")
    monkeypatch.setattr(api, "operator_snapshot", lambda settings, today: hostile)
    api_client = client()
    query = "/api/v1/transactions?period=all&page_size=1"
    answer = api_client.get(query + "&format=csv", headers=bearer(TOKEN))
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/csv")
    assert answer.headers["cache-control"] == "no-store"
    row = next(csv.DictReader(io.StringIO(answer.text)))
    assert row["merchant"] == "'" + FORMULA
    as_json = api_client.get(query, headers=bearer(TOKEN)).json()
    assert as_json["transactions"][0]["merchant"] == FORMULA  # JSON is data, not a sheet


def test_a_failure_inside_is_a_500_that_says_nothing_of_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(settings: Settings, today: object) -> None:
        raise RuntimeError(f"canary detail {TOKEN}")

    monkeypatch.setattr(api, "operator_snapshot", broken)
    answer = client().get("/api/v1/cards", headers=bearer(TOKEN))
    assert_error(answer, 500, "internal")
    assert "canary" not in answer.text
    assert TOKEN not in answer.text
