"""`_headers`: custom response headers by URL pattern, with Cloudflare's syntax and limits.

```
# comment
/secure/page
  X-Frame-Options: DENY
  ! X-Content-Type-Options
https://:sub.example.com/*
  X-Robots-Tag: noindex
```
A line starting with `/` or `scheme://` starts a rule (its pattern: see `patterns`; only
`https://` URLs are allowed). The lines under it are `Name: value` (the value may use the
pattern's `:placeholders` and `:splat`) or `! Name` to remove a header. A rule must have at
least one of them. At most `MAX_RULES` rules; each line at most `MAX_LINE` characters.

Applying (per request, rules in file order, every matching rule): a rule first removes its
`! Name`s, then sets its headers; the first rule to set a name replaces the default value,
later ones add to it (joined with `, `; `Set-Cookie` lines stay separate). Names within a
rule that repeat are joined the same way. Which answers rules change, and which fields
they may not touch there (a redirect never gets a Content-Type or Cache-Control), is the
handler's choice (`fixed` names in `HeaderRules.apply`).

**Stricter than the model**, so that every answer stays correct and sendable:
- headers that decide how the body is framed or which representation it is cannot be set
  or removed (`PROTECTED`: Content-Length, Content-Encoding, Content-Range, ETag, Vary,
  Location, hop-by-hop fields); the host sets them itself;
- names must be HTTP tokens; values ISO-8859-1 text without control characters;
- all rules together set at most `MAX_NAMES` distinct headers and `MAX_TEXT` bytes.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from host.assets.patterns import (
    Pattern,
    PatternError,
    PatternIndex,
    parse_pattern,
    split_path,
    substitute,
)
from host.assets.rulefiles import HEADERS_FILE, Problems, rule_lines

Headers = tuple[tuple[str, str], ...]

MAX_RULES = 100
MAX_LINE = 2000
MAX_NAMES = 100
MAX_TEXT = 48 * 1024
UNSET = "! "
PROTECTED = frozenset(
    {"content-length", "content-encoding", "content-range", "transfer-encoding", "etag",
     "vary", "location", "connection", "keep-alive", "proxy-connection", "te", "trailer",
     "upgrade"}
)  # fmt: skip

_STARTS_RULE = re.compile(r"\S+://|/")
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+", re.ASCII)
_BAD_VALUE = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
_SEPARATE = frozenset({"set-cookie"})


class RuleError(ValueError):
    """One header rule or line is not usable; the message says why."""


@dataclass(frozen=True)
class HeaderRule:
    """One `_headers` block: a pattern, headers to set, headers to remove."""

    pattern: Pattern
    set: tuple[tuple[str, str], ...] = ()
    unset: tuple[str, ...] = ()
    line: int = 0

    def to_json(self) -> dict[str, Any]:
        """JSON-ready form (the pattern as written)."""
        pairs = [list(pair) for pair in self.set]
        return {
            "line": self.line,
            "pattern": self.pattern.text,
            "set": pairs,
            "unset": list(self.unset),
        }


@dataclass(frozen=True)
class HeaderRules:
    """Every rule of a `_headers` file, in file order."""

    rules: tuple[HeaderRule, ...] = ()
    _index: PatternIndex[HeaderRule] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        """Index the rules by the first segment of their pattern."""
        object.__setattr__(self, "_index", PatternIndex(self.rules, lambda rule: rule.pattern))

    def __bool__(self) -> bool:
        """Whether there is any rule."""
        return bool(self.rules)

    def apply(
        self, headers: Headers, path: str, host: str = "", fixed: frozenset[str] = frozenset()
    ) -> Headers:
        """`headers` changed by every rule matching the decoded `path` (and `host`).

        Names in `fixed` are neither set nor removed: the answer keeps its own (or none).
        """
        if not self.rules:
            return headers
        segments = split_path(path)
        result = list(headers)
        seen: set[str] = set()
        for rule in self._index.candidates(segments):
            captures = rule.pattern.match(segments, host)
            if captures is None:
                continue
            result = [(n, v) for n, v in result if n not in rule.unset or n in fixed]
            for name, template in rule.set:
                if name in fixed:
                    continue
                _put(result, name, substitute(template, captures), replace=name not in seen)
                seen.add(name)
        return tuple(result)

    def to_json(self) -> list[dict[str, Any]]:
        """JSON-ready form."""
        return [rule.to_json() for rule in self.rules]

    @classmethod
    def from_json(cls, raw: object) -> HeaderRules:
        """Rules stored by `to_json`, checked again; `RuleError` if anything is off."""
        if not isinstance(raw, list):
            raise RuleError("header rules are not a list")
        return cls(tuple(_rule_from_json(item) for item in raw))


NO_HEADER_RULES = HeaderRules()


def _put(result: list[tuple[str, str]], name: str, value: str, replace: bool) -> None:
    """Set (replace) or add to one header in a list of fields."""
    if replace:
        result[:] = [(n, v) for n, v in result if n != name]
    for index, (existing, old) in enumerate(result):
        if existing == name and name not in _SEPARATE:
            result[index] = (name, f"{old}, {value}")
            return
    result.append((name, value))


def check_name(name: str) -> str:
    """A header name, lower-cased, if a rule may set or remove it."""
    if not _TOKEN.fullmatch(name):
        raise RuleError(f"{name!r} is not a valid header name")
    lowered = name.lower()
    if lowered in PROTECTED:
        raise RuleError(f"{name} is set by the host and cannot be changed in _headers")
    return lowered


def check_value(value: str) -> str:
    """A header value, if it can be sent as it is."""
    if _BAD_VALUE.search(value):
        raise RuleError("the header value contains a control character")
    try:
        value.encode("latin-1")
    except UnicodeEncodeError:
        raise RuleError("the header value is not ISO-8859-1 text (percent-encode it)") from None
    return value


def _rule_from_json(raw: object) -> HeaderRule:
    """One stored rule, checked like a parsed one."""
    if not isinstance(raw, dict):
        raise RuleError("a header rule is not an object")
    line, pattern, pairs, unset = (raw.get(k) for k in ("line", "pattern", "set", "unset"))
    if type(line) is not int or not isinstance(pattern, str):
        raise RuleError("a header rule lacks its line or pattern")
    if not isinstance(pairs, list) or not isinstance(unset, list):
        raise RuleError("a header rule lacks its set or unset list")
    try:
        compiled = parse_pattern(pattern, allow_host=True)
    except PatternError as error:
        raise RuleError(str(error)) from None
    rule = HeaderRule(compiled, tuple(_pair(item) for item in pairs), _names(unset), line)
    if not (rule.set or rule.unset):
        raise RuleError("a header rule sets and removes nothing")
    return rule


def _pair(raw: object) -> tuple[str, str]:
    """One stored (name, value) pair, checked."""
    if not (isinstance(raw, list) and len(raw) == 2 and all(isinstance(x, str) for x in raw)):
        raise RuleError("a header pair is not [name, value]")
    name, value = raw
    if check_name(name) != name:
        raise RuleError(f"stored header name {name!r} is not lower-case")
    return name, check_value(value)


def _names(raw: Sequence[object]) -> tuple[str, ...]:
    """Stored names to remove, checked."""
    names = tuple(item for item in raw if isinstance(item, str))
    if len(names) != len(raw) or any(check_name(name) != name for name in names):
        raise RuleError("names to remove must be lower-case header names")
    return names


@dataclass
class _Block:
    """A rule being read."""

    pattern: Pattern
    line: int
    set: list[tuple[str, str]]
    unset: list[str]
    lines: int = 0

    def finish(self) -> HeaderRule:
        """The finished rule."""
        return HeaderRule(self.pattern, tuple(self.set), tuple(self.unset), self.line)


def parse_headers_file(text: str) -> HeaderRules:
    """Parse a `_headers` file; `InvalidRuleFile` lists every bad line."""
    problems = Problems(HEADERS_FILE)
    blocks: list[_Block] = []
    current: _Block | None = None
    for number, line, stripped in rule_lines(text):
        if len(line) > MAX_LINE:
            problems.add(number, f"longer than {MAX_LINE} characters")
        elif _STARTS_RULE.match(stripped):
            current = _start(stripped, number, len(blocks), problems)
            if current is not None:
                blocks.append(current)
        else:
            _header_line(current, stripped, number, problems)
    for block in blocks:
        if not block.lines:
            problems.add(block.line, "the rule has no headers under it")
    rules = HeaderRules(tuple(block.finish() for block in blocks))
    _check_totals(rules, problems)
    problems.raise_if_any()
    return rules


def _start(text: str, number: int, count: int, problems: Problems) -> _Block | None:
    """A new rule from its pattern line, or None (problem noted)."""
    if count >= MAX_RULES:
        problems.add(number, f"more than {MAX_RULES} rules")
        return None
    try:
        return _Block(parse_pattern(text, allow_host=True), number, [], [])
    except PatternError as error:
        problems.add(number, str(error))
        return None


def _header_line(block: _Block | None, text: str, number: int, problems: Problems) -> None:
    """Add one `Name: value` or `! Name` line to the current rule."""
    try:
        if block is None:
            raise RuleError("expected a path starting with '/' before any header")
        block.lines += 1
        if ":" not in text:
            if not text.startswith(UNSET):
                raise RuleError("expected 'Name: value' or '! Name'")
            block.unset.append(check_name(text[len(UNSET) :].strip()))
            return
        raw_name, _, raw_value = text.partition(":")
        name, value = check_name(raw_name.strip()), check_value(raw_value.strip())
        if not value:
            raise RuleError(f"no value for {raw_name.strip()}")
        _put(block.set, name, value, replace=False)
    except RuleError as error:
        problems.add(number, str(error))


def _check_totals(rules: HeaderRules, problems: Problems) -> None:
    """All rules together stay within `MAX_NAMES` headers and `MAX_TEXT` bytes."""
    names = {name for rule in rules.rules for name, _ in rule.set}
    size = sum(len(name) + len(value) for rule in rules.rules for name, value in rule.set)
    if len(names) > MAX_NAMES:
        problems.add(None, f"the rules set more than {MAX_NAMES} different headers")
    if size > MAX_TEXT:
        problems.add(None, f"the rules set more than {MAX_TEXT} bytes of headers in total")
