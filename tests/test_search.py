from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dispatch.errors import InputError
from dispatch.search import (
    SearchEntry,
    SearchIndex,
    SearchParams,
    edit_distance,
    entries_from_map,
    normalise,
)
from dispatch.search.text import prefix_within_one

ENTRIES = [
    SearchEntry("place", "place-1", "Trebgast", 50.066, 11.551, population=1600),
    SearchEntry("place", "place-2", "Neudrossenfeld", 50.012, 11.503, population=3800),
    SearchEntry("place", "place-3", "Harsdorf", 50.034, 11.580, population=1000),
    SearchEntry("place", "place-4", "Kirchleus", 50.118, 11.420, population=300),
    SearchEntry("place", "place-5", "Lanzendorf", 50.040, 11.520, population=200),
    SearchEntry("place", "place-6", "Lanzendorf", 50.200, 11.700, population=900),
    SearchEntry("place", "place-7", "Sankt Johannis", 49.950, 11.600, population=0),
    SearchEntry("stop", "osm-10", "Trebgast, Bahnhof", 50.067, 11.553, "Trebgast"),
    SearchEntry("stop", "osm-11", "Kirche", 50.013, 11.504, "Neudrossenfeld"),
    SearchEntry("stop", "osm-12", "Kirche", 50.035, 11.581, "Harsdorf"),
    SearchEntry("stop", "osm-13", "Marktplatz", 50.012, 11.505, "Neudrossenfeld"),
    SearchEntry("street", "street-1", "Bayreuther Straße", 50.011, 11.506, "Neudrossenfeld"),
    SearchEntry("street", "street-2", "Kirchleuser Weg", 50.100, 11.430, "Kirchleus"),
    SearchEntry("street", "street-3", "Königsfelder Straße", 50.065, 11.550, "Trebgast"),
    SearchEntry("street", "street-4", "Trebgaster Straße", 50.034, 11.579, "Harsdorf"),
]


@pytest.fixture(scope="module")
def index() -> SearchIndex:
    return SearchIndex(ENTRIES)


def ids(index: SearchIndex, query: str, limit: int = 10) -> list[str]:
    return [hit.id for hit in index.search(query, limit)]


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("Bayreuther Straße", "bayreuther strasse"),
        ("Bayreuther Str.", "bayreuther strasse"),
        ("Hauptstr. 5", "haupt strasse 5"),
        ("Lindenstraße", "linden strasse"),
        ("Linden-Straße", "linden strasse"),
        ("St. Johannis", "sankt johannis"),
        ("St Johannis", "sankt johannis"),
        ("Königsfeld", "konigsfeld"),
        ("Koenigsfeld", "konigsfeld"),
        ("KONIGSFELD", "konigsfeld"),
        ("Café-Müller!", "cafe muller"),
        ("  Trebgast,   Bahnhof ", "trebgast bahnhof"),
    ],
)
def test_normalise(text: str, folded: str) -> None:
    assert normalise(text) == folded


@pytest.mark.parametrize(
    ("a", "b", "distance"),
    [("trebgast", "trebgast", 0), ("trebgas", "trebgast", 1), ("tregbast", "trebgast", 1)],
)
def test_edit_distance(a: str, b: str, distance: int) -> None:
    assert edit_distance(a, b, 2) == distance


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("neudros", True),
        ("neudors", True),  # swapped letters
        ("nexdros", True),  # wrong letter
        ("neudossen", True),  # missing letter
        ("neuddros", True),  # extra letter
        ("nexdxos", False),
    ],
)
def test_prefix_within_one(query: str, expected: bool) -> None:
    assert prefix_within_one(query, "neudrossenfeld") is expected


def test_edit_distance_is_bounded() -> None:
    assert edit_distance("abcdef", "uvwxyz", 2) == 3


def test_exact_place_first(index: SearchIndex) -> None:
    assert ids(index, "Trebgast")[:2] == ["place-1", "osm-10"]


@pytest.mark.parametrize("query", ["trebgas", "TREBGAST", "trebgst", "tregbast", "Trebgaßt"])
def test_typos_find_trebgast(index: SearchIndex, query: str) -> None:
    assert ids(index, query)[0] == "place-1"


def test_prefix_while_typing(index: SearchIndex) -> None:
    assert ids(index, "neudr")[0] == "place-2"
    assert "place-4" in ids(index, "kirchl")


def test_missing_umlaut_and_ae_spelling(index: SearchIndex) -> None:
    for query in ("Konigsfelder Strasse", "Koenigsfelder Str.", "königsfelder"):
        assert ids(index, query)[0] == "street-3", query


def test_street_abbreviation(index: SearchIndex) -> None:
    assert ids(index, "Bayreuther Str.")[0] == "street-1"
    assert ids(index, "bayreutherstr")[0] == "street-1"
    assert ids(index, "Königsfelderstraße")[0] == "street-3"


def test_sankt_abbreviation(index: SearchIndex) -> None:
    assert ids(index, "St. Johannis")[0] == "place-7"


def test_context_decides_between_equal_names(index: SearchIndex) -> None:
    hits = index.search("Neudrossenfeld Kirche")
    assert hits[0].id == "osm-11"
    assert hits[0].context == "Neudrossenfeld"
    assert ids(index, "kirche harsdorf")[0] == "osm-12"


def test_context_with_typo(index: SearchIndex) -> None:
    assert ids(index, "Neudrosenfeld Kirch")[0] == "osm-11"


def test_stop_in_own_village_ranks_below_village(index: SearchIndex) -> None:
    found = ids(index, "Neudrossenfeld")
    assert found[0] == "place-2"
    assert "osm-13" not in found  # matched by its village only: the village is the answer


def test_stops_and_places_before_streets_at_equal_score(index: SearchIndex) -> None:
    hits = index.search("Kirchleus")
    assert hits[0].id == "place-4"
    assert [h.kind for h in hits].index("street") > 0


def test_bigger_place_first_at_equal_score(index: SearchIndex) -> None:
    hits = index.search("Lanzendorf")
    assert [h.id for h in hits[:2]] == ["place-6", "place-5"]
    assert hits[0].score == hits[1].score


def test_partial_multi_word_match_ranks_below_full(index: SearchIndex) -> None:
    hits = index.search("Harsdorf Kirche")
    assert hits[0].id == "osm-12"
    assert all(h.score < hits[0].score for h in hits[1:])


def test_hit_fields(index: SearchIndex) -> None:
    hit = index.search("Trebgast Bahnhof", 1)[0]
    assert (hit.kind, hit.id, hit.name, hit.context) == (
        "stop",
        "osm-10",
        "Trebgast, Bahnhof",
        "Trebgast",
    )
    assert (hit.lat, hit.lon) == (50.067, 11.553)
    assert 0 < hit.score <= 1


def test_limit(index: SearchIndex) -> None:
    assert len(index.search("Kirche", 1)) == 1


@pytest.mark.parametrize("query", ["Xylophon", "zzzz", "q"])
def test_no_match(index: SearchIndex, query: str) -> None:
    assert index.search(query) == []


@pytest.mark.parametrize("query", ["", "   ", "...,-!"])
def test_empty_query_rejected(index: SearchIndex, query: str) -> None:
    with pytest.raises(InputError, match="empty"):
        index.search(query)


def test_long_query_rejected(index: SearchIndex) -> None:
    with pytest.raises(InputError, match="longer than 100"):
        index.search("Trebgast " * 20)


def test_too_many_words_rejected(index: SearchIndex) -> None:
    with pytest.raises(InputError, match="more than 8 words"):
        index.search("a b c d e f g h i")


@pytest.mark.parametrize("limit", [0, 51])
def test_bad_limit_rejected(index: SearchIndex, limit: int) -> None:
    with pytest.raises(InputError, match="limit"):
        index.search("Trebgast", limit)


def test_bad_params_rejected() -> None:
    with pytest.raises(ValueError, match="min_score"):
        SearchParams(min_score=2.0)


def test_empty_index() -> None:
    assert SearchIndex([]).search("Trebgast") == []


@given(st.text(max_size=100))
def test_any_text_either_answers_or_is_an_input_error(query: str) -> None:
    index = SearchIndex(ENTRIES)
    try:
        hits = index.search(query)
    except InputError:
        return
    assert all(0 < h.score <= 1 for h in hits)
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


class _Point:
    def __init__(self, osm_id: int, name: str, lat: float, lon: float, pop: int | None = None):
        self.osm_id, self.name, self.lat, self.lon, self.population = osm_id, name, lat, lon, pop


def test_entries_from_map_gives_nearest_place_as_context() -> None:
    places = [_Point(1, "Trebgast", 50.066, 11.551, 1600), _Point(2, "Harsdorf", 50.034, 11.58)]
    stops = [_Point(10, "Kirche", 50.035, 11.581)]
    streets = [_Point(0, "Am Weiher", 50.065, 11.552), _Point(0, "Einöde", 51.0, 12.0)]
    entries = entries_from_map(places, stops, streets)
    assert [(e.kind, e.id, e.context) for e in entries] == [
        ("place", "place-1", ""),
        ("place", "place-2", ""),
        ("stop", "osm-10", "Harsdorf"),
        ("street", "street-0", "Trebgast"),
        ("street", "street-1", ""),  # no place within 5 km
    ]
    assert entries[1].population == 0


def test_a_stop_mapped_once_per_direction_is_suggested_once() -> None:
    places = [_Point(1, "Schaan", 47.165, 9.509), _Point(2, "Vaduz", 47.141, 9.521)]
    stops = [
        _Point(10, "Schaan Bahnhof", 47.1650, 9.5090),
        _Point(11, "Schaan Bahnhof", 47.1652, 9.5093),  # the other direction, 30 m away
        _Point(12, "Schaan Bahnhof", 47.1648, 9.5087),  # a third bay
        _Point(13, "Vaduz Altenbach", 47.1400, 9.5200),
        _Point(14, "Vaduz Altenbach", 47.1401, 9.5202),
    ]
    entries = entries_from_map(places, stops, [])
    names = [(e.kind, e.name) for e in entries if e.kind == "stop"]
    assert names == [("stop", "Schaan Bahnhof"), ("stop", "Vaduz Altenbach")]
    assert [e.id for e in entries if e.kind == "stop"] == ["osm-10", "osm-13"]
    hits = SearchIndex(entries).search("schaan bahnhof", 10)
    assert [h.name for h in hits].count("Schaan Bahnhof") == 1


def test_same_named_places_far_apart_get_telling_contexts() -> None:
    places = [
        _Point(1, "Ziegelhütte", 50.030, 11.500),
        _Point(2, "Ziegelhütte", 50.030, 11.600),  # 7 km east: another hamlet
        _Point(3, "Neudrossenfeld", 50.020, 11.501),
        _Point(4, "Harsdorf", 50.031, 11.590),
    ]
    entries = entries_from_map(places, [], [])
    hamlets = [(e.name, e.context) for e in entries if e.name == "Ziegelhütte"]
    assert hamlets == [("Ziegelhütte", "Neudrossenfeld"), ("Ziegelhütte", "Harsdorf")]
    assert len({(e.kind, e.name, e.context) for e in entries}) == len(entries)


@pytest.fixture(scope="module")
def real_index(tmp_path_factory: pytest.TempPathFactory) -> SearchIndex:
    osm = os.environ.get("DISPATCH_TEST_OSM")
    if not osm:
        pytest.skip("DISPATCH_TEST_OSM is not set (real OSM extract)")
    roads = pytest.importorskip("dispatch.roads.network")
    network = roads.load_road_network(
        roads.OsmSource(path=Path(osm)), cache_dir=tmp_path_factory.mktemp("osm")
    )
    return SearchIndex(entries_from_map(network.places, network.stops, network.streets))


@pytest.mark.realdata
@pytest.mark.parametrize(
    ("query", "name"),
    [
        ("trebgas", "Trebgast"),
        ("neudrosenfeld", "Neudrossenfeld"),
        ("harsdorff", "Harsdorf"),
        ("Bayreuther Str.", "Bayreuther Straße"),
        ("an der kirch", "An der Kirche"),
    ],
)
def test_real_extract(real_index: SearchIndex, query: str, name: str) -> None:
    if not any(e.name == name for e in real_index.entries):
        pytest.skip(f"{name!r} is not a place, stop or street of this extract")
    assert real_index.search(query, 3)[0].name == name


@pytest.mark.realdata
def test_no_two_suggestions_of_the_real_extract_read_alike(real_index: SearchIndex) -> None:
    seen = [(e.kind, e.name, e.context) for e in real_index.entries]
    assert len(seen) == len(set(seen))
