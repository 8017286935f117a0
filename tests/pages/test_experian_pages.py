"""The credit report from Experian, end to end in AppTest: consent, details, pull, errors.

Experian is answered by `responses` on bodies of the real shape (the demo body)."""

from __future__ import annotations

import json
import logging

import pytest
import responses
from streamlit.testing.v1 import AppTest

from integrations.demo.experian import experian_demo_report
from tests.support.apps import app_test
from tests.support.clock import TODAY
from tests.support.experian_support import (
    BEARER,
    CLIENT_SECRET,
    DOB,
    PASSWORD,
    REPORT_URL,
    SSN,
    answer_with_report,
    report_calls,
    seeded,
)
from tests.support.setup_page import fill_applicant_form


def test_without_details_the_report_page_says_what_to_do(experian: responses.RequestsMock) -> None:
    at = app_test().run()
    at.switch_page("pages/credit_report.py").run()
    assert not at.exception
    assert any("give your consent and details on the Setup page" in i.value for i in at.info)
    assert report_calls(experian) == 0


def test_consent_is_required_and_fields_are_checked(experian: responses.RequestsMock) -> None:
    at = app_test().run()
    at.switch_page("pages/setup.py").run()
    fill_applicant_form(at, agree=False)
    assert any("consent is needed" in e.value for e in at.error)
    fill_applicant_form(at, ssn="12345")
    assert [e.value for e in at.error] == ["Social Security number must be 9 digits."]
    assert "experian_applicant" not in at.session_state
    assert report_calls(experian) == 0


def test_details_and_consent_pull_the_live_report(experian: responses.RequestsMock) -> None:
    answer_with_report(experian)
    at = app_test().run()
    at.switch_page("pages/setup.py").run()
    fill_applicant_form(at)
    assert any("Saved" in s.value for s in at.success)
    sealed = at.session_state["experian_applicant"]
    assert SSN.encode() not in sealed.sealed
    assert SSN not in sealed.key
    assert sealed.summary.endswith("SSN ending 3456")

    at.switch_page("pages/credit_report.py").run()
    assert not at.exception
    score = experian_demo_report(TODAY)["creditProfile"][0]["riskModel"][0]["score"]
    assert next(m.value for m in at.metric if m.label == "Credit score") == str(int(score))
    assert any("Consent given" in c.value for c in at.caption)
    sent = json.loads(next(c for c in experian.calls if c.request.url == REPORT_URL).request.body)
    assert sent["consumerPii"]["primaryApplicant"]["ssn"] == {"ssn": SSN}
    assert sent["permissiblePurpose"] == {"type": "3F"}

    at.switch_page("pages/overview.py").run()
    assert report_calls(experian) == 1  # cached: no second pull for the next page


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        ({"status": 400,
          "json": {"errors": [{"errorCode": "76", "message": "INQUIRY NOT ALLOWED"}]}},
         "not provisioned for credit reports"),
        ({"status": 503, "body": "down"}, "unavailable right now"),
        ({"status": 200, "body": "{not json"}, "could not read"),
        ({"status": 200, "json": {"somethingElse": []}}, "no credit file"),
    ],
)  # fmt: skip
def test_each_experian_failure_is_a_clear_message(
    experian: responses.RequestsMock, answer: dict[str, object], message: str
) -> None:
    for _ in range(3):
        answer_with_report(experian, **answer)
    at = seeded("pages/credit_report.py")
    assert not at.exception
    warnings = " ".join(w.value for w in at.warning)
    assert message in warnings, warnings


def pull_new_report(at: AppTest, agree: bool = True) -> None:
    at.checkbox(key="new_pull_consent").set_value(agree)
    at.button(key="FormSubmitter:new_pull-Pull a new report").click().run()


def test_refresh_does_not_pull_again_a_new_pull_needs_fresh_consent(
    experian: responses.RequestsMock,
) -> None:
    answer_with_report(experian)
    at = seeded()
    assert report_calls(experian) == 1
    at.sidebar.button(key="refresh_data").click().run()
    at.switch_page("pages/credit_report.py").run()
    assert report_calls(experian) == 1  # Refresh is for the banks: a pull is billed
    experian.replace(responses.POST, REPORT_URL, status=503, body="down")
    pull_new_report(at, agree=False)
    assert any("consent is needed" in e.value for e in at.error)
    assert report_calls(experian) == 1
    pull_new_report(at)
    assert report_calls(experian) == 4  # one, then three attempts of the new pull
    assert next(m.value for m in at.metric if m.label == "Credit score") != "—"
    assert any("Showing the report fetched at" in w.value for w in at.warning)


def test_a_report_is_reused_in_a_new_session_and_pulls_stop_at_the_daily_limit(
    experian: responses.RequestsMock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CREDIT_PULLS_PER_PERSON_PER_DAY", "2")
    answer_with_report(experian)
    first = seeded("pages/credit_report.py")
    seeded("pages/credit_report.py")  # another session, same person and details
    assert report_calls(experian) == 1  # reused within its TTL
    pull_new_report(first)
    assert report_calls(experian) == 2
    pull_new_report(first)
    assert report_calls(experian) == 2  # the third of the day is refused before Experian
    warnings = " ".join(w.value for w in first.warning)
    assert "the most this app allows a person in a day" in warnings
    assert next(m.value for m in first.metric if m.label == "Credit score") != "—"


def test_no_personal_data_or_secret_reaches_page_state_or_log(
    experian: responses.RequestsMock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    answer_with_report(experian, status=400, json={"message": f"bad ssn {SSN}"})
    at = seeded("pages/credit_report.py")
    answer_with_report(experian)
    rendered = []
    for page in ("pages/credit_report.py", "pages/overview.py", "pages/setup.py"):
        at.switch_page(page).run()
        # Absent from a page that drew what it should, not from one that failed first.
        assert not at.exception, page
        assert not [e.value for e in at.error if "Something went wrong" in e.value], page
        rendered.append(str([e.proto for e in at.main]))
        if page == "pages/credit_report.py":  # the applicant and Experian's answer, masked
            captions = [c.value for c in at.caption]
            assert any("Applicant: J. D., SPRINGFIELD IL, SSN ending 3456" in c for c in captions)
            warnings = [w.value for w in at.warning]
            assert any("Experian rejected the credit report request" in w for w in warnings)
    assert "Reports are pulled for: J. D., SPRINGFIELD IL, SSN ending 3456" in [
        t.value for t in at.text
    ]  # on Setup
    seen = " ".join(rendered) + str(at.session_state) + caplog.text
    for canary in (SSN, DOB, PASSWORD, CLIENT_SECRET, BEARER, "07/04/1980", "1980-07-04"):
        assert canary not in seen


def test_applicant_from_settings_still_needs_consent_on_setup(
    experian: responses.RequestsMock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(
        "EXPERIAN_APPLICANT",
        json.dumps({"first_name": "Jordan", "last_name": "Demoperson", "dob": DOB, "ssn": SSN,
                    "line1": "1420 Larkspur Ln", "city": "Springfield", "state": "IL",
                    "zip_code": "62704"}),
    )  # fmt: skip
    answer_with_report(experian)
    at = app_test().run()
    assert report_calls(experian) == 0  # no pull before consent
    at.switch_page("pages/setup.py").run()
    assert any("Details from the app's configuration: J. D." in t.value for t in at.text)
    at.checkbox(key="consent_given").set_value(True)
    at.button(key="FormSubmitter:consent-Give consent and pull my report").click().run()
    at.switch_page("pages/credit_report.py").run()
    assert report_calls(experian) == 1
    assert any("Consent given" in c.value for c in at.caption)
