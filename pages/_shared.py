"""Rendering helpers shared by the pages (Streamlit only, no data access)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from services.export import to_csv_bytes


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
