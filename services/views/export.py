"""CSV exports: stable column names, ISO dates, plain numbers (no currency symbols).

Every table a page offers for download goes through ``to_csv_bytes``. Its text comes from
upstream (merchants, creditors, banks, account names), and a spreadsheet opens a cell that
starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return as a formula: such text
cells get a leading ``'`` so they open as the text they are, and a line break inside a cell
stays inside it. Numeric columns are left alone,
so a refund of -12.5 is still a number.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
TEXT_MARK = "'"


def as_spreadsheet_text(value: Any) -> Any:
    """A string a spreadsheet would evaluate, made literal; anything else unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return TEXT_MARK + value
    return value


def _holds_text(column: pd.Series) -> bool:
    dtype = column.dtype
    return (
        isinstance(dtype, pd.CategoricalDtype)
        or pd.api.types.is_object_dtype(dtype)
        or pd.api.types.is_string_dtype(dtype)
    )


def to_csv_bytes(frame: pd.DataFrame) -> bytes:
    out = frame.copy()
    for column in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[column]):
            out[column] = out[column].dt.strftime("%Y-%m-%d")
        elif _holds_text(out[column]):
            # Object first: mapping a categorical would merge categories that collide.
            out[column] = out[column].astype(object).map(as_spreadsheet_text)
    # CRLF rows (RFC 4180): the csv writer then quotes any cell holding a CR or a newline, so a
    # name with a CR inside cannot end its row and start a new one with a formula.
    return out.to_csv(index=False, date_format="%Y-%m-%d", lineterminator="\r\n").encode("utf-8")
