"""CSV exports: stable column names, ISO dates, plain numbers (no currency symbols)."""

from __future__ import annotations

import pandas as pd


def to_csv_bytes(frame: pd.DataFrame) -> bytes:
    out = frame.copy()
    for column in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[column]):
            out[column] = out[column].dt.strftime("%Y-%m-%d")
    return out.to_csv(index=False, date_format="%Y-%m-%d").encode("utf-8")
