"""The transactions page's filters as URL query parameters, and back (pure, no Streamlit).

A view is bookmarked and shared through its URL, so every filter has a short parameter; only
values that differ from the defaults are written. A URL ends up in browser history and proxy
logs, so it never holds a person's financial details: institutions and accounts go in as
opaque ids (``url_id``), never by name, and the search text is not written at all. Whatever
arrives in a URL is untrusted: a value that cannot be understood (an old link's bank name
among them) falls back to its default and is named in a notice, never echoed.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta

import numpy as np
import pandas as pd

from services.analytics.codes import text_codes
from services.analytics.transactions import TransactionFilter

PERIODS: dict[str, str] = {
    "this_month": "This month",
    "last_30_days": "Last 30 days",
    "last_90_days": "Last 90 days",
    "year_to_date": "Year to date",
    "all": "All",
    "custom": "Custom",
}
DEFAULT_PERIOD = "last_90_days"
CUSTOM = "custom"
URL_ID_LENGTH = 12  # hex characters: 48 bits, no collision among one person's accounts

# Parameter names in the URL.
PERIOD, START, END = "period", "from", "to"
INSTITUTION, ACCOUNT, CATEGORY, DETAILED = "institution", "account", "category", "detailed"
MIN_AMOUNT, MAX_AMOUNT, PENDING, TRANSFERS = "min", "max", "pending", "transfers"
QUERY_KEYS = (
    PERIOD,
    START,
    END,
    INSTITUTION,
    ACCOUNT,
    CATEGORY,
    DETAILED,
    MIN_AMOUNT,
    MAX_AMOUNT,
    PENDING,
    TRANSFERS,
)
# Older links carried the search text here: it is taken out of the URL and never read.
RETIRED_KEYS = ("q",)
_TRUE = frozenset({"yes", "true", "1", "on"})
_FALSE = frozenset({"no", "false", "0", "off"})

QueryDict = dict[str, list[str]]
IdPairs = tuple[tuple[str, str], ...]  # (name shown, its id in a URL)


def url_id(kind: str, upstream_id: str) -> str:
    """What stands for an institution or account in a URL: a short hash of the id Plaid gave
    it (the Item's or the account's), never its name.

    Not keyed with the per-process secret of ``services.runtime.cache_keys``: that secret changes on
    every restart and differs between replicas, which would break every bookmark and shared
    link. Plaid's ids are already opaque random strings that stay the same for the life of
    a connection, so their plain hash reveals no name and only matches for someone who holds
    the same connection."""
    digest = hashlib.sha256(f"{kind}\0{upstream_id}".encode()).hexdigest()
    return digest[:URL_ID_LENGTH]


@dataclass(frozen=True)
class FilterOptions:
    """What the data allows a filter to take: the choices offered and the date bounds."""

    institutions: tuple[str, ...]
    accounts: tuple[str, ...]
    categories: tuple[str, ...]
    detailed: tuple[str, ...]
    first_day: date
    last_day: date
    account_institution: tuple[tuple[str, str], ...] = ()  # (account, institution)
    detailed_category: tuple[tuple[str, str], ...] = ()  # (detailed, primary)
    institution_ids: IdPairs = ()  # (institution, url_id of its Item)
    account_ids: IdPairs = ()  # (account, url_id of its account)

    def accounts_at(self, institutions: Sequence[str]) -> tuple[str, ...]:
        """The accounts offered once institutions are chosen (all when none is)."""
        if not institutions:
            return self.accounts
        return tuple(a for a, i in self.account_institution if i in institutions)

    def detailed_in(self, categories: Sequence[str]) -> tuple[str, ...]:
        """The detailed categories offered once primary ones are chosen (all when none is)."""
        if not categories:
            return self.detailed
        return tuple(d for d, c in self.detailed_category if c in categories)


def _sorted_values(column: pd.Series) -> tuple[str, ...]:
    return tuple(sorted(str(v) for v in column.dropna().unique()))


def _pairs(frame: pd.DataFrame, first: str, second: str) -> tuple[tuple[str, str], ...]:
    """The distinct (first, second) pairs the rows hold, neither missing, in text order:
    counted on codes, as a groupby of the two columns would find them, without one."""
    first_codes, firsts = text_codes(frame[first])
    second_codes, seconds = text_codes(frame[second])
    both = (first_codes >= 0) & (second_codes >= 0)
    pair = first_codes[both] * len(seconds) + second_codes[both]
    seen = _distinct(pair, len(firsts) * len(seconds))
    found = zip(firsts[seen // len(seconds)], seconds[seen % len(seconds)], strict=True)
    return tuple(sorted((str(a), str(b)) for a, b in found))


def _distinct(codes: np.ndarray, bound: int) -> np.ndarray:
    """The distinct values of ``codes`` (integers in [0, bound)), in order."""
    if bound <= 4 * len(codes) + 1024:
        return np.flatnonzero(np.bincount(codes, minlength=bound))
    return np.unique(codes)


def _url_ids(frame: pd.DataFrame, name: str, upstream_id: str, kind: str) -> IdPairs:
    """Each name's id in a URL. The filters go by name, so a name two Items (or accounts)
    share gets one id: that of the smallest upstream id, which does not move between runs."""
    name_codes, names = text_codes(frame[name])
    id_codes, ids = text_codes(frame[upstream_id])
    # Ids in text order, a missing id after every other (a name with none gets "nan").
    ids = pd.Series(ids, dtype="object")
    id_rank = np.empty(len(ids) + 1, dtype="int64")
    id_rank[np.argsort(ids.to_numpy(dtype="str"), kind="stable")] = np.arange(len(ids))
    id_rank[-1] = len(ids)  # code -1: missing
    named = name_codes >= 0
    pair = name_codes[named] * (len(ids) + 1) + id_rank[id_codes[named]]
    seen = _distinct(pair, len(names) * (len(ids) + 1))
    smallest = pd.Series(seen % (len(ids) + 1)).groupby(seen // (len(ids) + 1)).min()
    by_rank = np.r_[ids.to_numpy()[np.argsort(id_rank[:-1])], np.nan].astype("object")
    return tuple(
        sorted((str(names[n]), url_id(kind, str(by_rank[r]))) for n, r in smallest.items())
    )


def filter_options(frame: pd.DataFrame, today: date) -> FilterOptions:
    first = frame["date"].min().date() if not frame.empty else today
    last = frame["date"].max().date() if not frame.empty else today
    return FilterOptions(
        institutions=_sorted_values(frame["institution"]),
        accounts=_sorted_values(frame["account"]),
        categories=_sorted_values(frame["category"]),
        detailed=_sorted_values(frame["category_detailed"]),
        first_day=min(first, today),
        last_day=max(last, today),
        account_institution=_pairs(frame, "account", "institution"),
        detailed_category=_pairs(frame, "category_detailed", "category"),
        institution_ids=_url_ids(frame, "institution", "item_id", INSTITUTION),
        account_ids=_url_ids(frame, "account", "account_id", ACCOUNT),
    )


@dataclass(frozen=True)
class FilterChoice:
    """What the filter widgets hold. Dates are kept only for a custom period: a bookmarked
    "last 30 days" keeps meaning the last 30 days."""

    period: str = DEFAULT_PERIOD
    start: date | None = None
    end: date | None = None
    institutions: tuple[str, ...] = ()
    accounts: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    detailed: tuple[str, ...] = ()
    min_amount: float | None = None
    max_amount: float | None = None
    text: str = ""
    include_pending: bool = True
    include_transfers: bool = True
    notices: tuple[str, ...] = field(default=(), compare=False)


def _clamp(day: date, options: FilterOptions) -> date:
    return min(max(day, options.first_day), options.last_day)


def period_dates(period: str, today: date, options: FilterOptions) -> tuple[date, date]:
    """The first and last day a quick period covers, within the data's date bounds."""
    starts = {
        "this_month": today.replace(day=1),
        "last_30_days": today - timedelta(days=29),
        "last_90_days": today - timedelta(days=89),
        "year_to_date": today.replace(month=1, day=1),
        "all": options.first_day,
    }
    start = starts.get(period, starts[DEFAULT_PERIOD])
    end = options.last_day if period == "all" else today
    return _clamp(start, options), _clamp(end, options)


def choice_dates(choice: FilterChoice, today: date, options: FilterOptions) -> tuple[date, date]:
    """The dates the widgets hold when known, else those of the quick period."""
    if choice.start and choice.end:
        return choice.start, choice.end
    return period_dates(choice.period, today, options)


def to_filter(choice: FilterChoice, today: date, options: FilterOptions) -> TransactionFilter:
    start, end = choice_dates(choice, today, options)
    return TransactionFilter(
        start=start,
        end=end,
        accounts=choice.accounts,
        categories=choice.categories,
        text=choice.text,
        include_pending=choice.include_pending,
        include_transfers=choice.include_transfers,
        institutions=choice.institutions,
        detailed_categories=choice.detailed,
        min_amount=choice.min_amount,
        max_amount=choice.max_amount,
    )


# --- to the URL -------------------------------------------------------------------------------


def _number_text(value: float) -> str:
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _ids_of(names: Sequence[str], ids: IdPairs) -> list[str]:
    """The URL ids of chosen names; a name without one is left out, never written as is."""
    by_name = dict(ids)
    return [by_name[name] for name in names if name in by_name]


def to_query(choice: FilterChoice, options: FilterOptions) -> QueryDict:
    """The URL parameters of a choice: only what differs from the defaults, institutions and
    accounts by id, and never the search text."""
    query: QueryDict = {}
    if choice.period != DEFAULT_PERIOD:
        query[PERIOD] = [choice.period]
    if choice.period == CUSTOM and choice.start and choice.end:
        query[START] = [choice.start.isoformat()]
        query[END] = [choice.end.isoformat()]
    for key, values in (
        (INSTITUTION, _ids_of(choice.institutions, options.institution_ids)),
        (ACCOUNT, _ids_of(choice.accounts, options.account_ids)),
        (CATEGORY, list(choice.categories)),
        (DETAILED, list(choice.detailed)),
    ):
        if values:
            query[key] = values
    if choice.min_amount is not None:
        query[MIN_AMOUNT] = [_number_text(choice.min_amount)]
    if choice.max_amount is not None:
        query[MAX_AMOUNT] = [_number_text(choice.max_amount)]
    if not choice.include_pending:
        query[PENDING] = ["no"]
    if not choice.include_transfers:
        query[TRANSFERS] = ["no"]
    return query


# --- from the URL -----------------------------------------------------------------------------


def _last(params: Mapping[str, Sequence[str]], key: str) -> str | None:
    values = params.get(key) or []
    return values[-1] if values else None


def _parse_day(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


def _parse_amount(text: str | None) -> float | None:
    try:
        value = float(text) if text is not None else None
    except ValueError:
        return None
    # Money is kept to the cent, so what is read is exactly what is written back.
    return round(value, 2) if value is not None and math.isfinite(value) else None


def _parse_flag(text: str | None) -> bool | None:
    lowered = (text or "").strip().lower()
    return True if lowered in _TRUE else False if lowered in _FALSE else None


def _known(values: Sequence[str], allowed: Sequence[str]) -> tuple[tuple[str, ...], bool]:
    """The values that are offered (duplicates dropped), and whether every value was."""
    kept = tuple(dict.fromkeys(v for v in values if v in allowed))
    return kept, len(kept) == len(dict.fromkeys(values))


class _Reader:
    """Reads one URL's parameters, remembering which ones had to be reset."""

    def __init__(self, params: Mapping[str, Sequence[str]]) -> None:
        self.params = params
        self.rejected: list[str] = []

    def reject(self, *keys: str) -> None:
        self.rejected.extend(k for k in keys if k not in self.rejected)

    def options(self, key: str, allowed: Sequence[str]) -> tuple[str, ...]:
        kept, all_known = _known(self.params.get(key) or [], allowed)
        if not all_known:
            self.reject(key)
        return kept

    def named(self, key: str, ids: IdPairs, allowed: Sequence[str]) -> tuple[str, ...]:
        """The offered names whose URL ids are given; a name in place of an id (an older
        link) is not one of them."""
        by_id = {url: name for name, url in ids}
        given = self.params.get(key) or []
        kept, all_known = _known([by_id[v] for v in given if v in by_id], allowed)
        if not all_known or any(v not in by_id for v in given):
            self.reject(key)
        return kept

    def amount(self, key: str) -> float | None:
        text = _last(self.params, key)
        value = _parse_amount(text)
        if text is not None and value is None:
            self.reject(key)
        return value

    def flag(self, key: str) -> bool:
        text = _last(self.params, key)
        value = _parse_flag(text)
        if text is not None and value is None:
            self.reject(key)
        return True if value is None else value


def _read_period(reader: _Reader, options: FilterOptions) -> tuple[str, date | None, date | None]:
    period = _last(reader.params, PERIOD)
    raw_start, raw_end = _last(reader.params, START), _last(reader.params, END)
    if period is None and (raw_start or raw_end):
        period = CUSTOM  # a link that gives dates means those dates
    if period is None:
        return DEFAULT_PERIOD, None, None
    if period not in PERIODS:
        reader.reject(PERIOD)
        return DEFAULT_PERIOD, None, None
    if period != CUSTOM:
        return period, None, None
    start, end = _parse_day(raw_start), _parse_day(raw_end)
    if start is None or end is None or start > end:
        reader.reject(START, END)
        return DEFAULT_PERIOD, None, None
    # Dates beyond the data are not wrong, just more than there is: keep what overlaps.
    return CUSTOM, _clamp(start, options), _clamp(end, options)


def from_query(params: Mapping[str, Sequence[str]], options: FilterOptions) -> FilterChoice:
    """The choice a URL describes; parameters that cannot be understood keep their default
    and are named in ``notices``."""
    reader = _Reader(params)
    period, start, end = _read_period(reader, options)
    min_amount, max_amount = reader.amount(MIN_AMOUNT), reader.amount(MAX_AMOUNT)
    if min_amount is not None and max_amount is not None and min_amount > max_amount:
        reader.reject(MIN_AMOUNT, MAX_AMOUNT)
        min_amount = max_amount = None
    institutions = reader.named(INSTITUTION, options.institution_ids, options.institutions)
    categories = reader.options(CATEGORY, options.categories)
    choice = FilterChoice(
        period=period,
        start=start,
        end=end,
        institutions=institutions,
        accounts=reader.named(ACCOUNT, options.account_ids, options.accounts_at(institutions)),
        categories=categories,
        detailed=reader.options(DETAILED, options.detailed_in(categories)),
        min_amount=min_amount,
        max_amount=max_amount,
        include_pending=reader.flag(PENDING),
        include_transfers=reader.flag(TRANSFERS),
    )
    return replace(choice, notices=tuple(reader.rejected))


def notice_text(rejected: Sequence[str]) -> str:
    """One short sentence naming the parameters that were reset (never their values)."""
    names = ", ".join(f"`{name}`" for name in rejected)
    return f"Part of this link could not be understood and was reset to the default: {names}."
