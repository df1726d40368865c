"""If-None-Match matching (spec: Caching headers)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from host.assets.conditional import none_match_hits

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
