"""`_redirects`: redirects and rewrites by URL pattern, with Cloudflare's syntax and limits.

Each rule is one line, `source destination [status]`, tokens separated by white space;
a token from the third on that starts with `#` begins a comment. `source` is a path
pattern (see `patterns`; no host). `destination` is a path or an `https://` URL and may
use the source's `:placeholders` and `:splat` (unknown `:names` stay as written).
`status` is 301, 302 (the default), 303, 307 or 308 for a redirect, or 200 for a rewrite:
the request is answered with the asset at `destination` (a path) while the URL the client
sees does not change. At most `MAX_STATIC` static rules (no wildcards) and `MAX_DYNAMIC`
dynamic ones; a static rule after the first dynamic one counts as dynamic. Each line at
most `MAX_LINE` characters.

Matching runs before asset lookup, on the decoded request path: static rules by lookup,
then dynamic rules in file order; the first match wins, so for a repeated source the
top-most rule applies. A redirect's `Location` keeps the destination's query, or else the
request's; a relative destination has runs of `/` collapsed (no `//host` open redirects).
Rewrites do not chain: the destination is looked up as an asset, not matched again.

Refused at deploy: a rewrite to an absolute URL; a redirect that would loop (its
destination, or the path `html_handling` redirects that destination to, matches its own
source, e.g. `/a /a.html 301` or `/docs /docs/index.html 301` in `drop-trailing-slash`);
and, as Cloudflare's parser drops them ("Infinite loop detected"), whatever the status:
a rule from a source ending in `/*` to an index page (destination path ending in
`/index` or `/index.html`, e.g. the SPA rule `/* /index.html 200` ported from other
hosts, which here would answer every path, `/app.js` included, with the page), and a
rule from a source ending in `/` to an index page unless `html_handling` is `none`
(`html_handling` serves a folder's index page at the folder's own path). Unlike the
model we look at the destination's path only, so `/* /index.html?v=1 200` is refused too.
Loops that depend on the uploaded files are checked in `redirectloops`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any
from urllib.parse import quote

from host.assets.paths import encode_query, resolve_request_path
from host.assets.patterns import (
    HTTPS,
    PLACEHOLDER,
    Pattern,
    PatternError,
    PatternIndex,
    parse_pattern,
    split_path,
    substitute,
)
from host.assets.rulefiles import REDIRECTS_FILE, Problems, rule_lines

MAX_STATIC = 2000
MAX_DYNAMIC = 100
MAX_LINE = 1000
REWRITE = 200
DEFAULT_STATUS = 302
STATUSES = frozenset({200, 301, 302, 303, 307, 308})

# Printable ASCII but space and backslash stay as written in a destination.
_DESTINATION_SAFE = "".join(chr(c) for c in range(0x21, 0x7F) if chr(c) != "\\")
_SLASHES = re.compile(r"/{2,}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_INDEX_PAGE = re.compile(r"/index(\.html)?\Z")
_SPA_HINT = (
    "for a single-page app deploy with `--not-found-handling single-page-application`"
    " (option not_found_handling)"
)


class RuleError(ValueError):
    """One redirect rule is not usable; the message says why."""


@dataclass(frozen=True)
class RedirectRule:
    """`source` → `destination` with `status` (200: rewrite)."""

    source: Pattern
    destination: str
    status: int = DEFAULT_STATUS
    line: int = 0

    def to_json(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "from": self.source.text,
            "line": self.line,
            "status": self.status,
            "to": self.destination,
        }


@dataclass(frozen=True)
class RuleMatch:
    """A matching rule's status and its destination with the captures filled in."""

    status: int
    target: str

    @property
    def is_rewrite(self) -> bool:
        """Whether the asset at `target` answers in place of a redirect."""
        return self.status == REWRITE

    def location(self, query: str) -> str:
        """The `Location` of a redirect, given the request's raw query."""
        rest, hash_, fragment = self.target.partition("#")
        path, question, own_query = rest.partition("?")
        if not path.startswith(HTTPS):
            path = _SLASHES.sub("/", path)
        if not question:
            extra = encode_query(query)
            own_query, question = extra, "?" if extra else ""
        return f"{path}{question}{own_query}{hash_}{fragment}"

    def rewrite_path(self) -> str | None:
        """The decoded asset path a rewrite serves (None: it cannot name an asset)."""
        return resolve_request_path(self.target.partition("#")[0].partition("?")[0])


@dataclass(frozen=True)
class RedirectRules:
    """Every rule of a `_redirects` file, in file order, with static ones indexed."""

    rules: tuple[RedirectRule, ...] = ()
    _static: Mapping[str, RedirectRule] = field(init=False, repr=False, compare=False)
    _dynamic: PatternIndex[RedirectRule] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        """Index the static rules that precede the first dynamic one."""
        static: dict[str, RedirectRule] = {}
        dynamic: list[RedirectRule] = []
        for rule in self.rules:
            literal = rule.source.literal_path
            if literal is not None and not dynamic:
                static.setdefault(literal, rule)
            else:
                dynamic.append(rule)
        object.__setattr__(self, "_static", MappingProxyType(static))
        object.__setattr__(self, "_dynamic", PatternIndex(dynamic, lambda rule: rule.source))

    def __bool__(self) -> bool:
        """Whether there is any rule."""
        return bool(self.rules)

    def match(self, path: str) -> RuleMatch | None:
        """The first rule matching the decoded request `path`, with captures substituted."""
        rule = self._static.get(path)
        if rule is not None:
            return RuleMatch(rule.status, rule.destination)
        segments = split_path(path)
        for rule in self._dynamic.candidates(segments):
            captures = rule.source.match(segments)
            if captures is not None:
                return RuleMatch(rule.status, substitute(rule.destination, captures))
        return None

    def to_json(self) -> list[dict[str, Any]]:
        """JSON-ready form."""
        return [rule.to_json() for rule in self.rules]

    @classmethod
    def from_json(cls, raw: object) -> RedirectRules:
        """Rules stored by `to_json`, checked again; `RuleError` if anything is off."""
        if not isinstance(raw, list):
            raise RuleError("redirect rules are not a list")
        return cls(tuple(_rule_from_json(item) for item in raw))


NO_REDIRECT_RULES = RedirectRules()


def make_rule(source: str, destination: str, status: int, line: int = 0) -> RedirectRule:
    """A checked rule (destination normalised); `RuleError` says what is wrong."""
    try:
        pattern = parse_pattern(source)
    except PatternError as error:
        raise RuleError(str(error)) from None
    if status not in STATUSES:
        raise RuleError(f"status must be 200, 301, 302, 303, 307 or 308, not {status}")
    target = normalize_destination(destination)
    if status == REWRITE and not target.startswith("/"):
        raise RuleError("a rewrite (200) must point to a path on this site")
    return RedirectRule(pattern, target, status, line)


def normalize_destination(text: str) -> str:
    """A destination, checked and with anything not printable ASCII percent-encoded."""
    if _CONTROL.search(text) or " " in text:
        raise RuleError("the destination contains white space or a control character")
    if not (text.startswith("/") or text.startswith(HTTPS)):
        raise RuleError("the destination must start with '/' or 'https://'")
    if text.startswith(HTTPS) and not text[len(HTTPS) :].partition("/")[0]:
        raise RuleError("the destination URL has no host name")
    try:
        return quote(text, safe=_DESTINATION_SAFE, errors="strict")
    except UnicodeEncodeError:
        raise RuleError("the destination is not valid text") from None


def _rule_from_json(raw: object) -> RedirectRule:
    """One stored rule, checked like a parsed one."""
    if not isinstance(raw, dict):
        raise RuleError("a redirect rule is not an object")
    source, target, status, line = (raw.get(k) for k in ("from", "to", "status", "line"))
    if not (isinstance(source, str) and isinstance(target, str)):
        raise RuleError("a redirect rule lacks its source or destination")
    if type(status) is not int or type(line) is not int:
        raise RuleError("a redirect rule lacks its status or line")
    rule = make_rule(source, target, status, line)
    if rule.destination != target:
        raise RuleError(f"stored destination {target!r} is not normalised")
    return rule


def parse_redirects_file(text: str, html_handling: str = "auto-trailing-slash") -> RedirectRules:
    """Parse a `_redirects` file; `InvalidRuleFile` lists every bad line and broken limit."""
    problems = Problems(REDIRECTS_FILE)
    rules: list[RedirectRule] = []
    static = dynamic = 0
    for number, line, stripped in rule_lines(text):
        if len(line) > MAX_LINE:
            problems.add(number, f"longer than {MAX_LINE} characters")
            continue
        try:
            rule = _parse_line(stripped, number, html_handling)
        except RuleError as error:
            problems.add(number, str(error))
            continue
        if rule.source.literal_path is not None and not dynamic:
            static += 1
            if static == MAX_STATIC + 1:
                problems.add(number, f"more than {MAX_STATIC} static redirects")
        else:
            dynamic += 1
            if dynamic == MAX_DYNAMIC + 1:
                problems.add(number, f"more than {MAX_DYNAMIC} dynamic redirects")
        rules.append(rule)
    problems.raise_if_any()
    return RedirectRules(tuple(rules))


def _parse_line(text: str, number: int, html_handling: str) -> RedirectRule:
    """One rule line (not blank, not a comment)."""
    tokens = text.split()
    comment = next((i for i, token in enumerate(tokens) if i >= 2 and token.startswith("#")), None)
    tokens = tokens[:comment]
    if len(tokens) not in (2, 3):
        raise RuleError(f"expected 'source destination [status]', got {len(tokens)} parts")
    status = DEFAULT_STATUS
    if len(tokens) == 3:
        if not (tokens[2].isascii() and tokens[2].isdigit() and len(tokens[2]) == 3):
            raise RuleError(f"status must be 200, 301, 302, 303, 307 or 308, not {tokens[2]}")
        status = int(tokens[2])
    rule = make_rule(tokens[0], tokens[1], status, number)
    _check_index_rule(rule, html_handling)
    _check_loop(rule, html_handling)
    return rule


def _check_index_rule(rule: RedirectRule, html_handling: str) -> None:
    """Refuse `…/* → …/index(.html)` always and `…/ → …/index(.html)` with HTML handling."""
    target = rule.destination
    path = target.partition("#")[0].partition("?")[0]
    if not target.startswith("/") or not _INDEX_PAGE.search(path):
        return
    source = rule.source.text
    if source.endswith("/*"):
        raise RuleError(
            f"{source} -> {target} sends every path under it, files included, to that page"
            f" (Cloudflare drops this rule as an infinite loop); {_SPA_HINT} instead"
        )
    if source.endswith("/") and html_handling != "none":
        raise RuleError(
            f"{source} -> {target}: html_handling already serves a folder's index page at"
            " the folder's path and redirects the page there (Cloudflare drops this rule as"
            f" an infinite loop); remove the rule, or {_SPA_HINT}"
        )


def _check_loop(rule: RedirectRule, html_handling: str) -> None:
    """Refuse a redirect whose destination (or its HTML alias) matches its own source."""
    target = rule.destination
    if rule.status == REWRITE or not target.startswith("/") or PLACEHOLDER.search(target):
        return
    path = resolve_request_path(_SLASHES.sub("/", target.partition("#")[0].partition("?")[0]))
    if path is None:
        return
    for candidate in (path, *html_aliases(path, html_handling)):
        if rule.source.match(split_path(candidate)) is not None:
            raise RuleError(
                f"redirect loop: {target} leads back to a path this rule redirects ({candidate})"
            )


def html_aliases(path: str, html_handling: str) -> list[str]:
    """Paths `html_handling` may redirect a request for `path` to."""
    if html_handling == "none":
        return []
    drop = html_handling == "drop-trailing-slash"
    force = html_handling == "force-trailing-slash"
    for ending in ("/index.html", "/index"):
        if path.endswith(ending):
            stem = path[: -len(ending)]
            return [stem or "/"] if drop else [stem + "/"]
    if path.endswith(".html"):
        stem = path[: -len(".html")]
        return [stem + "/"] if force else [stem]
    return []
