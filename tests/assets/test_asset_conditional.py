"""If-None-Match matching (spec: Caching headers)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from host.assets.conditional import if_range_allows, matching_etag, none_match_hits

TAG = '"0123abcd"'

CASES = [
    ('"0123abcd"', True),
    ('W/"0123abcd"', True),
    (' "0123abcd" ', True),
    ('\t"0123abcd"\t', True),
    ('"other", "0123abcd"', True),
    ('"other","0123abcd"', True),
    ('"0123abcd", "other"', True),
    ('W/"other", W/"0123abcd"', True),
    (',,"0123abcd",,', True),
    # no match
    (None, False),
    ("", False),
    ("*", False),
    (" * ", False),
    ("0123abcd", False),
    ('"other"', False),
    ('"0123abcd', False),
    ('0123abcd"', False),
    ("'0123abcd'", False),
    ('W/ "0123abcd"', False),
    ('w/"0123abcd"', False),
    ('W/0123abcd', False),
    ('"0123ABCD"', False),
    ('"0123abcd-gzip"', False),
    ('""', False),
    ('"0123abc"', False),
    ('"0123abcd"x', False),
    ('"0123abcd" "other"', False),
    (",", False),
]  # fmt: skip


@pytest.mark.parametrize(("header", "hit"), CASES)
def test_none_match(header: str | None, hit: bool) -> None:
    assert none_match_hits(header, TAG) is hit


def test_any_of_several_etags_matches() -> None:
    assert none_match_hits('"b"', '"a"', '"b"')
    assert none_match_hits('W/"a"', '"a"', '"b"')
    assert not none_match_hits('"c"', '"a"', '"b"')
    assert not none_match_hits('"a"')


@given(st.text())
def test_never_raises_and_star_free_text_without_tag_never_hits(header: str) -> None:
    hit = none_match_hits(header, TAG)
    assert hit == (TAG in [item.strip(" \t").removeprefix("W/") for item in header.split(",")])


# --- which ETag matched (compressed variants) and If-Range -------------------------------

ETAGS = ('"identity"', '"br"', '"gzip"')

MATCHING = [
    ('"identity"', '"identity"'),
    ('"br"', '"br"'),
    ('W/"gzip"', '"gzip"'),
    ('"gzip", "br"', '"br"'),
    ('"nope", "gzip"', '"gzip"'),
    ('"br", "identity"', '"identity"'),
    ("*", None),
    ("", None),
    (None, None),
    ('"other"', None),
    ("br", None),
    ('"BR"', None),
]


@pytest.mark.parametrize(("header", "expected"), MATCHING)
def test_matching_etag_prefers_the_order_given(header: str | None, expected: str | None) -> None:
    assert matching_etag(header, ETAGS) == expected


IF_RANGE = [
    (None, True),
    (TAG, True),
    (f" {TAG} ", True),
    (f"\t{TAG}", True),
    ("W/" + TAG, False),
    ('"other"', False),
    (TAG.strip('"'), False),
    (f"{TAG}, {TAG}", False),
    ("", False),
    ("*", False),
    ("Fri, 01 Jan 2100 00:00:00 GMT", False),
    ("Thu, 01 Jan 1970 00:00:00 GMT", False),
    (TAG.upper(), False),
]


@pytest.mark.parametrize(("header", "allows"), IF_RANGE)
def test_if_range(header: str | None, allows: bool) -> None:
    assert if_range_allows(header, TAG) is allows
