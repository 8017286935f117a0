"""Another replica of the app taking one of Plaid's webhooks: a process of its own (its own
caches and memory, the same REDIS_URL, TOKEN_ENCRYPTION_KEY and Plaid settings from the
environment) that verifies the call it reads on standard input and acts on it, as the route
and its worker do. Prints ``accepted`` or ``refused <CODE>``.

Run as ``python -m tests.support.webhook_replica`` with ``{"headers": ..., "body": ...}``
(the body as text) on standard input."""

from __future__ import annotations

import json
import sys

from integrations.plaid.webhooks import WebhookVerificationError, parse_event
from services.runtime import webhook_events
from services.runtime.settings import current_settings


def main() -> None:
    call = json.load(sys.stdin)
    body = call["body"].encode()
    settings = current_settings()
    try:
        webhook_events.verifier(settings).verify(call["headers"]["Plaid-Verification"], body)
    except WebhookVerificationError as refused:
        print(f"refused {refused.code}")
        return
    webhook_events.apply(settings, parse_event(body))
    print("accepted")


if __name__ == "__main__":
    main()
