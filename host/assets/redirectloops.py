"""Deploy-time check that no static `_redirects` rule sends clients round in circles.

Whether a redirect loops can depend on the uploaded files: with `/about.html` uploaded,
`/about /about/ 301` loops, because `html_handling` redirects `/about/` back to `/about`
(and `/docs/ /docs 301` loops the same way with `/docs/index.html`). So once the manifest
is built, each redirect rule with a literal source is followed the way a client would:
request its `Location` through `handle_asset_request`, then the next `Location`, for up to
`MAX_HOPS` requests. The deployment is refused (every such rule with its line number) when
the chain comes back to the rule's source or revisits a path. A chain that leaves the
site (`https://…`), ends in a file or a miss, or is still going after `MAX_HOPS` is fine.
Rules with wildcards or placeholders are checked by `redirectrules` against their own
pattern only: their sources stand for paths without end.
"""

from __future__ import annotations

from host.assets.handler import handle_asset_request
from host.assets.manifest import Manifest
from host.assets.options import AssetOptions
from host.assets.paths import resolve_request_path
from host.assets.redirectrules import REWRITE, RedirectRule, RuleMatch
from host.assets.rulefiles import REDIRECTS_FILE, Problems

MAX_HOPS = 10
_REDIRECTS = frozenset({301, 302, 303, 307, 308})


def check_redirect_loops(manifest: Manifest, options: AssetOptions) -> None:
    """Raise `InvalidRuleFile` listing the static redirect rules that lead into a loop."""
    problems = Problems(REDIRECTS_FILE)
    for rule in manifest.redirect_rules.rules:
        trail = _loop_of(manifest, options, rule)
        if trail:
            problems.add(rule.line, "redirect loop: " + " -> ".join(trail))
    problems.raise_if_any()


def _loop_of(manifest: Manifest, options: AssetOptions, rule: RedirectRule) -> list[str]:
    """The paths a client visits from the rule's source if they loop, else []."""
    source = rule.source.literal_path
    if source is None or rule.status == REWRITE:
        return []
    trail = [source]
    location: str | None = RuleMatch(rule.status, rule.destination).location("")
    for _ in range(MAX_HOPS):
        path = _local_path(location)
        if path is None:
            return []
        seen = path in trail
        trail.append(path)
        if seen:
            return trail
        location = _next_location(manifest, options, location or "")
    return []


def _local_path(location: str | None) -> str | None:
    """The decoded path a relative `Location` names (None: none, or another site)."""
    if location is None or not location.startswith("/") or location.startswith("//"):
        return None
    return resolve_request_path(location.partition("#")[0].partition("?")[0])


def _next_location(manifest: Manifest, options: AssetOptions, location: str) -> str | None:
    """Where a GET for `location` redirects to, if it does."""
    raw_path, _, query = location.partition("#")[0].partition("?")
    answer = handle_asset_request(manifest, "GET", raw_path, query, {}, options)
    if answer.status not in _REDIRECTS:
        return None
    return dict(answer.headers).get("location")
