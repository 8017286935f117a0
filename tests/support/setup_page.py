"""The Setup page as a person uses it: a pasted access token, the applicant form."""

from __future__ import annotations

from datetime import date

from streamlit.testing.v1 import AppTest

from tests.support.apps import labelled
from tests.support.experian_support import SSN


def connect_pasted(at: AppTest, token: str) -> None:
    """A pasted access token, connected on Setup as a person does it."""
    at.switch_page("pages/setup.py").run()
    labelled(at.text_input, "Access token").input(token)
    at.button(key="FormSubmitter:token_connect-Connect").click().run()
    assert not at.exception
    assert any("Connected" in s.value for s in at.success), [e.value for e in at.error]


def fill_applicant_form(at: AppTest, *, ssn: str = SSN, agree: bool = True) -> None:
    """The applicant form on the open Setup page, filled in as a person types it (the app
    writes names in capitals) and submitted."""
    values = {
        "First name": "Jordan", "Last name": "Demoperson", "Social Security number": ssn,
        "Street address": "1420 Larkspur Ln", "City": "Springfield", "State": "IL",
        "ZIP code": "62704",
    }  # fmt: skip
    for box in at.text_input:
        if box.label in values:
            box.input(values[box.label])
    labelled(at.date_input, "Date of birth").set_value(date(1980, 7, 4))
    at.checkbox(key="applicant_consent").set_value(agree)
    at.button(key="FormSubmitter:applicant-Save and pull my report").click().run()


def save_applicant_on_setup(at: AppTest, ssn: str = SSN) -> None:
    """The Setup form, as a person fills it in, saved."""
    at.switch_page("pages/setup.py").run()
    fill_applicant_form(at, ssn=ssn)
    assert not at.exception
    assert any("Saved" in s.value for s in at.success), [e.value for e in at.error]


def disconnect_first_bank(at: AppTest) -> None:
    """Disconnect on Setup, confirmed in the dialog that says what happens at Plaid."""
    next(b for b in at.button if b.label == "Disconnect").click().run()
    at.button(key="confirm_disconnect").click().run()
