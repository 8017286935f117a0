"""What an upstream's error code means for the person: one type for every upstream.

Plaid and Experian each keep a table ``ERROR_CODES: Mapping[str, Guidance]``; the client turns
an entry into an ``UpstreamError``. One shape means one way to read, test and document a code.
"""

from __future__ import annotations

from dataclasses import dataclass

from integrations.common.errors import Action


@dataclass(frozen=True)
class Guidance:
    message: str  # written for the person; never the upstream's raw text
    action: Action
    retryable: bool = False
    error_type: str = ""  # our grouping of the code, shown in logs (``str(error)``)
