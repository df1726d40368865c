"""Accept-Encoding negotiation (spec: Beyond the model, Pre-compressed variants)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from host.assets.encodings import (
    BROTLI,
    GZIP,
    IDENTITY,
    Representation,
    choose,
    parse_accept_encoding,
)

PLAIN = Representation(IDENTITY, '"i"', 1000)
BR = Representation(BROTLI, '"b"', 300)
GZ = Representation(GZIP, '"g"', 400)
ALL = (PLAIN, BR, GZ)

PARSE = [
    ("gzip", {"gzip": 1000}),
    ("gzip, br", {"gzip": 1000, "br": 1000}),
    ("GZIP, Br", {"gzip": 1000, "br": 1000}),
    ("br;q=0.5", {"br": 500}),
    ("br;Q=0.5", {"br": 500}),
    ("br ; q=0.5", {"br": 500}),
    ("br;q= 0.5", {"br": 500}),
    ("br;q=1", {"br": 1000}),
    ("br;q=1.000", {"br": 1000}),
    ("br;q=0", {"br": 0}),
    ("br;q=0.", {"br": 0}),
    ("br;q=0.001", {"br": 1}),
    ("br;q=0.999", {"br": 999}),
    ("br;level=5;q=0.2", {"br": 200}),
    ("br;level=5", {"br": 1000}),
    ("identity", {"": 1000}),
    ("identity;q=0", {"": 0}),
    ("*", {"*": 1000}),
    ("*;q=0", {"*": 0}),
    ("x-gzip", {"gzip": 1000}),
    ("x-gzip;q=0.3, gzip", {"gzip": 300}),
    ("br, br;q=0", {"br": 1000}),
    ("br;q=0, br", {"br": 0}),
    # malformed items are ignored
    ("br;q=2", {}),
    ("br;q=1.5", {}),
    ("br;q=1.0001", {}),
    ("br;q=0.1234", {}),
    ("br;q=-0.5", {}),
    ("br;q=", {}),
    ("br;q", {}),
    ("br;q=x", {}),
    ("br;q=.5", {}),
    ("br;q=0.5;q=1", {"br": 500}),
    ("b r", {}),
    ('"br"', {}),
    ("br/x", {}),
    ("", {}),
    (",,, ,", {}),
    ("ñ, br", {"br": 1000}),
    ("gzip;q=0.5, , br", {"gzip": 500, "br": 1000}),
]


@pytest.mark.parametrize(("header", "expected"), PARSE)
def test_parse_accept_encoding(header: str, expected: dict[str, int]) -> None:
    assert parse_accept_encoding(header) == expected


CHOOSE = [
    # no header, empty header: identity
    (None, PLAIN),
    ("", PLAIN),
    # browsers: everything at q=1, smallest wins
    ("gzip, deflate, br, zstd", BR),
    ("gzip, deflate, br", BR),
    ("br, gzip", BR),
    ("gzip", GZ),
    ("x-gzip", GZ),
    ("br", BR),
    ("deflate", PLAIN),
    ("zstd", PLAIN),
    ("compress", PLAIN),
    ("identity", PLAIN),
    ("*", BR),
    # q-values: the client's preference beats size
    ("gzip;q=1, br;q=0.5", GZ),
    ("br;q=0.5, gzip;q=0.6", GZ),
    ("br;q=0.6, gzip;q=0.5", BR),
    ("gzip;q=0.5, identity", PLAIN),
    ("gzip;q=0.5, identity;q=0.4", GZ),
    ("gzip;q=0.001", GZ),
    # q=0 refuses
    ("br;q=0, gzip", GZ),
    ("br;q=0", PLAIN),
    ("gzip;q=0, br;q=0", PLAIN),
    ("*;q=0", PLAIN),
    ("*;q=0, gzip", GZ),
    ("*, br;q=0", GZ),
    ("*, br;q=0, gzip;q=0", PLAIN),
    ("identity;q=0", PLAIN),
    ("identity;q=0, gzip", GZ),
    ("identity;q=0, *;q=0", PLAIN),
    # wildcard weighs what is not named
    ("*;q=0.5, gzip", GZ),
    ("*;q=0.5, gzip;q=0.4", BR),
    # malformed parts are ignored
    ("br;q=2, gzip", GZ),
    ("br;q=x", PLAIN),
    ("BR", BR),
    ("Br;Q=0.9, gZiP;q=0.8", BR),
]


@pytest.mark.parametrize(("header", "expected"), CHOOSE)
def test_choose(header: str | None, expected: Representation) -> None:
    assert choose(header, ALL) == expected


def test_ties_go_to_the_smaller() -> None:
    bigger_br = Representation(BROTLI, '"b"', 500)
    assert choose("br, gzip", (PLAIN, GZ, bigger_br)) == GZ


def test_identity_only_file_is_always_identity() -> None:
    assert choose("br, gzip", (PLAIN,)) == PLAIN


def test_only_what_exists_is_chosen() -> None:
    assert choose("br", (PLAIN, GZ)) == PLAIN
    assert choose("gzip", (PLAIN, BR)) == PLAIN


@given(st.text(max_size=80))
def test_choose_never_raises_and_never_picks_a_refused_coding(header: str) -> None:
    chosen = choose(header, ALL)
    assert chosen in ALL
    weights = parse_accept_encoding(header)
    if chosen.encoding:
        weight = weights.get(chosen.encoding, weights.get("*", 0))
        assert weight > 0
