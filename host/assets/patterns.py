"""URL patterns of `_headers` and `_redirects` rules: literal text, `:placeholders`, one `*`.

A pattern is a path (`/blog/:year/*`) or, in `_headers` only, an `https://` URL whose host
may hold placeholders too (`https://:sub.example.com/*`; the request's port and scheme are
ignored). Literal text is percent-decoded when the pattern is parsed and compared with the
decoded request path, so `/a%20b` and `/a b` are one rule and `%2F` is a real slash, as for
asset lookup. A `#fragment` is dropped (browsers never send one); a `?query` is refused.

- `:name` (a letter, then letters, digits, `_`) matches one or more characters of a single
  path segment (of a single host label). Each name may appear once.
- `*` (at most one per pattern) matches anything, `/` included, or nothing; it is `:splat`.

**Stricter than the model:** a segment (or host label) holds at most one placeholder or
splat (`/:a-:b` is refused) and may not be empty, `.` or `..`, because no request path can
ever match such a segment. With one wildcard per segment a match is a few string
comparisons per segment, never a backtracking search, whatever the pattern and the path.

Captured values are kept percent-encoded (per segment, like `encodeURIComponent`), so they
can go into a `Location` or header value as they are.
"""

from __future__ import annotations

import heapq
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar
from urllib.parse import quote

from host.assets.paths import canonical_path, decode_segment

SPLAT = "splat"
HTTPS = "https://"
PLACEHOLDER = re.compile(r":([A-Za-z]\w*)", re.ASCII)
_TOKEN = re.compile(r"\*|:[A-Za-z]\w*", re.ASCII)
_PORT = re.compile(r":[0-9]*\Z")

Captures = dict[str, str]
T = TypeVar("T")


class PatternError(ValueError):
    """A rule's URL pattern cannot be used; the message says why."""


@dataclass(frozen=True)
class Segment:
    """One path segment (or host label): `prefix`, an optional wildcard, `suffix`.

    `wild` is "" for a literal segment (all text in `prefix`), `*` for the splat, or a
    placeholder name.
    """

    prefix: str
    wild: str = ""
    suffix: str = ""

    def match_one(self, text: str, captures: Captures) -> bool:
        """Match exactly one subject segment, recording a placeholder's value."""
        if not self.wild:
            return text == self.prefix
        inner = len(text) - len(self.prefix) - len(self.suffix)
        if inner < 1 or not (text.startswith(self.prefix) and text.endswith(self.suffix)):
            return False
        captures[self.wild] = text[len(self.prefix) : len(text) - len(self.suffix)]
        return True


@dataclass(frozen=True)
class Pattern:
    """A parsed rule pattern; `text` is what the rule file said."""

    text: str
    path: tuple[Segment, ...]
    host: tuple[Segment, ...] | None = None

    @property
    def literal_path(self) -> str | None:
        """The one decoded path this pattern matches, or None if it has wildcards or a host."""
        if self.host is not None or any(segment.wild for segment in self.path):
            return None
        return "/" + "/".join(segment.prefix for segment in self.path)

    def match(self, path_segments: Sequence[str], host: str = "") -> Captures | None:
        """Encoded captures if the decoded path (split on `/`) and host match, else None."""
        captures: Captures = {}
        if self.host is not None:
            labels = host.lower().split(".")
            if not _match_all(self.host, labels, ".", captures):
                return None
            _encode(captures, _encode_host)
        found: Captures = {}
        if not _match_all(self.path, path_segments, "/", found):
            return None
        _encode(found, canonical_path)
        captures.update(found)
        return captures


class PatternIndex(Generic[T]):
    """Items with patterns, narrowed per request to those that can match, in their order.

    A pattern whose first path segment is literal text can only match paths with that
    first segment; the others (wildcard first) are candidates for every path.
    """

    def __init__(self, items: Sequence[T], pattern_of: Callable[[T], Pattern]) -> None:
        self._items = tuple(items)
        self._by_first: dict[str, list[int]] = {}
        self._anywhere: list[int] = []
        for index, item in enumerate(self._items):
            first = pattern_of(item).path[0]
            if first.wild:
                self._anywhere.append(index)
            else:
                self._by_first.setdefault(first.prefix, []).append(index)

    def candidates(self, path_segments: Sequence[str]) -> list[T]:
        """The items whose pattern may match a path with these segments, in order."""
        keyed = self._by_first.get(path_segments[0], [])
        if not self._anywhere or not keyed:
            return [self._items[i] for i in keyed or self._anywhere]
        return [self._items[i] for i in heapq.merge(keyed, self._anywhere)]


def split_path(decoded_path: str) -> list[str]:
    """The segments of a decoded path that starts with `/` (`/` is one empty segment)."""
    return decoded_path[1:].split("/")


def substitute(template: str, captures: Mapping[str, str]) -> str:
    """Replace each `:name` with its captured value; unknown names stay as written."""
    if not captures:
        return template
    return PLACEHOLDER.sub(lambda found: captures.get(found[1], found[0]), template)


def parse_pattern(text: str, allow_host: bool = False) -> Pattern:
    """Parse a rule's pattern, raising `PatternError` when it cannot be used."""
    host: tuple[Segment, ...] | None = None
    rest = text
    if text.startswith(HTTPS):
        if not allow_host:
            raise PatternError("only paths starting with '/' are allowed here")
        host_text, slash, path_text = text[len(HTTPS) :].partition("/")
        host = _parse_host(host_text)
        rest = slash + path_text if slash else "/"
    elif "://" in text.partition("/")[0] or not text.startswith("/"):
        expected = "start with '/' or 'https://'" if allow_host else "start with '/'"
        raise PatternError(f"{text!r} must {expected}")
    path = _parse_path(rest.partition("#")[0])
    segments = path + (host or ())
    _check_wildcards(segments)
    return Pattern(text, path, host)


def _parse_host(text: str) -> tuple[Segment, ...]:
    """Host labels of an `https://` pattern, lower-cased; ports are refused."""
    if not text:
        raise PatternError("the URL has no host name")
    if _PORT.search(text):
        raise PatternError("ports are not supported in URLs")
    if "%" in text or "?" in text or "#" in text:
        raise PatternError(f"bad host name {text!r}")
    labels = text.split(".")
    segments = tuple(_segment(_tokens(label, decode=False), label) for label in labels)
    if any(segment == Segment("") for segment in segments):
        raise PatternError(f"host name {text!r} has an empty label")
    return tuple(_lower(segment) for segment in segments)


def _lower(segment: Segment) -> Segment:
    """A host label with its literal text lower-cased (placeholder names keep their case)."""
    return Segment(segment.prefix.lower(), segment.wild, segment.suffix.lower())


def _parse_path(text: str) -> tuple[Segment, ...]:
    """Decoded path segments of a pattern path (text starts with `/`)."""
    if "?" in text:
        raise PatternError("query strings cannot be matched; remove the '?…' part")
    groups: list[list[_Token]] = [[]]
    for token in _tokens(text, decode=True):
        if token.wild:
            groups[-1].append(token)
            continue
        pieces = [_Token(piece) for piece in token.text.split("/")]
        groups[-1].append(pieces[0])
        groups.extend([piece] for piece in pieces[1:])
    segments = tuple(_segment(group, text) for group in groups[1:])
    for index, segment in enumerate(segments):
        if segment.wild:
            continue
        if segment.prefix in (".", ".."):
            raise PatternError(f"{text!r} has a '.' or '..' segment")
        if not segment.prefix and index < len(segments) - 1:
            raise PatternError(f"{text!r} has an empty segment ('//')")
    return segments


@dataclass(frozen=True)
class _Token:
    """Literal text, or (`wild`) a wildcard: `*` or a placeholder name."""

    text: str
    wild: bool = False


def _tokens(text: str, decode: bool) -> list[_Token]:
    """Literal chunks (decoded if asked) and wildcards, in order."""
    tokens: list[_Token] = []
    position = 0
    for found in _TOKEN.finditer(text):
        tokens.append(_Token(_literal(text[position : found.start()], decode)))
        tokens.append(_Token("*" if found[0] == "*" else found[0][1:], wild=True))
        position = found.end()
    tokens.append(_Token(_literal(text[position:], decode)))
    return tokens


def _literal(chunk: str, decode: bool) -> str:
    """A literal chunk, percent-decoded (bad escapes kept) when `decode`; NUL is refused."""
    text = decode_segment(chunk) if decode else chunk
    if text is None or "\x00" in text:
        raise PatternError(f"{chunk!r} decodes to NUL or to invalid UTF-8")
    return text


def _segment(tokens: list[_Token], context: str) -> Segment:
    """One segment from its tokens; more than one wildcard in it is refused."""
    wild = [index for index, token in enumerate(tokens) if token.wild]
    if not wild:
        return Segment("".join(token.text for token in tokens))
    if len(wild) > 1:
        raise PatternError(
            f"{context!r}: at most one placeholder or '*' per segment"
            " (write '/:a/:b', not '/:a-:b')"
        )
    at = wild[0]
    prefix = "".join(token.text for token in tokens[:at])
    return Segment(prefix, tokens[at].text, "".join(token.text for token in tokens[at + 1 :]))


def _check_wildcards(segments: tuple[Segment, ...]) -> None:
    """At most one splat; each placeholder name once (`:splat` counts as the splat's name)."""
    names = [SPLAT if segment.wild == "*" else segment.wild for segment in segments]
    names = [name for name in names if name]
    if sum(segment.wild == "*" for segment in segments) > 1:
        raise PatternError("at most one '*' per pattern")
    for name in names:
        if names.count(name) > 1:
            raise PatternError(f"placeholder ':{name}' appears more than once")


def _match_all(
    pattern: tuple[Segment, ...], subject: Sequence[str], sep: str, captures: Captures
) -> bool:
    """Match every subject segment; the splat segment takes the run of segments in the middle."""
    splat = next((i for i, segment in enumerate(pattern) if segment.wild == "*"), -1)
    if splat < 0:
        return len(pattern) == len(subject) and all(
            segment.match_one(text, captures)
            for segment, text in zip(pattern, subject, strict=True)
        )
    head, tail = pattern[:splat], pattern[splat + 1 :]
    end = len(subject) - len(tail)
    if end < len(head) + 1:
        return False
    for segment, text in zip(head + tail, [*subject[: len(head)], *subject[end:]], strict=True):
        if not segment.match_one(text, captures):
            return False
    middle = sep.join(subject[len(head) : end])
    return _match_splat(pattern[splat], middle, captures)


def _match_splat(segment: Segment, middle: str, captures: Captures) -> bool:
    """Match the splat segment's literal ends against the middle run; the rest is `:splat`."""
    inner = len(middle) - len(segment.prefix) - len(segment.suffix)
    if inner < 0 or not (middle.startswith(segment.prefix) and middle.endswith(segment.suffix)):
        return False
    captures[SPLAT] = middle[len(segment.prefix) : len(middle) - len(segment.suffix)]
    return True


def _encode(captures: Captures, encode: Callable[[str], str]) -> None:
    """Percent-encode captured values in place."""
    for name, value in captures.items():
        captures[name] = encode(value)


def _encode_host(value: str) -> str:
    """A captured host part, made safe for a header value or URL."""
    return quote(value, safe="!*'().")
