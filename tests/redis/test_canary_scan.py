"""The canary scan the hybrid tests trust (``tests.support.redis_canaries``): it must find a
canary wherever Redis could hold one, or a clean scan would prove nothing."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
import redis

from tests.support.redis_canaries import Canary, canaries_in, scan_for_canaries
from tests.support.redis_server import RedisServer

TOKEN = Canary("a token", "access-sandbox-canary-0000")
NAME = Canary("a name", "Hôtel Lumière")


@pytest.fixture
def client(redis_server: RedisServer) -> Iterator[redis.Redis]:
    """A Redis of the test's own: the scans read every key, so no other test may share it."""
    with redis_server.admin() as connected:
        yield connected


def test_a_canary_is_found_in_every_type_of_value_and_in_key_names(client: redis.Redis) -> None:
    text = TOKEN.text
    client.set("string", f"<{text}>")
    client.hset("hash", "field", text)
    client.hset("hash-field-name", text, "value")
    client.rpush("list", "other", text)
    client.sadd("set", text)
    client.zadd("sorted-set", {text: 1.0})
    client.xadd("stream", {"entry": text})
    client.set(f"key:{text}", "value")
    client.set("clean", "nothing to see")
    scan = scan_for_canaries(client, [TOKEN])
    assert scan.keys == 9
    found = {(finding.key, finding.place) for finding in scan.found}
    assert found == {
        (b"string", "value"), (b"hash", "value"), (b"hash-field-name", "value"),
        (b"list", "value"), (b"set", "value"), (b"sorted-set", "value"), (b"stream", "value"),
        (f"key:{text}".encode(), "name"),
    }  # fmt: skip


def test_a_canary_is_found_in_another_case_and_as_json_escapes(client: redis.Redis) -> None:
    client.set("capitals", NAME.text.upper())
    client.set("escaped", json.dumps({"merchant": NAME.text}))  # \u00f4 and \u00e8
    client.set("escaped-capitals", json.dumps(NAME.text.upper()))
    client.set("token-lower", TOKEN.text.upper().lower())
    scan = scan_for_canaries(client, [NAME, TOKEN])
    found = {(finding.key, finding.canary) for finding in scan.found}
    assert found == {
        (b"capitals", NAME), (b"escaped", NAME), (b"escaped-capitals", NAME),
        (b"token-lower", TOKEN),
    }  # fmt: skip
    assert "a name in the value of key b'capitals'" in scan.said()
    assert TOKEN.text not in repr(scan)  # a failure names a canary, never shows it


def test_only_short_canaries_that_ciphertext_could_hold_by_chance_are_left_out(
    client: redis.Redis,
) -> None:
    client.set("value", "Uber")
    short, spaced, digits = Canary("a", "Uber"), Canary("b", "Big Bun"), Canary("c", "62704")
    scan = scan_for_canaries(client, [short, spaced, digits, TOKEN])
    assert scan.left_out == (short, digits)
    assert scan.looked_for == 2
    assert scan.found == ()
    assert canaries_in(b"a Big Bun, an Uber", [short, spaced]) == [spaced]
