"""Range parsing (spec: Beyond the model, Range requests)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from host.assets.ranges import (
    UNSATISFIABLE,
    ByteRange,
    RangeAnswer,
    parse_range,
    unsatisfied_content_range,
)

SIZE = 100
HUGE = "9" * 5000  # longer than Python converts to int by default

CASES: list[tuple[str | None, RangeAnswer]] = [
    # single ranges
    ("bytes=0-0", ByteRange(0, 1, SIZE)),
    ("bytes=0-9", ByteRange(0, 10, SIZE)),
    ("bytes=10-19", ByteRange(10, 20, SIZE)),
    ("bytes=99-99", ByteRange(99, 100, SIZE)),
    ("bytes=0-99", ByteRange(0, 100, SIZE)),
    ("bytes=0-", ByteRange(0, 100, SIZE)),
    ("bytes=50-", ByteRange(50, 100, SIZE)),
    ("bytes=99-", ByteRange(99, 100, SIZE)),
    ("bytes=-1", ByteRange(99, 100, SIZE)),
    ("bytes=-10", ByteRange(90, 100, SIZE)),
    ("bytes=-100", ByteRange(0, 100, SIZE)),
    # clamped
    ("bytes=0-100", ByteRange(0, 100, SIZE)),
    ("bytes=90-1000", ByteRange(90, 100, SIZE)),
    ("bytes=-101", ByteRange(0, 100, SIZE)),
    ("bytes=-99999", ByteRange(0, 100, SIZE)),
    (f"bytes=0-{HUGE}", ByteRange(0, 100, SIZE)),
    (f"bytes=-{HUGE}", ByteRange(0, 100, SIZE)),
    # spelling
    ("bytes=000-009", ByteRange(0, 10, SIZE)),
    ("BYTES=0-9", ByteRange(0, 10, SIZE)),
    ("Bytes=0-9", ByteRange(0, 10, SIZE)),
    (" bytes=0-9 ", ByteRange(0, 10, SIZE)),
    ("bytes= 0-9", ByteRange(0, 10, SIZE)),
    ("bytes=0-9,", ByteRange(0, 10, SIZE)),
    ("bytes=,0-9", ByteRange(0, 10, SIZE)),
    ("bytes=0-9 , ,", ByteRange(0, 10, SIZE)),
    ("\tbytes=0-9\t", ByteRange(0, 10, SIZE)),
    # unsatisfiable
    ("bytes=100-", UNSATISFIABLE),
    ("bytes=100-200", UNSATISFIABLE),
    ("bytes=1000-", UNSATISFIABLE),
    (f"bytes={HUGE}-", UNSATISFIABLE),
    (f"bytes={HUGE}-{HUGE}", UNSATISFIABLE),
    ("bytes=-0", UNSATISFIABLE),
    ("bytes=-000", UNSATISFIABLE),
    # ignored: no header, malformed, several ranges, other units
    (None, None),
    ("", None),
    ("bytes", None),
    ("bytes=", None),
    ("bytes=-", None),
    ("bytes=,", None),
    ("bytes=9-5", None),
    ("bytes=100-99", None),
    (f"bytes={HUGE}-1", None),
    (f"bytes={HUGE}9-{HUGE}", None),
    ("bytes=a-b", None),
    ("bytes=1-b", None),
    ("bytes=0x1-2", None),
    ("bytes=+1-2", None),
    ("bytes=1-+2", None),
    ("bytes=-1-2", None),
    ("bytes=1-2-3", None),
    ("bytes=1 - 2", None),
    ("bytes=1.5-2", None),
    ("bytes=\u0661-\u0662", None),  # Arabic-Indic digits pass str.isdigit, not the grammar
    ("bytes=\uff11-\uff12", None),  # full-width digits
    ("bytes=0-1,2-3", None),
    ("bytes=0-1, 5-", None),
    ("bytes=0-1,0-1", None),
    ("bytes=-5,0-1", None),
    ("bytes=0-1,x", None),
    ("bytes 0-1", None),
    ("bytes:0-1", None),
    ("bytes==0-1", None),
    ("byte=0-1", None),
    ("items=0-1", None),
    ("none", None),
    ("0-1", None),
    ("=0-1", None),
    ("bytes=0-1;q=1", None),
    ("bytes=0-1\x00", None),
    ("bytes=\r\n0-1", None),
]


@pytest.mark.parametrize(("header", "expected"), CASES)
def test_parse_range(header: str | None, expected: RangeAnswer) -> None:
    assert parse_range(header, SIZE) == expected


EMPTY_FILE = [
    ("bytes=0-", UNSATISFIABLE),
    ("bytes=0-0", UNSATISFIABLE),
    ("bytes=5-9", UNSATISFIABLE),
    ("bytes=-0", UNSATISFIABLE),
    ("bytes=-1", None),
    ("bytes=-100", None),
    ("bytes=9-5", None),
]


@pytest.mark.parametrize(("header", "expected"), EMPTY_FILE)
def test_parse_range_of_an_empty_file(header: str, expected: RangeAnswer) -> None:
    assert parse_range(header, 0) == expected


def test_content_range_values() -> None:
    assert ByteRange(0, 10, 100).content_range == "bytes 0-9/100"
    assert ByteRange(99, 100, 100).content_range == "bytes 99-99/100"
    assert ByteRange(0, 10, 100).length == 10
    assert unsatisfied_content_range(100) == "bytes */100"
    assert repr(UNSATISFIABLE) == "UNSATISFIABLE"


@given(st.text(max_size=60), st.integers(min_value=0, max_value=10**6))
def test_parse_range_never_raises_and_stays_inside(header: str, size: int) -> None:
    answer = parse_range(header, size)
    if isinstance(answer, ByteRange):
        assert 0 <= answer.start < answer.end <= size
        assert answer.size == size


@given(
    st.integers(min_value=0, max_value=10**4),
    st.integers(min_value=0, max_value=10**4),
    st.integers(min_value=1, max_value=10**4),
)
def test_first_last_is_the_rfc_slice(first: int, last: int, size: int) -> None:
    answer = parse_range(f"bytes={first}-{last}", size)
    if last < first:
        assert answer is None
    elif first >= size:
        assert answer is UNSATISFIABLE
    else:
        assert isinstance(answer, ByteRange)
        data = bytes(range(256)) * (size // 256 + 1)
        data = data[:size]
        assert data[answer.start : answer.end] == data[first : last + 1]


@given(st.integers(min_value=1, max_value=10**4), st.integers(min_value=1, max_value=10**4))
def test_suffix_is_the_last_bytes(length: int, size: int) -> None:
    answer = parse_range(f"bytes=-{length}", size)
    assert isinstance(answer, ByteRange)
    data = bytes(size)
    assert answer.length == min(length, size)
    assert answer.end == size
    assert len(data[answer.start : answer.end]) == min(length, size)
