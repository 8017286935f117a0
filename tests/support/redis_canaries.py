"""Canaries looked for in everything a Redis database holds: every key name and every value,
read by its type, as bytes.

Hybrid mode keeps only keyed hashes in names and Fernet tokens in values, so no secret and
nothing of a person's data may show up in either, in any case or encoding a leak would take:
as written, upper- or lower-cased (case-insensitive for ASCII), casefolded, or escaped the way
``json.dumps`` writes non-ASCII text.

A Fernet token is base64 text, so a short canary made of base64 characters alone would turn
up in one by chance (a four-letter name, ignoring case, about once in a million positions).
Such canaries shorter than ``CHANCE_FREE_LENGTH`` are left out of the search, and said so;
every other one is looked for everywhere. No byte search sees into compressed data (the
transactions' columns of a shared item): a value written unencrypted still shows, by the
account and institution names of its JSON part.
"""

from __future__ import annotations

import json
import string
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import redis

from tests.support.experian_double import report_names
from tests.support.plaid_double import PlaidDouble

__all__ = [
    "CHANCE_FREE_LENGTH",
    "Canary",
    "CanaryScan",
    "Finding",
    "applicant_canaries",
    "canaries_in",
    "plaid_canaries",
    "redis_contents",
    "scan_for_canaries",
]

# Eight base64 characters, ignoring case, match a random position about once in 32**8 (10**12).
CHANCE_FREE_LENGTH = 8
_BASE64_TEXT = frozenset(string.ascii_letters + string.digits + "-_+/=")


@dataclass(frozen=True)
class Canary:
    """Something that must never be found: what it is (said in a failure) and its text."""

    what: str
    text: str = field(repr=False)  # a failure names the canary, never shows it

    def forms(self) -> set[bytes]:
        """The bytes a leak of it would take, lower-cased (the search lower-cases what it reads)."""
        variants = {self.text, self.text.lower(), self.text.upper(), self.text.casefold()}
        variants |= {json.dumps(v)[1:-1] for v in list(variants)}  # non-ASCII as \\u escapes
        return {v.encode("utf-8").lower() for v in variants}

    def occurs_by_chance(self) -> bool:
        """Whether random base64 text would contain it now and then (see the module)."""
        return len(self.text) < CHANCE_FREE_LENGTH and set(self.text) <= _BASE64_TEXT


def plaid_canaries(double: PlaidDouble) -> list[Canary]:
    """The double's API keys, every access token it serves and every name in its bank data."""
    found = [Canary("PLAID_CLIENT_ID", double.CLIENT_ID), Canary("PLAID_SECRET", double.SECRET)]
    found += [Canary("a Plaid access token", token) for token in double.access_tokens()]
    found += [Canary("a name in the bank data", name) for name in double.names_served()]
    return found


def applicant_canaries(applicant: Mapping[str, Any], report: Mapping[str, Any]) -> list[Canary]:
    """An applicant's details (field by field) and every name in their credit report."""
    found = [Canary(f"the applicant's {name}", str(v)) for name, v in applicant.items() if v]
    found += [Canary("a name in the credit report", name) for name in report_names(report)]
    return found


@dataclass(frozen=True)
class Finding:
    """A canary found in one key's name or value."""

    canary: Canary
    place: str  # "name" or "value"
    key: bytes

    def __str__(self) -> str:
        return f"{self.canary.what} in the {self.place} of key {self.key[:40]!r}"


@dataclass(frozen=True)
class CanaryScan:
    """What a scan read and what it found."""

    keys: int  # how many keys it read
    looked_for: int  # how many canaries it searched for
    left_out: tuple[Canary, ...]  # too short to tell from ciphertext
    found: tuple[Finding, ...]  # one per canary and place it is in

    def said(self) -> list[str]:
        """The findings as a failure should say them."""
        return [str(finding) for finding in self.found]


def redis_contents(
    client: redis.Redis, keys: Iterable[str | bytes] | None = None
) -> Iterator[tuple[bytes, list[bytes]]]:
    """Every key of the client's database (or only ``keys``, those that exist) with the bytes
    it holds, read by type (DUMP for a type this does not know: a module's, say)."""
    for named in client.scan_iter(count=500) if keys is None else keys:
        key = named.encode() if isinstance(named, str) else named
        kind = client.type(key).decode()
        if kind == "none":  # expired, deleted since the scan listed it, or never written
            continue
        if kind == "string":
            parts = [client.get(key) or b""]
        elif kind == "hash":
            parts = [part for pair in client.hgetall(key).items() for part in pair]
        elif kind == "list":
            parts = client.lrange(key, 0, -1)
        elif kind == "set":
            parts = list(client.smembers(key))
        elif kind == "zset":
            parts = [member for member, _ in client.zrange(key, 0, -1, withscores=True)]
        elif kind == "stream":
            parts = [p for _, entry in client.xrange(key) for pair in entry.items() for p in pair]
        else:
            parts = [client.dump(key) or b""]
        yield key, parts


def canaries_in(data: bytes, canaries: Iterable[Canary]) -> list[Canary]:
    """The canaries in ``data`` (a log, say), searched for as ``scan_for_canaries`` does."""
    held = data.lower()
    return [
        c
        for c in dict.fromkeys(canaries)
        if not c.occurs_by_chance() and any(form in held for form in c.forms())
    ]


def scan_for_canaries(
    client: redis.Redis, canaries: Iterable[Canary], keys: Iterable[str | bytes] | None = None
) -> CanaryScan:
    """Look for each canary in every key name and value of the client's database, or of
    ``keys`` only (a test sharing its database with others)."""
    wanted = list(dict.fromkeys(canaries))
    left_out = tuple(c for c in wanted if c.occurs_by_chance())
    searched = [(c, c.forms()) for c in wanted if not c.occurs_by_chance()]
    found: list[Finding] = []
    read = 0
    for key, parts in redis_contents(client, keys):
        read += 1
        places = {"name": [key.lower()], "value": [part.lower() for part in parts]}
        for canary, forms in searched:
            for place, held in places.items():
                if any(form in text for text in held for form in forms):
                    found.append(Finding(canary, place, key))
    return CanaryScan(read, len(searched), left_out, tuple(found))
