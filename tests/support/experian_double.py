"""A local stand-in for Experian's two endpoints, for browser tests that run the real app.

``streamlit run`` is a process of its own, so `responses` cannot answer for it: this double is
an HTTP server on 127.0.0.1 that the app's real ExperianClient talks to (``EXPERIAN_BASE_URL``).
It hands out one bearer token for the configured credentials and answers the credit-report
call with a body of Experian's shape (the demo report by default), and counts both calls, so
a test can say how many pulls really reached the bureau.

Like the Plaid double it never logs: credentials and the applicant travel in the requests.
"""

from __future__ import annotations

import json
import secrets
import threading
from collections import Counter
from collections.abc import Mapping
from datetime import date
from http.server import BaseHTTPRequestHandler
from typing import Any

from integrations.demo.experian import experian_demo_report
from integrations.experian.client import CREDIT_REPORT_PATH, OAUTH_PATH
from tests.support.clock import TODAY
from tests.support.local_http import LocalServer, ServedDouble

__all__ = ["ExperianDouble", "report_names"]


class _Handler(BaseHTTPRequestHandler):
    server: LocalServer

    def do_POST(self) -> None:
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        status, body = self.server.owner._answer(
            self.path.split("?", 1)[0], raw, self.headers.get("Authorization")
        )
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: request lines are no business of the test output."""


class ExperianDouble(ServedDouble):
    """Experian's token and credit-report endpoints on a free 127.0.0.1 port.

    Use it as a context manager (``with ExperianDouble() as experian:``) or start()/stop().
    A token request must carry the credentials of ``env()``; a report request must carry the
    bearer token the double issued (else 401, as Experian answers), so a count of report
    calls is a count of pulls the app really made.

    Attributes:
        url: ``http://127.0.0.1:PORT`` once started.
        report: the body a report call is answered with (JSON of Experian's shape).
        bearer: the access token the double issues (random per double).
    """

    HANDLER = _Handler

    CLIENT_ID = "experian-double-client"
    CLIENT_SECRET = "experian-double-client-secret"
    USERNAME = "experian-double-user"
    PASSWORD = "experian-double-password"

    def __init__(self, report: Mapping[str, Any] | None = None, today: date = TODAY) -> None:
        super().__init__()
        self.report: Mapping[str, Any] = report or experian_demo_report(today)
        self.bearer = "experian-double-bearer-" + secrets.token_hex(8)
        self._lock = threading.Lock()
        self._hits: Counter[str] = Counter()

    # ---- lifecycle -------------------------------------------------------------------------

    # ---- what a test sets and reads --------------------------------------------------------

    def env(self) -> dict[str, str]:
        """The app's settings that point its Experian client here."""
        return {
            "EXPERIAN_CLIENT_ID": self.CLIENT_ID,
            "EXPERIAN_CLIENT_SECRET": self.CLIENT_SECRET,
            "EXPERIAN_USERNAME": self.USERNAME,
            "EXPERIAN_PASSWORD": self.PASSWORD,
            "EXPERIAN_BASE_URL": self.url,
        }

    @property
    def token_calls(self) -> int:
        """Requests to the token endpoint so far, accepted or not."""
        with self._lock:
            return self._hits[OAUTH_PATH]

    @property
    def report_calls(self) -> int:
        """Requests to the credit-report endpoint so far, accepted or not."""
        with self._lock:
            return self._hits[CREDIT_REPORT_PATH]

    @property
    def calls(self) -> int:
        """Every request that reached the double, whatever its path."""
        with self._lock:
            return sum(self._hits.values())

    # ---- request handling (on a handler thread) ---------------------------------------------

    def _answer(self, path: str, raw: bytes, authorization: str | None) -> tuple[int, bytes]:
        with self._lock:
            self._hits[path] += 1
        if path == OAUTH_PATH:
            return self._token(raw)
        if path == CREDIT_REPORT_PATH:
            if authorization != f"Bearer {self.bearer}":
                return _error(401, "Unauthorized", "a valid bearer token is required")
            return 200, json.dumps(self.report).encode()
        return _error(404, "NotFound", "unknown endpoint")

    def _token(self, raw: bytes) -> tuple[int, bytes]:
        try:
            sent = json.loads(raw or b"{}")
        except ValueError:
            sent = None
        wanted = {
            "client_id": self.CLIENT_ID,
            "client_secret": self.CLIENT_SECRET,
            "username": self.USERNAME,
            "password": self.PASSWORD,
        }
        if not isinstance(sent, dict) or any(sent.get(k) != v for k, v in wanted.items()):
            return _error(401, "invalid_client", "unknown client or wrong credentials")
        answer = {"access_token": self.bearer, "token_type": "Bearer", "expires_in": "1800"}
        return 200, json.dumps(answer).encode()


def report_names(report: Mapping[str, Any]) -> set[str]:
    """The consumer's, employers' and creditors' names in a report body of Experian's shape:
    a person's data, for tests that look for it where it must never be."""
    names: set[str] = set()
    for profile in report.get("creditProfile", ()):
        for name in profile.get("consumerIdentity", {}).get("name", ()):
            parts = [name.get(k) for k in ("firstName", "middleName", "surname")]
            names.update(filter(None, parts))
            names.add(" ".join(filter(None, parts)))
        names.update(e["name"] for e in profile.get("employmentInformation", ()) if e.get("name"))
        for record in (*profile.get("tradeline", ()), *profile.get("inquiry", ())):
            if record.get("subscriberName"):
                names.add(record["subscriberName"])
    return names


def _error(status: int, code: str, message: str) -> tuple[int, bytes]:
    return status, json.dumps({"errors": [{"errorCode": code, "message": message}]}).encode()
