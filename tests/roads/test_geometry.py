"""One polyline encoding for drivers, the dispatcher's map and the demo's buses."""

from __future__ import annotations

from dispatch.roads.geometry import decode_polyline, encode_polyline

# Google's documented example of the encoded polyline format.
POINTS = [(38.5, -120.2), (40.7, -120.95), (43.252, -126.453)]
ENCODED = "_p~iF~ps|U_ulLnnqC_mqNvxq`@"


def test_encodes_googles_example() -> None:
    assert encode_polyline(POINTS) == ENCODED


def test_decoding_inverts_encoding() -> None:
    assert decode_polyline(ENCODED) == POINTS
    assert decode_polyline(encode_polyline([(50.01234, 11.56789)])) == [(50.01234, 11.56789)]
