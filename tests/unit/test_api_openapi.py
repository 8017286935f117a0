"""The API's OpenAPI document: valid OpenAPI 3.1, served where the API is, and describing
exactly the routes the ASGI app serves under /api/v1 (no more, no fewer)."""

from __future__ import annotations

import json
import subprocess
import sys

from openapi_spec_validator import validate
from starlette.applications import Starlette
from starlette.routing import Route
from starlette.testclient import TestClient

from services.analytics.transaction_query import QUERY_KEYS
from services.runtime.settings import parse_settings
from services.web.api import PREFIX, Api
from services.web.openapi import openapi_document
from tests.support.apps import ROOT

TOKEN = "operator-token-canary-0123456789abcdefghij"


def served_api_paths() -> set[str]:
    """The paths of asgi.py's ROUTES under /api/v1, read in a process of their own: building
    the ASGI app configures Streamlit for the whole process."""
    program = (
        "import json\nfrom services.web import asgi\n"
        "print(json.dumps([getattr(r, 'path', '') for r in asgi.ROUTES]))"
    )
    done = subprocess.run(
        [sys.executable, "-c", program], cwd=ROOT, capture_output=True, text=True, check=True
    )
    paths = json.loads(done.stdout.strip().splitlines()[-1])
    return {path for path in paths if path.startswith(PREFIX + "/")}


def test_the_document_is_valid_openapi_3_1() -> None:
    document = openapi_document()
    assert document["openapi"].startswith("3.1")
    validate(document)


def test_every_api_route_the_app_serves_is_described_and_nothing_else() -> None:
    described = set(openapi_document()["paths"])
    assert served_api_paths() == described
    api_routes = {r.path for r in Api().routes() if isinstance(r, Route)}
    assert described == {path for path in api_routes if path.startswith(PREFIX + "/")}


def test_transactions_takes_exactly_the_pages_url_parameters_and_paging() -> None:
    operation = openapi_document()["paths"][f"{PREFIX}/transactions"]["get"]
    names = [parameter["name"] for parameter in operation["parameters"]]
    assert names == [*QUERY_KEYS, "page", "page_size", "format"]


def test_every_operation_describes_its_errors_in_one_shape() -> None:
    for path, item in openapi_document()["paths"].items():
        responses = item["get"]["responses"]
        assert "404" in responses, path
        if not path.endswith("openapi.json"):
            assert {"400", "401", "403", "429"} <= set(responses), path
            assert "Retry-After" in responses["429"]["headers"]
        for status, response in responses.items():
            if status != "200":
                schema = response["content"]["application/json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/Error"}


def test_the_document_is_served_without_a_token_where_the_api_exists() -> None:
    settings = parse_settings({"API_TOKEN": TOKEN})
    served = TestClient(Starlette(routes=Api(lambda: settings).routes()))
    answer = served.get(f"{PREFIX}/openapi.json")
    assert answer.status_code == 200
    assert answer.json() == openapi_document()
    assert TOKEN not in answer.text
