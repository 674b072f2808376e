"""Number text to numbers, bounded: every parser of number text in tickbook goes through here.

Python's ``int`` and ``Decimal`` accept text that costs without bound to convert: ``int`` of a
5000-digit string raises a raw ``ValueError``, and ``1e999990`` is a short string whose exact
value has a million digits (turning it into ticks took 34 s). These helpers refuse such text
up front, before any conversion, with a ``ValidationError`` naming the field and the value:

- the text is at most ``MAX_NUMBER_TEXT`` characters, ASCII only (no superscript or other
  Unicode digits, which ``int`` would take), surrounding spaces ignored;
- an integer is digits with an optional sign; a decimal is digits, sign, point and exponent
  (no ``_`` separators, ``nan`` or ``inf``);
- a decimal's exponent keeps its magnitude below ``10**MAX_DECIMAL_EXPONENT``.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from tickbook.core._checks import refuse
from tickbook.core._errors import ValidationError

__all__ = [
    "MAX_DECIMAL_EXPONENT",
    "MAX_NUMBER_TEXT",
    "number_text",
    "parse_decimal",
    "parse_int",
]

#: Longest number text accepted (a 64-bit integer has 20 characters with its sign).
MAX_NUMBER_TEXT = 64
#: Largest decimal exponent accepted: the magnitude of a parsed decimal stays below 1e40.
MAX_DECIMAL_EXPONENT = 40

_INT_CHARS = frozenset("+-0123456789")
_DECIMAL_CHARS = frozenset("+-.0123456789eE")


def _shown(text: str) -> str:
    # a long refused value is named by its start and its length, not printed whole
    return text if len(text) <= MAX_NUMBER_TEXT else f"{text[:20]}... ({len(text)} characters)"


def number_text(text: Any, field: str, expected: str = "a number") -> str:
    """Return ``text`` stripped if it is short ASCII text, else raise ``ValidationError``."""
    if not isinstance(text, str):
        raise refuse(field, f"{expected} as text", text)
    if len(text) > 4 * MAX_NUMBER_TEXT or len(stripped := text.strip()) > MAX_NUMBER_TEXT:
        raise ValidationError(
            f"invalid `{field}`: expected {expected} of at most {MAX_NUMBER_TEXT} characters, "
            f"got {_shown(text)!r}",
            field=field,
            value=text,
        )
    if not text.isascii():
        raise refuse(field, f"{expected} in ASCII digits", text)
    return stripped


def parse_int(text: Any, field: str, *, lo: int | None = None, hi: int | None = None) -> int:
    """Parse decimal integer text (``"-12"``, ``" 7 "``) into an ``int`` within ``[lo, hi]``."""
    expected = "an integer" if lo is None and hi is None else f"an integer in [{lo}, {hi}]"
    stripped = number_text(text, field, expected)
    if not stripped or not _INT_CHARS.issuperset(stripped):
        raise refuse(field, expected, text)
    try:
        value = int(stripped)
    except ValueError:
        raise refuse(field, expected, text) from None
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        raise refuse(field, expected, text)
    return value


def parse_decimal(text: Any, field: str, expected: str = "a decimal number") -> Decimal:
    """Parse decimal text into a finite ``Decimal`` of bounded size (never through a float).

    ``text`` may also be an ``int`` or a ``Decimal``; they are bounded the same way.
    """
    if isinstance(text, bool):
        raise refuse(field, expected, text)
    if isinstance(text, int):
        if text.bit_length() > 4 * MAX_DECIMAL_EXPONENT:
            raise refuse(field, f"{expected} below 1e{MAX_DECIMAL_EXPONENT}", text)
        value = Decimal(text)
    elif isinstance(text, Decimal):
        value = text
    else:
        stripped = number_text(text, field, expected)
        if not _DECIMAL_CHARS.issuperset(stripped):  # no "_", "nan", "inf"
            raise refuse(field, expected, text)
        try:
            value = Decimal(stripped)
        except InvalidOperation:
            raise refuse(field, expected, text) from None
    if not value.is_finite():
        raise refuse(field, f"a finite {expected.removeprefix('a ')}", text)
    if value and not -MAX_DECIMAL_EXPONENT <= value.adjusted() < MAX_DECIMAL_EXPONENT:
        bounds = f"(1e-{MAX_DECIMAL_EXPONENT}, 1e{MAX_DECIMAL_EXPONENT})"
        raise refuse(field, f"{expected} of magnitude in {bounds}", text)
    if len(value.as_tuple().digits) > 2 * MAX_DECIMAL_EXPONENT:
        raise refuse(field, f"{expected} of at most {2 * MAX_DECIMAL_EXPONENT} digits", text)
    return value
