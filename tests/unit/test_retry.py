from __future__ import annotations

import pickle

import pytest

from integrations.common.errors import Action, UpstreamError
from integrations.common.retry import RetryPolicy, call_with_retry


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0
        self.waits: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.now += seconds

    def __call__(self) -> float:
        return self.now


def failing(errors: list[UpstreamError], result: str = "ok"):  # type: ignore[no-untyped-def]
    calls = []

    def call() -> str:
        calls.append(1)
        if errors:
            raise errors.pop(0)
        return result

    return call, calls


def temporary(retry_after: float | None = None) -> UpstreamError:
    return UpstreamError(
        code="RATE", user_message="busy", action=Action.RETRY_LATER, retryable=True,
        retry_after=retry_after,
    )  # fmt: skip


def permanent() -> UpstreamError:
    return UpstreamError(code="LOGIN", user_message="sign in", action=Action.RELINK)


def policy(clock: FakeClock, **kw: float) -> RetryPolicy:
    return RetryPolicy(sleep=clock.sleep, clock=clock, jitter=lambda: 1.0, **kw)  # type: ignore[arg-type]


def test_retries_then_succeeds_with_doubling_waits() -> None:
    clock = FakeClock()
    call, calls = failing([temporary(), temporary()])
    assert call_with_retry(call, policy(clock)) == "ok"
    assert len(calls) == 3
    assert clock.waits == [0.5, 1.0]


def test_gives_up_after_three_attempts() -> None:
    clock = FakeClock()
    call, calls = failing([temporary(), temporary(), temporary(), temporary()])
    with pytest.raises(UpstreamError):
        call_with_retry(call, policy(clock))
    assert len(calls) == 3


def test_never_retries_a_permanent_error() -> None:
    clock = FakeClock()
    call, calls = failing([permanent()])
    with pytest.raises(UpstreamError) as caught:
        call_with_retry(call, policy(clock))
    assert caught.value.action is Action.RELINK
    assert len(calls) == 1
    assert clock.waits == []


def test_a_wait_past_the_budget_is_not_started() -> None:
    clock = FakeClock()
    call, calls = failing([temporary(retry_after=30.0), temporary()])
    with pytest.raises(UpstreamError):
        call_with_retry(call, policy(clock, budget_seconds=10.0))
    assert len(calls) == 1
    assert clock.waits == []


def test_retry_after_is_honoured_when_longer_than_backoff() -> None:
    clock = FakeClock()
    call, _ = failing([temporary(retry_after=3.0)])
    call_with_retry(call, policy(clock))
    assert clock.waits == [3.0]


def test_jitter_keeps_waits_between_half_and_full_backoff() -> None:
    low = RetryPolicy(jitter=lambda: 0.0, max_delay=4.0)
    high = RetryPolicy(jitter=lambda: 1.0, max_delay=4.0)
    assert [low.delay_before(n) for n in (2, 3, 4, 5, 6)] == [0.25, 0.5, 1.0, 2.0, 2.0]
    assert [high.delay_before(n) for n in (2, 3, 4, 5, 6)] == [0.5, 1.0, 2.0, 4.0, 4.0]


def test_errors_describe_themselves_without_the_message_and_survive_pickling() -> None:
    error = UpstreamError(
        code="ITEM_LOGIN_REQUIRED", error_type="ITEM_ERROR", user_message="Sign in again",
        action=Action.RELINK, request_id="req-1", status=400,
    )  # fmt: skip
    assert str(error) == "upstream error ITEM_ERROR/ITEM_LOGIN_REQUIRED, HTTP 400, request_id req-1"
    copy = pickle.loads(pickle.dumps(error))  # noqa: S301 - our own object
    assert (copy.code, copy.action, copy.user_message, str(copy)) == (
        error.code, error.action, error.user_message, str(error),
    )  # fmt: skip
