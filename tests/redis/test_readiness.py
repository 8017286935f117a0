"""Readiness in hybrid mode against the machine's Redis (services/web/health.py): ready while
Redis answers PING, not ready (and no exception) while it does not."""

from __future__ import annotations

from cryptography.fernet import Fernet

from services.runtime.settings import parse_settings
from services.web.health import readiness
from tests.support.browser_support import free_port

KEY = Fernet.generate_key().decode()


def test_hybrid_mode_is_ready_while_redis_answers(shared_redis: str) -> None:
    report = readiness(parse_settings({"REDIS_URL": shared_redis, "TOKEN_ENCRYPTION_KEY": KEY}))
    assert report.ready
    assert report.checks["redis"] == "ok"


def test_hybrid_mode_is_not_ready_while_redis_does_not_answer() -> None:
    nobody = f"redis://127.0.0.1:{free_port()}/0"
    report = readiness(parse_settings({"REDIS_URL": nobody, "TOKEN_ENCRYPTION_KEY": KEY}))
    assert not report.ready
    assert report.as_json() == {
        "ready": False,
        "checks": {"settings": "ok", "redis": "unavailable", "database": "not configured"},
    }
