"""Retries with exponential backoff and jitter, in exactly one place.

Only errors marked retryable are tried again, at most ``max_attempts`` times in all, and never
past the call's time budget: a wait that would cross the budget is not started.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from integrations.common.errors import UpstreamError
from integrations.common.timeouts import DEFAULT_CALL_BUDGET_SECONDS

T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 3
    base_delay: float = 0.5
    max_delay: float = 8.0
    budget_seconds: float = DEFAULT_CALL_BUDGET_SECONDS
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False)
    clock: Callable[[], float] = field(default=time.monotonic, repr=False)
    jitter: Callable[[], float] = field(default=random.random, repr=False)

    def delay_before(self, attempt: int, retry_after: float | None = None) -> float:
        """Wait before attempt number ``attempt`` (2, 3, ...): exponential backoff with jitter
        (between half and all of it), or the server's Retry-After when it asks for longer."""
        ceiling = min(self.max_delay, self.base_delay * 2 ** (attempt - 2))
        delay = ceiling * (0.5 + 0.5 * self.jitter())
        return max(delay, retry_after or 0.0)


def call_with_retry(call: Callable[[], T], policy: RetryPolicy) -> T:
    """Run ``call``; on a retryable UpstreamError wait and try again within the policy."""
    started = policy.clock()
    attempt = 1
    while True:
        try:
            return call()
        except UpstreamError as error:
            if not error.retryable or attempt >= policy.max_attempts:
                raise
            attempt += 1
            delay = policy.delay_before(attempt, error.retry_after)
            if policy.clock() - started + delay > policy.budget_seconds:
                raise
            policy.sleep(delay)
