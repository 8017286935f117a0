"""A person's copy of everything the history keeps about them ("Download my data"): one JSON
file (exact values) and one CSV file (for a spreadsheet, through the app's one CSV export path)
per table, each credit report opened as JSON of its own, and a README.txt of the files.

What is sealed stays out: access tokens are not included at all (keys to the bank, not data
about the person), nor the hashes of API tokens (what the person is shown of each token is its
name and when it was made, used and revoked), and a report is included only as the caller's
opener opens it.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Any

import pandas as pd

from services.storage.schema import metadata
from services.views.export import to_csv_bytes

# Columns that leave the store only sealed, or not at all.
SEALED_COLUMNS = frozenset({"sealed_token", "sealed_report", "token_hash"})
ReportOpener = Callable[[bytes], Mapping[str, Any]]


_README_INTRO = """\
Everything this app keeps about you, as of {made}.

Each table is here twice: as JSON (exact values, for programs) and as CSV (for a
spreadsheet; a text cell that starts with =, +, -, @, a tab or a carriage return has a
' in front so that it opens as text, not as a formula). Times are UTC. Amounts keep the
bank's sign: a positive amount is money leaving the account.

person_key is how this app names you in its database: a keyed hash, not your address.
Your bank access tokens are not included, not even encrypted: they are keys to your bank,
not data about you. Nor are the hashes of your API tokens: the app never kept the tokens.

Files:
"""
_FILES = {
    "people": "when the app first kept something of yours",
    "items": "your bank connections: the institution and where the transaction sync stands",
    "accounts": "the accounts of those connections: names, masks, types, currencies",
    "transactions": "your transactions, kept in step with your banks",
    "account_days": "each account as it stood at the end of each day the app fetched it",
    "reports": "when each credit report was pulled (the report itself is in credit_reports/)",
    "scores": "the scores read from each report",
    "audit": "what was done with your data, and whether it worked (no details of yours)",
    "api_tokens": "your API tokens: name, when made, last used and revoked (never the token; "
    "domain_key is a keyed hash of your sign-in address's domain)",
}


def zip_of(kept: Mapping[str, list[dict[str, Any]]], open_report: ReportOpener | None) -> bytes:
    """The zip of ``kept`` (each table's rows of one person, by table name)."""
    buffer = io.BytesIO()
    listed: list[str] = []
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, rows in kept.items():
            columns = [c.name for c in metadata.tables[name].c if c.name not in SEALED_COLUMNS]
            values = [{column: plain(row[column]) for column in columns} for row in rows]
            archive.writestr(f"{name}.json", _json_bytes(values))
            archive.writestr(f"{name}.csv", to_csv_bytes(pd.DataFrame(values, columns=columns)))
            listed.append(f"{name}.json, {name}.csv: {_FILES[name]} ({len(rows)} rows)")
        listed += _write_reports(archive, kept["reports"], open_report)
        made = datetime.now(UTC).isoformat(timespec="seconds")
        archive.writestr("README.txt", _README_INTRO.format(made=made) + "\n".join(listed) + "\n")
    return buffer.getvalue()


def _write_reports(
    archive: zipfile.ZipFile, rows: Sequence[Mapping[str, Any]], open_report: ReportOpener | None
) -> list[str]:
    """Each report opened as JSON of its own; what could not be opened is said, not hidden."""
    lines: list[str] = []
    for row in rows:
        name = f"credit_reports/report-{row['report_id']}.json"
        try:
            report = None if open_report is None else open_report(bytes(row["sealed_report"]))
        except Exception:  # any failure to open is the same to the person: not included
            report = None
        if report is None:
            lines.append(f"{name}: not included, it could not be opened with this app's key")
            continue
        archive.writestr(name, _json_bytes(report))
        lines.append(f"{name}: the credit report pulled at {plain(row['pulled_at'])}")
    return lines


def plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


def _json_bytes(value: Any) -> bytes:
    # Readable UTF-8; text an upstream sent that is not valid Unicode (a lone surrogate)
    # becomes a \\u escape, which is still valid JSON.
    text = json.dumps(value, ensure_ascii=False, indent=2, default=plain)
    return text.encode("utf-8", "backslashreplace")
