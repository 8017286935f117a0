"""The Setup page in a browser, as a person fills it in: a sandbox test bank, the applicant."""

from __future__ import annotations

from collections.abc import Mapping

from playwright.sync_api import Page, expect

APPLICANT_FIELDS = {
    "First name": "Jordan", "Last name": "Demoperson", "Social Security number": "666123456",
    "Street address": "1420 Larkspur Ln", "City": "Springfield", "State": "IL",
    "ZIP code": "62704",
}  # fmt: skip
BIRTH_DATE = {"year": "1980", "month": "07", "day": "04"}


def choose_test_bank(page: Page, institution: str) -> None:
    """Fill in the sandbox form (a form: nothing runs until it is sent)."""
    page.get_by_role("tab", name="Sandbox test bank").click()
    page.get_by_test_id("stSelectbox").first.click()
    page.get_by_role("option", name=institution).click()


def send_test_bank(page: Page) -> None:
    page.get_by_role("button", name="Connect test bank").click()


def fill_applicant_form(page: Page, changes: Mapping[str, str] | None = None) -> None:
    """Type the applicant's details and tick the consent (a form: nothing runs until it is
    sent). `changes` replaces fields by their label, such as ``{"First name": "Alice"}``."""
    for label, value in {**APPLICANT_FIELDS, **(changes or {})}.items():
        page.get_by_label(label, exact=True).fill(value)
    # Streamlit's date input is a field of three spin buttons, typed into one by one.
    for part, digits in BIRTH_DATE.items():
        page.get_by_role("spinbutton", name=f"{part}, Date of birth").click()
        page.keyboard.type(digits)
    tick_consent(page)


def tick_consent(page: Page) -> None:
    """Tick the consent checkbox of the form on screen (left ticked if it already is)."""
    consent = page.get_by_test_id("stCheckbox").filter(has_text="I instruct the app")
    # The box itself is hidden under Streamlit's drawing of it, which takes the click.
    if not consent.get_by_role("checkbox").is_checked():
        consent.click()
    expect(consent.get_by_role("checkbox")).to_be_checked()
