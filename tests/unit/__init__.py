"""Unit tests: analytics, parsers, clients against recorded answers, settings, vault, logs."""
