"""Cell transforms and per-row checks that mappings can name (``transform``, ``[[checks]]``).

Every function takes the cell's text and returns the value or raises ``ValueError`` with
a reason for people; the mapping engine adds file, line and column.

>>> organisation_number("5560000001")
'556000-0001'
>>> luhn_ok("556000-0001"), luhn_ok("556000-0002")
(True, False)
>>> slug("Dnr 2019/00123 – Östra Göinge")
'dnr-2019-00123-ostra-goinge'
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable
from functools import lru_cache

_NOT_SLUG = re.compile(r"[^a-z0-9]+")
_SWEDISH = str.maketrans({"å": "a", "ä": "a", "ö": "o", "æ": "ae", "ø": "o"})
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def slug(text: str) -> str:
    """A readable IRI key: lower case ASCII letters and digits joined by hyphens."""
    lowered = text.lower().translate(_SWEDISH)
    ascii_text = unicodedata.normalize("NFKD", lowered).encode("ascii", "ignore").decode("ascii")
    result = _NOT_SLUG.sub("-", ascii_text).strip("-")
    if not result:
        raise ValueError(f"{text!r} has no letters or digits to make a key of")
    return result


@lru_cache(maxsize=1 << 18)  # organisations recur from row to row
def organisation_number(text: str) -> str:
    """A Swedish organisation number as NNNNNN-NNNN (accepts 10 digits, or 12 with 16)."""
    digits = text.replace("-", "").replace(" ", "").replace("\u00a0", "")
    if len(digits) == 12 and digits.startswith("16"):
        digits = digits[2:]
    if len(digits) != 10 or not digits.isdigit():
        raise ValueError(f"{text!r} is not an organisation number (NNNNNN-NNNN)")
    return f"{digits[:6]}-{digits[6:]}"


def luhn_ok(number: str) -> bool:
    """The Luhn checksum (modulus 10) that the last digit of an organisation number makes."""
    total = 0
    for index, char in enumerate(number.replace("-", "")):
        value = int(char) * (2 - index % 2)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


@lru_cache(maxsize=1 << 18)
def check_organisation_number(text: str) -> str:
    number = organisation_number(text)
    if not luhn_ok(number):
        raise ValueError(f"{text!r} is not a valid organisation number "
                         "(its check digit does not match)")
    return number


@lru_cache(maxsize=1 << 16)  # a table's dates repeat: a few thousand days
def check_date(text: str) -> str:
    if not _DATE.fullmatch(text):
        raise ValueError(f"{text!r} is not a date (YYYY-MM-DD)")
    try:
        dt.date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a date (YYYY-MM-DD)") from None
    return text


def year(text: str) -> str:
    """The year of a date (YYYY-MM-DD or YYYY)."""
    if len(text) >= 4 and text[:4].isdigit() and (len(text) == 4 or text[4] == "-"):
        return text[:4]
    raise ValueError(f"{text!r} is not a date or a year")


TRANSFORMS: dict[str, Callable[[str], str]] = {
    "slug": slug,
    "orgnr": organisation_number,
    "year": year,
    "lower": str.lower,
    "upper": str.upper,
}

# Rules of [[checks]] that look at one value; "unique", "in", "not-before" and the
# number rules need more than the value and live in the mapping engine.
VALUE_CHECKS: dict[str, Callable[[str], str]] = {
    "orgnr": check_organisation_number,
    "date": check_date,
}
CHECK_RULES = {"orgnr", "date", "number", "non-negative", "unique", "distinct", "in",
               "not-before"}
