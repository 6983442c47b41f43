"""Text normalisation and the one-typo rule the search index relies on."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tillvaxtgraf.search.text import deletions, normalize, tokens, within_one_edit


@pytest.mark.parametrize(("text", "plain"), [
    ("Västra Götaland", "vastra gotaland"),
    ("ÖREBRO", "orebro"),
    ("Tillväxtverket", "tillvaxtverket"),
    ("Malmö", "malmo"),
    ("e\u0301", "e"),  # a combining accent
    ("ﬁ", "fi"),  # compatibility forms unfold
])
def test_normalize_drops_case_and_diacritics(text, plain):
    assert normalize(text) == plain


def test_tokens_are_words_and_numbers():
    assert tokens("Förordning (2017:583) om regionalt tillväxtarbete") == [
        "forordning", "2017", "583", "om", "regionalt", "tillvaxtarbete"]
    assert tokens("<script>alert(1)</script>") == ["script", "alert", "1", "script"]
    assert tokens("Anslag 1:1") == ["anslag", "1", "1"]


def test_deletions_are_every_single_deletion():
    assert deletions("abc") == {"bc", "ac", "ab"}
    assert deletions("aab") == {"ab", "aa"}


@pytest.mark.parametrize(("a", "b", "close"), [
    ("tillvaxtverket", "tillvaxtverkt", True),  # deletion
    ("reglab", "reglabb", True),  # insertion
    ("vinnova", "vinnava", True),  # substitution
    ("vinnova", "vinonva", True),  # swap of neighbours
    ("vinnova", "vinnova", True),
    ("tillvaxtverket", "tilvaxtverkt", False),  # two edits
    ("abc", "cab", False),
    ("ab", "abcd", False),
])
def test_within_one_edit(a, b, close):
    assert within_one_edit(a, b) is close
    assert within_one_edit(b, a) is close


words = st.text(alphabet="abcdefgh", min_size=1, max_size=10)


@given(words, st.data())
def test_a_deleted_character_is_always_within_one_edit(word, data):
    index = data.draw(st.integers(0, len(word) - 1))
    assert within_one_edit(word, word[:index] + word[index + 1:])


@given(words)
def test_normalize_is_idempotent(word):
    assert normalize(normalize(word)) == normalize(word)
