"""A credit report is handed to every session as the very same object (the report caches in
``services/runtime/loaders.py`` are ``st.cache_resource``, with no copy per session): nothing
in it may be changeable, or one session could change what another is shown."""

from __future__ import annotations

import dataclasses
import types
import typing
from datetime import date, datetime
from enum import Enum

import pytest

from integrations.models import CreditReport
from services.runtime.loaders import ReportFetch

UNCHANGEABLE = (str, int, float, bool, date, datetime, type(None))


def changeable_parts(kind: object, where: str, seen: set[object]) -> list[str]:
    """Every place in the type ``kind`` where a value could be changed in place."""
    origin = typing.get_origin(kind)
    if origin in (typing.Union, types.UnionType):
        return [p for arg in typing.get_args(kind) for p in changeable_parts(arg, where, seen)]
    if origin is typing.Literal:
        return (
            [] if all(isinstance(arg, UNCHANGEABLE) for arg in typing.get_args(kind)) else [where]
        )
    if origin is tuple:
        args = [arg for arg in typing.get_args(kind) if arg is not Ellipsis]
        return [p for arg in args for p in changeable_parts(arg, f"{where}[]", seen)]
    if origin is not None:
        return [f"{where}: {kind}"]  # list, dict, set, Mapping...
    if isinstance(kind, type) and dataclasses.is_dataclass(kind):
        if kind in seen:
            return []
        seen.add(kind)
        found = [] if kind.__dataclass_params__.frozen else [f"{where}: {kind.__name__} not frozen"]
        hints = typing.get_type_hints(kind)
        for field in dataclasses.fields(kind):
            found += changeable_parts(hints[field.name], f"{where}.{field.name}", seen)
        return found
    if isinstance(kind, type) and issubclass(kind, (Enum, *UNCHANGEABLE)):
        return []
    return [f"{where}: {kind}"]


@pytest.mark.parametrize("kind", [CreditReport, ReportFetch])
def test_a_shared_credit_report_cannot_be_changed_in_place(kind: type) -> None:
    assert changeable_parts(kind, kind.__name__, set()) == []


def test_the_check_finds_a_changeable_part() -> None:
    @dataclasses.dataclass(frozen=True)
    class Careless:
        lines: list[str]

    assert changeable_parts(Careless, "Careless", set()) == ["Careless.lines: list[str]"]
