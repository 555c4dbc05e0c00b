"""Find stops, places and streets by name, tolerant of typos and missing umlauts.

Every entry carries the name of the nearest village as context, so "Neudrossenfeld
Kirche" finds the street "An der Kirche" in Neudrossenfeld. Matching is per word:
a query word matches a name word if it is a prefix of it or close to it (edit
similarity), after folding case, umlauts (ä→a, also "ae") and accents.
"""

from __future__ import annotations

import difflib
import unicodedata
from dataclasses import dataclass

from dispatch.errors import InputError

#: A query word counts as found in a name from this similarity on.
WORD_MATCH = 0.78
#: An entry is listed when a word is found in its name and the words match this well on average.
MIN_SCORE = 0.5
MAX_QUERY = 100


@dataclass(frozen=True, slots=True)
class Entry:
    kind: str  # "stop" | "place" | "street"
    id: str
    name: str
    context: str
    lat: float
    lon: float
    rank: int  # lower first at equal score (stops, then places, then streets)


def fold(text: str) -> str:
    text = text.casefold()
    for a, b in (
        ("ß", "ss"),
        ("ä", "a"),
        ("ö", "o"),
        ("ü", "u"),
        ("ae", "a"),
        ("oe", "o"),
        ("ue", "u"),
    ):
        text = text.replace(a, b)
    text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return "".join(c if c.isalnum() else " " for c in text)


class SearchIndex:
    def __init__(self, entries: list[Entry]) -> None:
        self.entries = entries
        self._tokens = [(fold(e.name).split(), fold(e.context).split()) for e in entries]

    def search(self, query: str, limit: int = 10) -> list[tuple[Entry, float]]:
        if not query.strip():
            raise InputError("the search text is empty")
        if len(query) > MAX_QUERY:
            raise InputError(f"the search text is longer than {MAX_QUERY} characters")
        words = [w for w in fold(query).split() if len(w) > 2 or w.isdigit()] or fold(query).split()
        scored = []
        for entry, (name, context) in zip(self.entries, self._tokens, strict=True):
            score = _score(words, name, context)
            if score >= MIN_SCORE:
                scored.append((-score, entry.rank, entry.name, entry))
        scored.sort(key=lambda x: (x[0], x[1], x[2]))
        return [(e, -s) for s, _, _, e in scored[:limit]]


def _score(words: list[str], name: list[str], context: list[str]) -> float:
    if not name:
        return 0.0
    total = 0.0
    named = False
    for w in words:
        in_name = max(_match(w, t) for t in name)
        in_context = max((_match(w, t) for t in context), default=0.0)
        named = named or in_name >= WORD_MATCH
        best = max(in_name, in_context)
        total += best if best >= WORD_MATCH else 0.0  # a word found nowhere counts nothing
    return total / len(words) if named else 0.0


def _match(word: str, token: str) -> float:
    if token.startswith(word):
        return 1.0
    return difflib.SequenceMatcher(None, word, token[: len(word) + 2]).ratio()
