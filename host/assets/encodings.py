"""Content codings: a file's stored representations, and which one a request gets.

`Accept-Encoding` (RFC 9110 §12.5.3) is a list of codings with optional weights
(`br;q=0.9`). The chosen representation is the acceptable one with the highest weight,
the smallest on a tie. Details:
- no `Accept-Encoding` at all: identity (many clients that omit it cannot decode anything);
- `q=0` refuses a coding; `*` weighs every coding not named, identity included;
- identity, unless named or covered by `*`, is acceptable with the lowest positive weight,
  so any coding the client names is preferred; when nothing else is acceptable (even after
  `identity;q=0`) identity is sent anyway, as the RFC advises;
- names are case-insensitive, `x-gzip` means `gzip`, the first mention of a coding counts;
- an item with a malformed weight (`q=2`, `q=0.1234`, `q=x`) is ignored, as if absent.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

IDENTITY = ""
GZIP = "gzip"
BROTLI = "br"
ENCODINGS = (BROTLI, GZIP)

_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+", re.ASCII)
_WEIGHT = re.compile(r"(0(?:\.[0-9]{0,3})?|1(?:\.0{0,3})?)", re.ASCII)
_ALIASES = {"x-gzip": GZIP, "identity": IDENTITY}
_IMPLICIT_IDENTITY = 1  # thousandths: the lowest positive weight


@dataclass(frozen=True)
class Representation:
    """One stored form of a file: `encoding` ("" for identity), its strong ETag and size."""

    encoding: str
    etag: str
    size: int


def parse_accept_encoding(header: str) -> dict[str, int]:
    """Coding name (identity as "") to weight in thousandths, from an Accept-Encoding value."""
    weights: dict[str, int] = {}
    for item in header.split(","):
        name, _, params = item.partition(";")
        name = name.strip(" \t").lower()
        if not _TOKEN.fullmatch(name):
            continue
        weight = _weight(params)
        coding = _ALIASES.get(name, name)
        if weight is not None and coding not in weights:
            weights[coding] = weight
    return weights


def _weight(params: str) -> int | None:
    """The `q` parameter in thousandths (1000 when absent), None when malformed."""
    for param in params.split(";"):
        key, equals, value = param.partition("=")
        if key.strip(" \t").lower() != "q":
            continue
        found = _WEIGHT.fullmatch(value.strip(" \t")) if equals else None
        if found is None:
            return None
        return round(float(found[1]) * 1000)
    return 1000


def _weight_of(coding: str, weights: dict[str, int]) -> int:
    """How much the client wants a coding, from its parsed Accept-Encoding."""
    if coding in weights:
        return weights[coding]
    if "*" in weights:
        return weights["*"]
    return _IMPLICIT_IDENTITY if coding == IDENTITY else 0


def choose(header: str | None, representations: Sequence[Representation]) -> Representation:
    """The representation to send; `representations[0]` is the identity one."""
    identity = representations[0]
    if header is None or len(representations) == 1:
        return identity
    weights = parse_accept_encoding(header)
    best, best_key = identity, (0, 0)
    for candidate in representations:
        weight = _weight_of(candidate.encoding, weights)
        key = (weight, -candidate.size)
        if weight > 0 and (best_key[0] == 0 or key > best_key):
            best, best_key = candidate, key
    return best
