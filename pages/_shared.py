"""Rendering helpers shared by the pages (Streamlit only, no data access)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from integrations.errors import Action
from services import session
from services.export import to_csv_bytes
from services.format import plain
from services.snapshot import FinancialSnapshot


def csv_download(
    frame: pd.DataFrame, file_name: str, key: str, label: str = "Download CSV"
) -> None:
    """A download button whose CSV is built only when clicked."""

    def build() -> bytes:
        return to_csv_bytes(frame)

    st.download_button(
        label,
        data=build,
        file_name=file_name,
        mime="text/csv",
        key=key,
        icon=":material/download:",
        on_click="ignore",
        disabled=frame.empty,
    )


def nothing_connected(what: str) -> None:
    st.info(f"No {what} connected yet. Choose demo data or connect on the Setup page.")
    st.page_link("pages/setup.py", label="Go to Setup", icon=":material/settings:")


RELINK_ITEM = "relink_item"


def _start_relink(item_key: str) -> None:
    st.session_state[RELINK_ITEM] = item_key


def render_connection_problems(snap: FinancialSnapshot) -> None:
    """One "needs attention" card per item that failed; every other item still shows."""
    for problem in snap.problems:
        label = session.connection_label(problem.item_key)
        with st.container(border=True, key=f"problem-{problem.item_key}"):
            stale = (
                f" Showing what was fetched at {problem.stale_since:%H:%M} UTC."
                if problem.stale_since
                else ""
            )
            st.warning(f"**{plain(label)} needs attention.** {plain(problem.message)}{stale}")
            reference = f" · request {problem.request_id}" if problem.request_id else ""
            st.caption(f"{problem.action.label}. Code {problem.code}{reference}.")
            if problem.action is Action.RELINK:
                if st.button(
                    f"Sign in to {plain(label)} again",
                    key=f"relink-{problem.item_key}",
                    on_click=_start_relink,
                    args=(problem.item_key,),
                ):
                    st.switch_page("pages/setup.py")
            elif problem.action is Action.RECONNECT:
                st.page_link("pages/setup.py", label="Reconnect on the Setup page")
    for institution, note in snap.notes:
        st.caption(f"{plain(institution)}: {plain(note)}")
