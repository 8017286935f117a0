"""The Secret type: a string that will not show itself.

It lives in the leaf package because every layer handles secrets: the settings declare them,
the clients send them, the session seals them. Nothing here imports anything of ours.
"""

from __future__ import annotations

from typing import Any


class Secret:
    """A string that does not print itself, so it cannot leak through a repr or an f-string."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(("Secret", self._value))

    def __reduce__(self) -> Any:
        raise TypeError("a Secret is never pickled")
