"""Instrument identifiers."""

from __future__ import annotations

from tickbook.core._checks import refuse

__all__ = ["Symbol"]


class Symbol(str):
    """An instrument name of 1 to 8 printable ASCII bytes, validated once at the boundary.

    It is a ``str``, so it hashes, compares and prints like one.
    """

    __slots__ = ()
    MAX_LEN = 8

    def __new__(cls, name: str) -> Symbol:
        if isinstance(name, Symbol):
            return name
        if (
            not isinstance(name, str)
            or not 1 <= len(name) <= cls.MAX_LEN
            or not name.isascii()
            or not name.isprintable()
            or " " in name
        ):
            raise refuse("symbol", "1 to 8 printable ASCII characters without spaces", name)
        return super().__new__(cls, name)

    @classmethod
    def try_new(cls, name: str) -> Symbol | None:
        """Return the symbol, or ``None`` where ``name`` is not a valid symbol."""
        try:
            return cls(name)
        except ValueError:
            return None

    def __repr__(self) -> str:
        return f"Symbol({str.__repr__(self)})"
