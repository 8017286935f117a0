"""The one error the history store raises, in the shape every backend fails into."""

from __future__ import annotations

from integrations.common.errors import Action, UpstreamError


class StoreError(UpstreamError):
    """The history store could not do what was asked. Its text is ours: never the database's
    message, which can quote the URL, a statement or the values bound to it."""

    service = "history store"


def unavailable() -> StoreError:
    return StoreError(
        code="STORE_UNAVAILABLE",
        error_type="STORE",
        user_message="The history cannot be reached right now; try again in a few minutes.",
        action=Action.RETRY_LATER,
        retryable=True,
    )


def refused() -> StoreError:
    return StoreError(
        code="STORE_REFUSED",
        error_type="STORE",
        user_message="The history refused this change; nothing of it was saved.",
        action=Action.CONTACT_SUPPORT,
    )


def misconfigured() -> StoreError:
    return StoreError(
        code="STORE_MISCONFIGURED",
        error_type="STORE",
        user_message="The history store is not set up in a way this version can use.",
        action=Action.FIX_CONFIGURATION,
    )


def not_kept() -> StoreError:
    return StoreError(
        code="ITEM_NOT_KEPT",
        error_type="STORE",
        user_message="This bank is not kept in the history; connect it again.",
        action=Action.RECONNECT,
    )
