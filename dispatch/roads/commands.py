"""CLI: ``dispatch region build``, ``dispatch route`` and ``dispatch bench roads``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from dispatch.errors import InputError
from dispatch.roads.network import OsmSource, default_source, load_road_network

OsmOption = Annotated[
    Path | None,
    typer.Option(
        "--osm",
        help="OpenStreetMap file (.osm, .osm.gz, .osm.bz2, .osm.pbf). "
        "Default: $DISPATCH_OSM_SOURCE, else a download of the default region.",
    ),
]
CacheOption = Annotated[
    Path | None,
    typer.Option("--cache-dir", help="Where compiled graphs are kept (default: osm_cache/)."),
]


def parse_point(text: str) -> tuple[float, float]:
    try:
        lat, lon = (float(x) for x in text.split(","))
    except ValueError:
        raise InputError(
            f"a point is LAT,LON in degrees, e.g. 50.0311,11.5526 — got {text!r}"
        ) from None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise InputError(f"point {text} is outside the valid latitude/longitude range")
    return lat, lon


def source_from_options(
    osm: Path | None, place: str | None = None, bbox: str | None = None
) -> OsmSource:
    given = sum(x is not None for x in (osm, place, bbox))
    if given > 1:
        raise InputError("give only one of --osm, --place and --bbox")
    if osm is not None:
        return OsmSource(path=osm)
    if place is not None:
        return OsmSource(place=place)
    if bbox is not None:
        return OsmSource.parse_bbox(bbox)
    return default_source()


def region_build(
    osm: OsmOption = None,
    place: Annotated[
        str | None,
        typer.Option(help="Download by place name, e.g. 'Trebgast, Germany' (internet)."),
    ] = None,
    bbox: Annotated[
        str | None, typer.Option(help="Download a bounding box S,W,N,E in degrees (internet).")
    ] = None,
    cache_dir: CacheOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
) -> None:
    """Build the road network a bus may use and print its summary.

    Keeps only roads a bus may drive (no tracks, paths or private roads; one-way
    streets respected), the largest connected part of them, and compiles travel
    times per road segment. The result is cached, so the next start takes
    milliseconds.
    """
    network = load_road_network(
        source_from_options(osm, place, bbox), cache_dir=cache_dir, progress=typer.echo
    )
    summary = network.summary()
    if as_json:
        typer.echo(json.dumps(summary, indent=2))
        return
    typer.echo(_format_summary(summary))


def _format_summary(s: dict[str, Any]) -> str:
    return "\n".join(
        [
            f"region:            {s['source']}",
            f"junctions (nodes): {s['nodes']:,}",
            f"road links:        {s['edges']:,}",
            f"kept in network:   {s['share_nodes_kept']:.1%} of road nodes, {s['share_edges_kept']:.1%} of road segments",
            f"named places:      {s['places']}",
            f"bus stops:         {s['stops']}",
            f"streets:           {s['streets']}",
            f"build time:        {s['build_seconds']:.2f} s ({'from cache' if s['from_cache'] else 'built from OpenStreetMap'})",
        ]
    )


def route(
    origin: Annotated[str, typer.Argument(metavar="ORIGIN", help="From: LAT,LON")],
    destination: Annotated[str, typer.Argument(metavar="DESTINATION", help="To: LAT,LON")],
    osm: OsmOption = None,
    cache_dir: CacheOption = None,
) -> None:
    """Travel time, distance and path between two points, by bus on the road network."""
    a, b = parse_point(origin), parse_point(destination)
    network = load_road_network(source_from_options(osm), cache_dir=cache_dir, progress=typer.echo)
    start, end = network.snap(*a), network.snap(*b)
    path = network.route(start.node, end.node)
    minutes, seconds = divmod(path.travel_s, 60)
    typer.echo(f"travel time: {minutes}:{seconds:02d} min")
    typer.echo(f"distance:    {path.distance_m / 1000:.2f} km")
    typer.echo(f"path:        {len(path.nodes)} junctions, {len(path.polyline)} points")
    typer.echo(f"snapped:     from {start.distance_m:.0f} m and {end.distance_m:.0f} m away")


def bench_roads(
    osm: OsmOption = None,
    json_out: Annotated[
        Path | None, typer.Option("--json", help="Also write the numbers as JSON here.")
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed for the random points.")] = 1,
) -> None:
    """Road-network performance: build, reload, 100×100 matrix vs networkx, snapping."""
    from dispatch.roads.bench import run_roads_benchmark

    source = source_from_options(osm)
    result = run_roads_benchmark(source, seed=seed)
    for key, value in result.items():
        typer.echo(f"{key:32s} {value}")
    if json_out is not None:
        json_out.write_text(json.dumps(result, indent=2))


def register(cli: Any) -> None:
    cli.region.command("build")(region_build)
    cli.app.command("route")(route)
    cli.bench.command("roads")(bench_roads)
