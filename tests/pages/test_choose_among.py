"""A filter of every option at first keeps what the person took out when the options change,
and takes in the new ones (pages/_shared.choose_among, used by Bills ahead)."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest


def script() -> None:
    import streamlit as st

    from pages._shared import choose_among

    options = st.session_state.get("offer", ["Checking", "Card"])
    st.session_state["chosen"] = choose_among("Account", options, "accounts")


def test_new_options_come_in_chosen_and_what_was_taken_out_stays_out() -> None:
    at = AppTest.from_function(script).run()
    assert at.session_state["chosen"] == ["Checking", "Card"]  # everything at first
    at.multiselect(key="accounts").set_value(["Checking"]).run()
    assert at.session_state["chosen"] == ["Checking"]
    at.session_state["offer"] = ["Checking", "Card", "Savings"]
    at.run()
    assert at.session_state["chosen"] == ["Checking", "Savings"]  # Card stays out
    assert at.multiselect(key="accounts").value == ["Checking", "Savings"]
