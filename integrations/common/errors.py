"""One error hierarchy for every upstream: what happened, what the person should do.

Messages are written for a person and never contain a secret, a token, a request body or the
upstream's raw error text. ``str(error)`` is safe to log.
"""

from __future__ import annotations

import copy
from enum import StrEnum
from typing import Self


class Action(StrEnum):
    RELINK = "relink"  # sign in again at the bank (Plaid Link update mode)
    RECONNECT = "reconnect"  # connect the account again from scratch
    RETRY_LATER = "retry_later"  # temporary: try again in a few minutes
    FIX_CONFIGURATION = "fix_configuration"  # the operator must fix a setting
    CONTACT_SUPPORT = "contact_support"  # something we cannot fix from here
    NONE = "none"  # informational: the data that is missing is simply not available

    @property
    def label(self) -> str:
        return ACTION_LABELS[self]


ACTION_LABELS = {
    Action.RELINK: "Sign in to your bank again",
    Action.RECONNECT: "Reconnect this account",
    Action.RETRY_LATER: "Try again in a few minutes",
    Action.FIX_CONFIGURATION: "Ask the app's operator to fix its configuration",
    Action.CONTACT_SUPPORT: "Contact support if this persists",
    Action.NONE: "Nothing to do",
}


class UpstreamError(Exception):
    """A failed call to Plaid or Experian, reduced to what is safe to show and log."""

    service = "upstream"

    def __init__(
        self,
        *,
        code: str,
        user_message: str,
        action: Action,
        error_type: str = "",
        request_id: str | None = None,
        status: int | None = None,
        retryable: bool = False,
        retry_after: float | None = None,
        institution_name: str | None = None,
    ) -> None:
        self.code = code
        self.error_type = error_type
        self.user_message = user_message
        self.action = action
        self.request_id = request_id
        self.status = status
        self.retryable = retryable
        self.retry_after = retry_after
        # Which bank the failure is about, when known: someone with two banks must be told
        # which one to fix. Not part of describe(), so log lines stay as they were.
        self.institution_name = institution_name
        super().__init__(self.describe())

    def naming(self, institution_name: str | None) -> Self:
        """This error, about the named institution (a copy; None keeps the name it has)."""
        named = copy.copy(self)
        if institution_name:
            named.institution_name = institution_name
        return named

    def describe(self) -> str:
        parts = [f"{self.service} error {self.error_type or 'UNKNOWN'}/{self.code}"]
        if self.status is not None:
            parts.append(f"HTTP {self.status}")
        if self.request_id:
            parts.append(f"request_id {self.request_id}")
        return ", ".join(parts)

    def __reduce__(self) -> tuple[object, ...]:
        # Cached results may hold errors; keyword-only __init__ needs help to unpickle.
        return (_rebuild, (type(self), self.__dict__.copy()))


def _rebuild(cls: type[UpstreamError], state: dict[str, object]) -> UpstreamError:
    error = cls.__new__(cls)
    error.__dict__.update(state)
    Exception.__init__(error, error.describe())
    return error
