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


def masked_address(street: str, city: str, state: str, zip_code: str) -> str:
    """An address as the person can recognise it without it being copied in full."""
    place = " ".join(p for p in (city, state, mask_zip(zip_code) if zip_code else "") if p)
    return ", ".join(p for p in (mask_street(street), place) if p)
