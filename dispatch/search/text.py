"""How names and queries are folded and compared: one spelling for "Straße", "Str.", "strasse".

Umlauts written as "ä", "ae" or "a" all become "a" (the same for ö and ü), accents and
punctuation go, "Str."/"St." are spelled out, and compound street names are split
("Lindenstraße" -> "linden strasse"), so names and queries meet however they were typed.
"""

from __future__ import annotations

import re
import unicodedata

_UMLAUTS = str.maketrans({"ä": "a", "ö": "o", "ü": "u", "ß": "ss", "æ": "ae", "ø": "o"})
_ABBREVIATIONS = (
    (re.compile(r"(?<=\w)str\.|(?<=\w)str\b|\bstr\b\.?"), "strasse"),
    (re.compile(r"\bst\.|\bst\b(?=\s+\w)"), "sankt "),
)
#: "Lindenstraße" and "Linden Straße" are written both ways: both become "linden strasse".
_COMPOUND_STREET = re.compile(r"(\w{3,})strasse\b")
_FOLDED_DIGRAPHS = (("ae", "a"), ("oe", "o"), ("ue", "u"))


def normalise(text: str) -> str:
    """Fold ``text`` to the form both names and queries are compared in.

    Umlauts written as "ä", "ae" or "a" all become "a" (the same for ö and ü), so
    "Königsfeld", "Koenigsfeld" and "Konigsfeld" meet; the display name is kept apart.
    """
    text = text.casefold().replace("ß", "ss")
    for pattern, replacement in _ABBREVIATIONS:
        text = pattern.sub(replacement, text)
    text = text.translate(_UMLAUTS)
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = "".join(c if c.isalnum() else " " for c in text)
    for digraph, vowel in _FOLDED_DIGRAPHS:
        text = text.replace(digraph, vowel)
    return " ".join(_COMPOUND_STREET.sub(r"\1 strasse", text).split())


def tokens(text: str) -> list[str]:
    return normalise(text).split()


def trigrams(token: str) -> set[str]:
    padded = f"^{token}$"
    return {padded[i : i + 3] for i in range(len(padded) - 2)}


def max_edits(token: str) -> int:
    """Edits tolerated in a word of this length: none for short words, then 1, then 2."""
    return 0 if len(token) < 4 else 1 if len(token) < 8 else 2


def edit_distance(a: str, b: str, limit: int) -> int:
    """Damerau-Levenshtein distance (optimal string alignment), or ``limit + 1`` if larger.

    Only the band ``|i - j| <= limit`` of the table is filled: cells outside it exceed
    the limit anyway, which makes the bounded distance cheap enough for every query.
    """
    n, m = len(a), len(b)
    big = limit + 1
    if abs(n - m) > limit:
        return big
    before: list[int] = []
    previous = [j if j <= limit else big for j in range(m + 1)]
    for i in range(1, n + 1):
        current = [i if i <= limit else big] + [big] * m
        row_min, ca = current[0], a[i - 1]
        for j in range(max(1, i - limit), min(m, i + limit) + 1):
            cb = b[j - 1]
            value = previous[j - 1] if ca == cb else previous[j - 1] + 1
            if previous[j] + 1 < value:
                value = previous[j] + 1
            if current[j - 1] + 1 < value:
                value = current[j - 1] + 1
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb and before[j - 2] < value:
                value = before[j - 2] + 1
            current[j] = value = value if value < big else big
            if value < row_min:
                row_min = value
        if row_min > limit:
            return big
        before, previous = previous, current
    return previous[m]


# --------------------------------------------------------------------------- word scores


def word_score(query: str, token: str, similarity: float) -> float:
    """How well query word ``query`` matches name word ``token`` (0 = not at all).

    ``similarity`` is the trigram Jaccard similarity of the two, already known from
    the index look-up. Edit distances are only tried when the first letters agree
    (or are swapped): typos rarely hit the first letter, and it keeps queries fast.
    """
    if query == token:
        return 1.0
    if len(query) >= 2 and token.startswith(query):
        return 0.8 + 0.15 * len(query) / len(token)
    best = 0.7 * similarity
    limit = max_edits(query)
    if not limit or not same_start(query, token):
        return best
    whole = edit_distance(query, token, limit)
    if whole <= limit:
        return max(best, 0.9 - 0.15 * whole)
    if len(token) > len(query) and prefix_within_one(query, token):
        return max(best, 0.65)  # a typo while still typing: "Neudors" for "Neudrossenfeld"
    return best


def prefix_within_one(query: str, token: str) -> bool:
    """Whether one edit (substitution, swap, extra or missing letter) makes ``query`` a prefix of ``token``."""
    n = len(query)
    i = next((k for k in range(n) if query[k] != token[k]), n)
    if i == n:
        return True
    return (
        query[i + 1 :] == token[i + 1 : n]
        or query[i + 1 :] == token[i : n - 1]
        or query[i:] == token[i + 1 : n + 1]
        or (
            i + 1 < n
            and query[i] == token[i + 1]
            and query[i + 1] == token[i]
            and query[i + 2 :] == token[i + 2 : n]
        )
    )


def same_start(a: str, b: str) -> bool:
    return a[0] == b[0] or (len(a) > 1 and len(b) > 1 and a[0] == b[1] and a[1] == b[0])
