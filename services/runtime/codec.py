"""Domain objects to bytes and back, for the shared cache: data only, never pickle.

A value read from Redis comes from outside this process, so it is decoded as data (JSON, and
Arrow IPC for transactions, which reach 100k rows) and checked against the declared types of
``integrations.models`` field by field; anything unexpected raises ``CodecError``, which the
store treats as a miss. Layout of every value::

    FORMAT_VERSION (1 byte) | what it holds (1 byte) | body

An item's body is the length of its JSON (4 bytes, big-endian), the JSON of everything but
the transactions, then the transactions as an Arrow IPC stream (zstd-compressed columns). A
report's body is JSON. A sync state's body is laid out like an item's, with the cursor in JSON.

No Streamlit here: the codec is plain functions over the domain types.
"""

from __future__ import annotations

import json
import types
from collections.abc import Callable, Sequence
from dataclasses import fields, is_dataclass
from datetime import date, datetime
from functools import cache
from operator import attrgetter
from typing import Any, Literal, TypeVar, Union, get_args, get_origin, get_type_hints

import pyarrow as pa

from integrations.models import CreditReport, ItemData, SyncState, Transaction

FORMAT_VERSION = 1
_ITEM, _REPORT, _SYNC = b"I", b"R", b"S"
_LENGTH_BYTES = 4
_ARROW_WRITE = pa.ipc.IpcWriteOptions(compression="zstd")
T = TypeVar("T")


class CodecError(ValueError):
    """Bytes that are not a value this version wrote, or an object it cannot write. The
    message names where, never the data."""


# --- Public API ------------------------------------------------------------------------------


def encode_item(data: ItemData) -> bytes:
    return _framed(_ITEM, _all_but_transactions(data), data.transactions)


def decode_item(blob: bytes) -> ItemData:
    rest, transactions = _unframed(_ITEM, blob)
    return _typed(ItemData, rest, "item", transactions)


def encode_report(report: CreditReport) -> bytes:
    return _header(_REPORT) + _json_bytes(_plain(report))


def decode_report(blob: bytes) -> CreditReport:
    return _typed(CreditReport, _json_value(_body(_REPORT, blob)), "report")


def report_text(report: CreditReport) -> str:
    """A report as JSON text: what the history store keeps, sealed, and exports opened."""
    return _json_bytes(_plain(report)).decode("ascii")


def report_from_text(text: str) -> CreditReport:
    return _typed(CreditReport, _json_value(memoryview(text.encode("utf-8"))), "report")


def encode_sync_state(state: SyncState) -> bytes:
    rest = {
        f.name: _plain(getattr(state, f.name)) for f in fields(state) if f.name != "transactions"
    }
    return _framed(_SYNC, rest, state.transactions)


def decode_sync_state(blob: bytes) -> SyncState:
    rest, transactions = _unframed(_SYNC, blob)
    return _typed(SyncState, rest, "sync", transactions)


def stamped(fetched_at: datetime, blob: bytes) -> bytes:
    """A value with when it was fetched in front (ISO 8601 with its UTC offset, a newline),
    so a replica serving it says how old it is."""
    if fetched_at.tzinfo is None:
        raise CodecError("a fetch time without a time zone")
    return fetched_at.isoformat().encode("ascii") + b"\n" + blob


def unstamped(blob: bytes) -> tuple[datetime, bytes]:
    """When a ``stamped`` value was fetched, and the value."""
    if not isinstance(blob, bytes):
        raise CodecError("not bytes")
    stamp, newline, value = blob.partition(b"\n")
    if not newline or len(stamp) > 64:
        raise CodecError("a value without its fetch time")
    try:
        fetched_at = datetime.fromisoformat(stamp.decode("ascii"))
    except (UnicodeDecodeError, ValueError):
        raise CodecError("a fetch time that does not read") from None
    if fetched_at.tzinfo is None:
        raise CodecError("a fetch time without a time zone")
    return fetched_at, value


# --- Framing ---------------------------------------------------------------------------------


def _all_but_transactions(value: ItemData | SyncState) -> dict[str, object]:
    """The JSON part of a value whose transactions go to Arrow."""
    return {
        f.name: _plain(getattr(value, f.name)) for f in fields(value) if f.name != "transactions"
    }


def _header(what: bytes) -> bytes:
    return bytes([FORMAT_VERSION]) + what


def _body(what: bytes, blob: bytes) -> memoryview:
    if not isinstance(blob, bytes | bytearray | memoryview):
        raise CodecError("not bytes")
    view = memoryview(blob)
    if len(view) < 2 or view[0] != FORMAT_VERSION:
        raise CodecError("not a value of this format version")
    if view[1:2] != what:
        raise CodecError("a value of another kind")
    return view[2:]


def _framed(what: bytes, rest: object, transactions: Sequence[Transaction]) -> bytes:
    document = _json_bytes(rest)
    length = len(document).to_bytes(_LENGTH_BYTES, "big")
    return _header(what) + length + document + _arrow_bytes(transactions)


def _unframed(what: bytes, blob: bytes) -> tuple[object, tuple[Transaction, ...]]:
    body = _body(what, blob)
    if len(body) < _LENGTH_BYTES:
        raise CodecError("a value cut short")
    length = int.from_bytes(body[:_LENGTH_BYTES], "big")
    end = _LENGTH_BYTES + length
    if len(body) < end:
        raise CodecError("a value cut short")
    return _json_value(body[_LENGTH_BYTES:end]), _transactions_from(body[end:])


def _json_bytes(value: object) -> bytes:
    # ASCII escapes keep any Python string (even a lone surrogate from an upstream's JSON).
    return json.dumps(value, ensure_ascii=True, separators=(",", ":")).encode("ascii")


def _json_value(body: memoryview) -> object:
    try:
        return json.loads(bytes(body))
    except (ValueError, RecursionError):
        raise CodecError("unreadable JSON") from None


# --- Objects <-> JSON, by the declared types -------------------------------------------------


def _plain(value: object) -> object:
    """A domain object as JSON values: dataclasses as objects, tuples as lists, dates as ISO."""
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, datetime) and value.tzinfo is None:
        # Read back, it could not say which moment it was.
        raise CodecError("a moment without a time zone")
    if isinstance(value, date):
        return value.isoformat()
    return value


@cache
def _hints(cls: type) -> dict[str, Any]:
    return {f.name: get_type_hints(cls)[f.name] for f in fields(cls)}


def _typed(
    cls: type[T], value: object, where: str, transactions: tuple[Transaction, ...] | None = None
) -> T:
    """``value`` as a ``cls``, every field checked against its declared type; ``transactions``
    (read from the Arrow part) is the one field the JSON part then leaves out."""
    if not isinstance(value, dict):
        raise CodecError(f"{where}: not an object")
    hints = dict(_hints(cls))
    given = {} if transactions is None else {"transactions": transactions}
    for name in given:
        hints.pop(name)
    if set(value) != set(hints):
        raise CodecError(f"{where}: not the fields of {cls.__name__}")
    checked = {name: _as(hint, value[name], f"{where}.{name}") for name, hint in hints.items()}
    return cls(**checked, **given)


def _as(hint: Any, value: object, where: str) -> object:
    origin = get_origin(hint)
    if origin in (Union, types.UnionType):
        return _as_optional(hint, value, where)
    if origin is Literal:
        if not isinstance(value, str) or value not in get_args(hint):
            raise CodecError(f"{where}: not one of the expected words")
        return value
    if origin is tuple:
        (item, _ellipsis) = get_args(hint)
        if not isinstance(value, list):
            raise CodecError(f"{where}: not a list")
        return tuple(_as(item, v, f"{where}[{i}]") for i, v in enumerate(value))
    if is_dataclass(hint):
        return _typed(hint, value, where)
    return _as_scalar(hint, value, where)


def _as_optional(hint: Any, value: object, where: str) -> object:
    allowed = [arg for arg in get_args(hint) if arg is not type(None)]
    if value is None and len(allowed) < len(get_args(hint)):
        return None
    if len(allowed) != 1:
        raise CodecError(f"{where}: a union this codec does not write")
    return _as(allowed[0], value, where)


_SCALARS: dict[Any, Callable[[object], bool]] = {
    str: lambda v: isinstance(v, str),
    bool: lambda v: type(v) is bool,
    int: lambda v: type(v) is int,
    float: lambda v: type(v) in (int, float),
}


def _as_scalar(hint: Any, value: object, where: str) -> object:
    if hint is date:
        return _as_date(value, where)
    if hint is datetime:
        return _as_moment(value, where)
    accepts = _SCALARS.get(hint)
    if accepts is None:
        raise CodecError(f"{where}: a type this codec does not write")
    if not accepts(value):
        raise CodecError(f"{where}: not a {hint.__name__}")
    return value


def _as_date(value: object, where: str) -> date:
    try:
        day = date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        day = None
    if day is None or day.isoformat() != value:
        raise CodecError(f"{where}: not a date written YYYY-MM-DD")
    return day


def _as_moment(value: object, where: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None or moment.isoformat() != value:
        raise CodecError(f"{where}: not a moment written in ISO 8601 with its offset")
    return moment


# --- Transactions <-> Arrow ------------------------------------------------------------------

_ARROW_TYPES: dict[Any, pa.DataType] = {
    str: pa.string(),
    float: pa.float64(),
    bool: pa.bool_(),
    date: pa.date32(),
}


def _arrow_field(name: str, hint: Any) -> pa.Field:
    args = get_args(hint)
    optional = type(None) in args
    base = next(a for a in args if a is not type(None)) if optional else hint
    return pa.field(name, _ARROW_TYPES[base], nullable=optional)


# One column per Transaction field, read from its declared types: a new field is stored too.
TRANSACTION_SCHEMA = pa.schema(
    [_arrow_field(name, hint) for name, hint in _hints(Transaction).items()]
)
_REQUIRED = tuple(f.name for f in TRANSACTION_SCHEMA if not f.nullable)


def _arrow_bytes(transactions: Sequence[Transaction]) -> bytes:
    try:
        columns = [
            pa.array(list(map(attrgetter(f.name), transactions)), type=f.type)
            for f in TRANSACTION_SCHEMA
        ]
        table = pa.Table.from_arrays(columns, schema=TRANSACTION_SCHEMA)
    except (pa.ArrowException, ValueError, TypeError, AttributeError):
        # A value of another type, or text that is not UTF-8 (a lone surrogate).
        raise CodecError("transactions that do not fit their declared types") from None
    if any(table.column(name).null_count for name in _REQUIRED):
        raise CodecError("transactions with a missing required field")
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, TRANSACTION_SCHEMA, options=_ARROW_WRITE) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


def _transactions_from(body: memoryview) -> tuple[Transaction, ...]:
    try:
        table = pa.ipc.open_stream(pa.py_buffer(body)).read_all()
        table.validate(full=True)
    except (pa.ArrowException, ValueError, OSError):
        raise CodecError("unreadable transactions") from None
    if not table.schema.equals(TRANSACTION_SCHEMA):
        raise CodecError("transactions of another shape")
    if any(table.column(name).null_count for name in _REQUIRED):
        raise CodecError("transactions with a missing required field")
    try:
        columns = [_python_values(table.column(name)) for name in TRANSACTION_SCHEMA.names]
    except (ValueError, OverflowError):  # a day outside what a Python date can hold
        raise CodecError("transactions with an impossible date") from None
    return tuple(map(Transaction, *columns))


_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()


def _python_values(column: pa.ChunkedArray) -> list[Any]:
    """A column as Python values. Dates are made once per distinct day: Arrow makes one per
    row, several times slower, and a history repeats a few hundred days over 100k rows."""
    if column.type != pa.date32():
        return column.to_pylist()
    days = column.cast(pa.int32()).to_pylist()
    made = {day: date.fromordinal(day + _EPOCH_ORDINAL) for day in set(days) if day is not None}
    made[None] = None
    return [made[day] for day in days]
