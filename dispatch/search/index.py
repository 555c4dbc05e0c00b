"""The name index: vocabulary with trigram postings, entries, scoring and ranking."""

from __future__ import annotations

import heapq
import math
from bisect import bisect_left
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import chain
from typing import Literal

from dispatch.errors import InputError
from dispatch.search.text import max_edits, same_start, tokens, trigrams, word_score

Kind = Literal["stop", "place", "street"]

#: At equal score stops and places come before streets.
_KIND_RANK: dict[str, int] = {"stop": 0, "place": 0, "street": 1}


@dataclass(frozen=True, slots=True)
class SearchParams:
    """How tolerant the search is and how much it accepts."""

    max_query_chars: int = 100
    max_query_words: int = 8
    max_limit: int = 50
    #: Entries scoring below this are not listed.
    min_score: float = 0.35
    #: A word found only in the context counts this much of a word found in the name.
    context_weight: float = 0.9
    #: Entries that leave a query word unmatched keep this share of their score.
    partial_factor: float = 0.7
    #: Trigram similarity (Jaccard) from which a word counts as found.
    min_trigram_similarity: float = 0.45

    def __post_init__(self) -> None:
        if self.max_query_chars < 1 or self.max_query_words < 1 or self.max_limit < 1:
            raise ValueError("search limits must be positive")
        for name in ("min_score", "context_weight", "partial_factor", "min_trigram_similarity"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"{name} must lie in [0, 1]")


@dataclass(frozen=True, slots=True)
class SearchEntry:
    """Something a rider can look for: a stop, a place or a street."""

    kind: Kind
    id: str
    name: str
    lat: float
    lon: float
    #: The place the entry lies in (e.g. the village of a stop); it counts for matching.
    context: str = ""
    population: int = 0


@dataclass(frozen=True, slots=True)
class SearchHit:
    kind: Kind
    id: str
    name: str
    context: str
    lat: float
    lon: float
    score: float


@dataclass(slots=True)
class _Vocabulary:
    """Distinct folded words of all entries, with trigram postings for fuzzy look-up."""

    words: list[str] = field(default_factory=list)
    sorted_words: list[str] = field(default_factory=list)
    trigram_sets: list[set[str]] = field(default_factory=list)
    by_trigram: dict[str, list[int]] = field(default_factory=dict)
    number: dict[str, int] = field(default_factory=dict)

    def add(self, word: str) -> int:
        known = self.number.get(word)
        if known is not None:
            return known
        self.number[word] = len(self.words)
        self.words.append(word)
        grams = trigrams(word)
        self.trigram_sets.append(grams)
        for gram in grams:
            self.by_trigram.setdefault(gram, []).append(self.number[word])
        return self.number[word]

    def freeze(self) -> None:
        self.sorted_words = sorted(self.words)

    def matches(self, query: str, min_similarity: float) -> dict[int, float]:
        """Vocabulary words that ``query`` may mean, with their word score."""
        query_grams = trigrams(query)
        shared = Counter(chain.from_iterable(self.by_trigram.get(g, ()) for g in query_grams))
        prefixed = set(self._prefixed(query))
        limit = max_edits(query)
        needed = max(1, len(query_grams) - 3 * limit - 1)
        scores = {}
        for word, count in shared.items():
            if count < needed and word not in prefixed:
                continue
            similarity = count / (len(query_grams) + len(self.trigram_sets[word]) - count)
            sim = similarity if similarity >= min_similarity else 0.0
            token = self.words[word]
            if not sim and word not in prefixed and not (limit and same_start(query, token)):
                continue  # neither similar, nor a prefix, nor tried for typos
            score = word_score(query, token, sim)
            if score > 0:
                scores[word] = score
        return scores

    def _prefixed(self, query: str) -> Iterable[int]:
        if len(query) < 2:
            exact = self.number.get(query)
            return () if exact is None else (exact,)
        start = bisect_left(self.sorted_words, query)
        end = bisect_left(self.sorted_words, query + "\uffff", start)
        return (self.number[w] for w in self.sorted_words[start:end])


class SearchIndex:
    """A name index over stops, places and streets; build once, query many times."""

    def __init__(self, entries: Sequence[SearchEntry], params: SearchParams | None = None) -> None:
        self.params = params or SearchParams()
        self.entries = tuple(entries)
        self._vocabulary = _Vocabulary()
        #: Per vocabulary word: the entries with it in their name, and in their context.
        self._in_name: list[list[int]] = []
        self._in_context: list[list[int]] = []
        self._name_sizes: list[int] = []
        for number, entry in enumerate(self.entries):
            self._add(number, entry)
        self._vocabulary.freeze()

    def __len__(self) -> int:
        return len(self.entries)

    def _add(self, number: int, entry: SearchEntry) -> None:
        name = list(dict.fromkeys(tokens(entry.name)))
        self._name_sizes.append(len(name))
        context = [w for w in tokens(entry.context) if w not in name]
        for words, postings in ((name, self._in_name), (context, self._in_context)):
            for word in words:
                word_number = self._vocabulary.add(word)
                if word_number == len(self._in_name):
                    self._in_name.append([])
                    self._in_context.append([])
                postings[word_number].append(number)

    def search(self, query: str, limit: int = 10) -> list[SearchHit]:
        """The best ``limit`` entries for ``query``, best first.

        Raises
        ------
        InputError
            The query is empty, too long, or ``limit`` is out of range.
        """
        words = self._query_words(query, limit)
        per_word = [self._word_matches(word, len(words) > 1) for word in words]
        candidates = set(per_word[0]).intersection(*per_word[1:])
        if len(candidates) < limit:  # too few cover every word: consider partial matches too
            candidates.update(*self._selective(per_word))
        if len(words) == 1:
            scored = self._single_word_scores(per_word[0])
        else:
            scored = [(self._entry_score(n, per_word), n) for n in candidates]
        scored = [(score, n) for score, n in scored if score >= self.params.min_score]
        return self._best(scored, limit)

    def _single_word_scores(
        self, matches: dict[int, tuple[float, bool]]
    ) -> list[tuple[float, int]]:
        """The fast path of ``_entry_score`` for one word, which is always in the name."""
        sizes = self._name_sizes
        return [
            (round(0.9 * value + 0.1 / max(1, sizes[n]), 4), n) for n, (value, _) in matches.items()
        ]

    def _best(self, scored: list[tuple[float, int]], limit: int) -> list[SearchHit]:
        """Rank by score, then kind, size and name; only ties at the cut need the full key."""
        if len(scored) > limit:
            cut = heapq.nlargest(limit, scored)[-1][0]
            scored = [(score, n) for score, n in scored if score >= cut]
        ranked = sorted(scored, key=lambda item: self._sort_key(item[1], item[0]))
        return [self._hit(number, score) for score, number in ranked[:limit]]

    def _selective(self, per_word: list[dict[int, tuple[float, bool]]]) -> list[set[int]]:
        """Entries matched by the query's distinctive words (not by "strasse" alone)."""
        common = max(50, len(self.entries) // 10)
        sets = [set(m) for m in per_word]
        return [s for s in sets if len(s) <= common] or sets

    def _query_words(self, query: str, limit: int) -> list[str]:
        if not 1 <= limit <= self.params.max_limit:
            raise InputError(f"limit must be between 1 and {self.params.max_limit}")
        if len(query) > self.params.max_query_chars:
            raise InputError(
                f"the search text is longer than {self.params.max_query_chars} characters"
            )
        words = list(dict.fromkeys(tokens(query)))
        if not words:
            raise InputError("the search text is empty (type part of a name)")
        if len(words) > self.params.max_query_words:
            raise InputError(f"the search text has more than {self.params.max_query_words} words")
        return words

    def _word_matches(self, word: str, with_context: bool) -> dict[int, tuple[float, bool]]:
        """For one query word: entry number -> (best score, found in the name)."""
        found: dict[int, tuple[float, bool]] = {}
        weight = self.params.context_weight
        matches = self._vocabulary.matches(word, self.params.min_trigram_similarity)
        for word_number, score in sorted(matches.items(), key=lambda m: m[1]):
            found.update(dict.fromkeys(self._in_name[word_number], (score, True)))
        if with_context:  # a single word found only in the context never counts
            for word_number, score in matches.items():
                for entry in self._in_context[word_number]:
                    if score * weight > found.get(entry, (0.0, False))[0]:
                        found[entry] = (score * weight, False)
        return found

    def _entry_score(self, number: int, per_word: list[dict[int, tuple[float, bool]]]) -> float:
        matched = [m[number] for m in per_word if number in m]
        if not any(in_name for _, in_name in matched):
            return 0.0  # found only through its village: the village itself is the answer
        score = sum(value for value, _ in matched) / len(per_word)
        if len(matched) < len(per_word):
            score *= self.params.partial_factor
        named = sum(1 for _, in_name in matched if in_name)
        coverage = min(1.0, named / max(1, self._name_sizes[number]))
        return round(0.9 * score + 0.1 * coverage, 4)

    def _sort_key(self, number: int, score: float) -> tuple[float, int, float, str]:
        entry = self.entries[number]
        size = -math.log1p(max(0, entry.population))
        return (-score, _KIND_RANK[entry.kind], size, entry.name)

    def _hit(self, number: int, score: float) -> SearchHit:
        e = self.entries[number]
        return SearchHit(e.kind, e.id, e.name, e.context, e.lat, e.lon, round(score, 3))
