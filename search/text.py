"""Normalising text the way the index's tokenizer does: case- and diacritic-insensitive."""

from __future__ import annotations

import re
import unicodedata

_WORD = re.compile(r"[0-9a-z]+")


def normalize(text: str) -> str:
    """Lower case without diacritics: 'Västra Götaland' → 'vastra gotaland'."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def tokens(text: str) -> list[str]:
    if text.isascii():  # nothing to decompose: the same tokens, without normalize()
        return _WORD.findall(text.lower())
    return _WORD.findall(normalize(text))


def deletions(token: str) -> set[str]:
    """Every string one deleted character away (SymSpell's trick for one typo)."""
    return {token[:i] + token[i + 1:] for i in range(len(token))}


def within_one_edit(a: str, b: str) -> bool:
    """True when a and b differ by at most one insertion, deletion, substitution or swap."""
    if a == b:
        return True
    la, lb = len(a), len(b)
    if abs(la - lb) > 1:
        return False
    if la == lb:
        diff = [i for i in range(la) if a[i] != b[i]]
        if len(diff) == 1:
            return True
        return (len(diff) == 2 and diff[1] == diff[0] + 1
                and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]])
    if la > lb:
        a, b = b, a
    for i in range(len(b)):
        if b[:i] + b[i + 1:] == a:
            return True
    return False
