"""One configured logger for the app, with a redaction filter as a second line of defence.

The first line of defence is that no code formats a secret into a message. The filter masks,
should one slip through, anything shaped like a person's secrets (a Plaid token, a bearer
token, an SSN, a date of birth, an email address) and the operator's own secrets registered with
``register_secret``. A person's values are recognised by their shape and never kept here, so
nothing of theirs outlives Disconnect, "Remove my details" or their session, and the
registry stays as small as the configuration.
"""

from __future__ import annotations

import logging
import re
import threading

LOGGER_NAME = "credit_monitor"
_MONTH, _DAY, _YEAR = r"(0[1-9]|1[0-2])", r"(0[1-9]|[12][0-9]|3[01])", r"(19|20)[0-9]{2}"
_PATTERNS = (
    re.compile(r"\b(access|public|link)-(sandbox|production|development|demo)-[A-Za-z0-9-]+"),
    re.compile(r"(?i)\bbearer\s+[A-Za-z0-9._~+/=-]+"),
    # SSNs as a person types them: 123-45-6789, 123 45 6789 or nine digits.
    re.compile(r"\b[0-9]{3}[- ][0-9]{2}[- ][0-9]{4}\b"),
    re.compile(r"\b[0-9]{9}\b"),
    # Dates of birth as the applicant carries them (MMDDYYYY, a date's ISO text) or a person
    # writes them (MM/DD/YYYY, MM-DD-YYYY). The app logs no dates, so none is lost.
    re.compile(rf"\b{_MONTH}[/-]?{_DAY}[/-]?{_YEAR}\b"),
    re.compile(rf"\b{_YEAR}-{_MONTH}-{_DAY}\b"),
    # Email addresses: a signed-in person is named in logs by a keyed hash, never this way.
    re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+"),
)
_registered: set[str] = set()
_lock = threading.Lock()


def register_secret(value: str | None) -> None:
    """Mask this exact value in every log record from now on: for the operator's secrets
    (settings), a handful per deployment. Never for a person's values, which would stay here
    for the life of the process: their shapes are masked above."""
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
