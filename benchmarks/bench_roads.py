"""Road-network benchmark: the same numbers as ``dispatch bench roads``.

Usage: ``python benchmarks/bench_roads.py ../shared/data/osm/north-bayreuth.osm.gz [--json OUT]``
(the file defaults to ``$DISPATCH_OSM_SOURCE``).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from dispatch.roads.bench import run_roads_benchmark
from dispatch.roads.network import OsmSource, default_source


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("osm", nargs="?", help="OSM file or source (default: $DISPATCH_OSM_SOURCE)")
    parser.add_argument("--json", type=Path, help="also write the numbers as JSON here")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    source = OsmSource.parse(args.osm) if args.osm else default_source()
    result = run_roads_benchmark(source, seed=args.seed)
    for key, value in result.items():
        print(f"{key:32s} {value}")
    if args.json is not None:
        args.json.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
