"""How long one upstream call may take, by default.

The settings, the Plaid client's ``Timeouts`` and the ``RetryPolicy`` all start from these, so
a default changes here and nowhere else (the README's settings table is checked against them).
"""

from __future__ import annotations

DEFAULT_CONNECT_TIMEOUT_SECONDS = 5.0
DEFAULT_READ_TIMEOUT_SECONDS = 30.0
DEFAULT_CALL_BUDGET_SECONDS = 60.0  # retries included
