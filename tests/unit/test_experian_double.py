"""The Experian double against the app's real client: what the browser tests count is what
the client really sent."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from integrations.common.retry import RetryPolicy
from integrations.common.secret import Secret
from integrations.experian.client import Applicant, ExperianClient, ExperianError
from tests.support.clock import TODAY
from tests.support.experian_double import ExperianDouble

APPLICANT = Applicant.create(
    first_name="Jordan", last_name="Demoperson", dob="07041980", ssn="666123456",
    line1="1420 Larkspur Ln", city="Springfield", state="IL", zip_code="62704", today=TODAY,
)  # fmt: skip


@pytest.fixture
def double() -> Iterator[ExperianDouble]:
    with ExperianDouble() as started:
        yield started


def client_of(double: ExperianDouble, password: str = ExperianDouble.PASSWORD) -> ExperianClient:
    return ExperianClient(
        host=double.url,
        client_id=ExperianDouble.CLIENT_ID,
        client_secret=Secret(ExperianDouble.CLIENT_SECRET),
        username=ExperianDouble.USERNAME,
        password=Secret(password),
        subscriber_code=None,
        connect_timeout=2.0,
        read_timeout=5.0,
        policy=RetryPolicy(budget_seconds=5.0),
    )


def test_each_pull_is_one_report_call_and_the_token_is_reused(double: ExperianDouble) -> None:
    client = client_of(double)

    first = client.credit_report(APPLICANT)
    client.credit_report(APPLICANT)

    assert first.primary_score is not None  # the demo report, parsed by the real parser
    assert (double.token_calls, double.report_calls) == (1, 2)


def test_wrong_credentials_get_no_token_and_so_no_report(double: ExperianDouble) -> None:
    with pytest.raises(ExperianError):
        client_of(double, password="not-the-password").credit_report(APPLICANT)

    assert double.token_calls >= 1
    assert double.report_calls == 0
