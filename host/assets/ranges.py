"""Range requests (RFC 9110 §14): one `bytes=` range of a file, or a reason to send it whole.

`parse_range(header, size)` answers one of:
- a `ByteRange` to send as 206 (`a-b`, `a-`, `-n`; a last position past the end is clamped);
- `UNSATISFIABLE` (416 with `Content-Range: bytes */size`): the first position is at or past
  the end (`bytes=500-` of a 100-byte file, any `a-` of an empty file), or a suffix of zero
  bytes (`bytes=-0`);
- `None`: ignore the header and send the whole file (200). That is the answer to anything
  malformed (`bytes=5-1`, `bytes=a-b`, `bytes=1-2-3`, `bytes=+1-2`, another unit), to two or
  more ranges (multipart answers are not worth their cost), and to a suffix range of an
  empty file (it is satisfiable, yet no byte of it can be named in a `Content-Range`).

Numbers are ASCII digits only; absurdly long ones are never converted to `int` (Python
refuses strings over 4,300 digits): a position beyond any file's size is simply "past the end".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

_SPEC = re.compile(r"([0-9]*)-([0-9]*)", re.ASCII)
_OWS = " \t"
_UNIT = "bytes="
# Longer digit strings than this are larger than any file can be.
_MAX_DIGITS = 18
_BEYOND = 10**_MAX_DIGITS


@dataclass(frozen=True)
class ByteRange:
    """Bytes `start` up to, not including, `end` of a file of `size` bytes."""

    start: int
    end: int
    size: int

    @property
    def length(self) -> int:
        """How many bytes the range holds."""
        return self.end - self.start

    @property
    def content_range(self) -> str:
        """The `Content-Range` value of a 206 answer."""
        return f"bytes {self.start}-{self.end - 1}/{self.size}"


class Unsatisfiable:
    """The range names no byte of the file."""

    def __repr__(self) -> str:
        """Readable in test output."""
        return "UNSATISFIABLE"


UNSATISFIABLE: Final = Unsatisfiable()

RangeAnswer = ByteRange | Unsatisfiable | None


def unsatisfied_content_range(size: int) -> str:
    """The `Content-Range` value of a 416 answer."""
    return f"bytes */{size}"


def parse_range(header: str | None, size: int) -> RangeAnswer:
    """What a `Range` header asks of a file of `size` bytes (see the module docstring)."""
    if header is None:
        return None
    text = header.strip(_OWS)
    if text[: len(_UNIT)].lower() != _UNIT:
        return None
    specs = [spec.strip(_OWS) for spec in text[len(_UNIT) :].split(",")]
    specs = [spec for spec in specs if spec]
    if len(specs) != 1:
        return None
    found = _SPEC.fullmatch(specs[0])
    if found is None:
        return None
    first, last = found.groups()
    if first:
        return _from_first(first, last, size)
    if last:
        return _suffix(_number(last), size)
    return None


def _number(digits: str) -> int:
    """The value of a digit string, capped just above any possible file size."""
    digits = digits.lstrip("0") or "0"
    return _BEYOND if len(digits) > _MAX_DIGITS else int(digits)


def _before(last: str, first: str) -> bool:
    """Whether the number `last` is smaller than `first`, exactly, however long both are."""
    last, first = last.lstrip("0"), first.lstrip("0")
    return (len(last), last) < (len(first), first)


def _from_first(first: str, last: str, size: int) -> RangeAnswer:
    """`first-last`, or `first-` to the end; a last position past the end is clamped."""
    if last and _before(last, first):
        return None
    start = _number(first)
    if start >= size:
        return UNSATISFIABLE
    end = size if not last else min(_number(last) + 1, size)
    return ByteRange(start, end, size)


def _suffix(length: int, size: int) -> RangeAnswer:
    """`-length`: the last `length` bytes (all of them when the file is shorter)."""
    if length == 0:
        return UNSATISFIABLE
    if size == 0:
        return None
    return ByteRange(max(size - length, 0), size, size)
