"""Place search latency: a synthetic district of ~5,000 entries (or a real extract).

Usage: ``python benchmarks/bench_search.py [OSM_FILE] [--entries 5000] [--repeat 50]``

The synthetic names are built from few syllables, so they share far more trigrams
than real names do: a pessimistic case for the fuzzy look-up.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from pathlib import Path

from dispatch.search import SearchEntry, SearchIndex, entries_from_map

SYLLABLES = "ber g dorf reuth lin den kir ch bach hof tre b gast neu dros sen feld har s lan zen alt ober unter wald au mühl eck stein roth".split()  # noqa: SIM905
QUERIES = [
    "trebgas", "Neudrossenfeld Kirche", "Bayreuther Str.", "st", "ki", "Kirche", "bahnhof",
    "lindenstrasse", "unterauc", "Oberbachreuth Weg", "xx yy",
]  # fmt: skip


def synthetic(n: int, seed: int) -> list[SearchEntry]:
    rng = random.Random(seed)

    def word() -> str:
        return "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))).capitalize()

    places = [word() for _ in range(n // 16)]
    entries = [
        SearchEntry("place", f"p{i}", p, 50.0, 11.5, population=rng.randint(0, 5000))
        for i, p in enumerate(places)
    ]
    for i in range(n * 3 // 10):
        name = rng.choice([word(), f"{rng.choice(places)}, {rng.choice(['Kirche', 'Bahnhof'])}"])
        entries.append(SearchEntry("stop", f"s{i}", name, 50.0, 11.5, rng.choice(places)))
    for i in range(n - len(entries)):
        name = word() + rng.choice(["straße", " Straße", "weg", "gasse", "platz", " Weg"])
        entries.append(SearchEntry("street", f"t{i}", name, 50.0, 11.5, rng.choice(places)))
    return entries


def from_file(path: Path) -> list[SearchEntry]:
    from dispatch.roads.network import OsmSource, load_road_network

    network = load_road_network(OsmSource(path=path))
    return entries_from_map(network.places, network.stops, network.streets)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("osm", nargs="?", type=Path)
    parser.add_argument("--entries", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=50)
    args = parser.parse_args()
    entries = from_file(args.osm) if args.osm else synthetic(args.entries, seed=1)
    started = time.perf_counter()
    index = SearchIndex(entries)
    print(f"{'entries':32s} {len(index)}")
    print(f"{'build ms':32s} {(time.perf_counter() - started) * 1000:.1f}")
    means = []
    for query in QUERIES:
        started = time.perf_counter()
        for _ in range(args.repeat):
            index.search(query, 10)
        means.append((time.perf_counter() - started) / args.repeat * 1000)
        print(f"{'query ' + repr(query) + ' ms':32s} {means[-1]:.2f}")
    print(f"{'mean query ms':32s} {statistics.fmean(means):.2f}")
    print(f"{'max query ms':32s} {max(means):.2f}")


if __name__ == "__main__":
    main()
