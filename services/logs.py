"""One configured logger for the app, with a redaction filter as a second line of defence.

The first line of defence is that no code formats a secret into a message. The filter masks
anything shaped like a Plaid token, a bearer token or an SSN, and any value registered with
``register_secret`` (the configured API secrets), should one slip through.
"""

from __future__ import annotations

import logging
import re
import threading

LOGGER_NAME = "credit_monitor"
_PATTERNS = (
    re.compile(r"\b(access|public|link)-(sandbox|production|development|demo)-[A-Za-z0-9-]+"),
    re.compile(r"(?i)\bbearer\s+[A-Za-z0-9._~+/=-]+"),
    re.compile(r"\b\d{3}-\d{2}-\d{4}\b"),
    re.compile(r"\b\d{9}\b"),
)
_registered: set[str] = set()
_lock = threading.Lock()


def register_secret(value: str | None) -> None:
    """Mask this exact value in every log record from now on."""
    if value and len(value) >= 6:
        with _lock:
            _registered.add(value)


_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]")


def redact(text: str) -> str:
    # Upstream codes can carry line breaks; one record must stay one line in the log.
    text = _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)
    for pattern in _PATTERNS:
        text = pattern.sub("[redacted]", text)
    with _lock:
        secrets = sorted(_registered, key=len, reverse=True)
    for secret in secrets:
        text = text.replace(secret, "[redacted]")
    return text


class RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage())
        record.args = None
        if record.exc_info and record.exc_info[1] is not None:
            # Tracebacks can quote upstream bodies; keep the exception type only.
            record.msg += f" ({type(record.exc_info[1]).__name__})"
            record.exc_info = None
            record.exc_text = None
        return True


_FILTER = RedactingFilter()


def get_logger(name: str | None = None) -> logging.Logger:
    """A logger of the app. The filter sits on the logger itself, so records are redacted
    before any handler (ours, the root's, a test's) sees them."""
    logger = logging.getLogger(f"{LOGGER_NAME}.{name}" if name else LOGGER_NAME)
    if _FILTER not in logger.filters:
        logger.addFilter(_FILTER)
    return logger


def configure_logging(level: int = logging.INFO) -> logging.Logger:
    """Idempotent: one handler with the redaction filter on the app's root logger."""
    logger = get_logger()
    if not any(_FILTER in h.filters for h in logger.handlers):
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        handler.addFilter(_FILTER)
        logger.addHandler(handler)
        logger.setLevel(level)
    return logger
