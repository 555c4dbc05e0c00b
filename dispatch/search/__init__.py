"""Find stops, places and streets by name, tolerant of typos and missing umlauts.

Riders and hotline agents type names the way they say them: "trebgas", "Bayreuther
Str.", "Neudrossenfeld Kirche". Names and queries are therefore folded the same way
(case, umlauts written as "ä", "ae" or "a", accents, punctuation, "Str."/"St."), and a
query word matches a name word exactly, as a prefix, within a small edit distance or
by shared character trigrams. A word may also match the entry's ``context`` (the
place a stop or street lies in), so "Neudrossenfeld Kirche" finds the stop "Kirche"
in Neudrossenfeld rather than the one in Harsdorf.

The index is built once (vocabulary, trigram postings) and a query only touches the
words it can match, so a query over a district of ~5,000 entries takes well under a
millisecond or two. The module is pure: no I/O, no clock.
"""

from dispatch.search.entries import entries_from_map
from dispatch.search.index import Kind, SearchEntry, SearchHit, SearchIndex, SearchParams
from dispatch.search.text import edit_distance, normalise, tokens, trigrams, word_score

__all__ = [
    "Kind",
    "SearchEntry",
    "SearchHit",
    "SearchIndex",
    "SearchParams",
    "edit_distance",
    "entries_from_map",
    "normalise",
    "tokens",
    "trigrams",
    "word_score",
]
