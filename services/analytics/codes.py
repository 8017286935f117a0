"""Columns as small integers that sort and group fast (pure numpy, pandas and Arrow): what
detection over a whole history works on instead of text, dates and amounts."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc


def text_codes(values: pd.Series, *, first_seen: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """A code per row (-1 where missing) and the value of each code. A categorical's own
    codes are used as they are (no hashing), unless ``first_seen`` asks for codes numbered
    in order of first appearance, as ``pd.factorize`` numbers them; text is hashed by
    Arrow, about twice as fast as ``pd.factorize`` (same codes)."""
    if isinstance(values.dtype, pd.CategoricalDtype) and not first_seen:
        return values.cat.codes.to_numpy().astype("int64"), values.cat.categories.to_numpy()
    if isinstance(values.dtype, pd.StringDtype):
        encoded = pc.dictionary_encode(pa.array(values, type=pa.large_string()))
        codes = encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False).astype("int64")
        return codes, encoded.dictionary.to_numpy(zero_copy_only=False)
    codes, uniques = pd.factorize(values)
    return codes, np.asarray(uniques, dtype="object")


def stable_order(*keys: np.ndarray) -> np.ndarray:
    """The order ``np.lexsort(keys[::-1])`` gives (by the first key, then the next; equal
    rows keep their order) for integer keys. The keys and each row's position are combined
    into one integer, unique per row, when their ranges fit in 62 bits: numpy's default
    sort of it (vectorised, not stable, needing no stability with unique keys) is several
    times faster than a lexsort or a stable sort."""
    rows = len(keys[0])
    key = np.zeros(rows, dtype="int64")
    bound = float(max(rows, 1))
    for values in keys:
        low = int(values.min()) if rows else 0
        span = (int(values.max()) - low + 1) if rows else 1
        bound *= span
        if bound >= 2.0**62:
            return np.lexsort(keys[::-1])
        key = key * span + (values - low)
    return np.argsort(key * rows + np.arange(rows))


def day_key(dates: np.ndarray) -> np.ndarray:
    """Integers that order as ``dates`` do: day numbers when every date is a whole day (as
    Plaid's are), else each date's rank."""
    days = dates.astype("datetime64[D]")
    if np.array_equal(days, dates):
        return days.astype("int64")
    return np.unique(dates, return_inverse=True)[1]


# Rows as one numpy array per column: detection's tables are narrow, and a DataFrame's fixed
# cost per operation (building, selecting, joining, concatenating) was most of a detection
# pass on a short history.
Table = dict[str, np.ndarray]


def take(table: Table, rows: np.ndarray) -> Table:
    """``rows`` (a mask or positions) of every column."""
    return {name: values[rows] for name, values in table.items()}


def stacked(*tables: Table) -> Table:
    """The tables' rows one after the other (each has the first one's columns)."""
    return {name: np.concatenate([table[name] for table in tables]) for name in tables[0]}


def cents(amounts: np.ndarray) -> np.ndarray:
    """Amounts rounded to the cent as integers: they order and compare as the amounts."""
    return np.rint(amounts * 100).astype("int64")
