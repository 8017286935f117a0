"""Masking of personal data for display."""

from __future__ import annotations


def mask_name(name: str) -> str:
    """Each word reduced to its first letter: enough to recognise, not to copy."""
    return " ".join(f"{word[0]}{'•' * 3}" for word in name.split() if word)


def mask_street(street: str) -> str:
    """House numbers hidden, street name kept."""
    return " ".join("•••" if any(c.isdigit() for c in word) else word for word in street.split())


def mask_zip(zip_code: str) -> str:
    digits = zip_code.strip()
    return f"{digits[:3]}••" if len(digits) >= 3 else "•••"
