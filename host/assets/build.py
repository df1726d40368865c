"""Deploy-time work on an upload's files: everything a request should never have to do.

`build_assets` takes the uploaded files (pathname to bytes) and the project's options and
returns what the deployment stores: the manifest, the files to serve (without `_headers`
and `_redirects`, which become rules in the manifest and are never served) and their
compressed variants. Every step is linear in the upload's size; compression is bounded
as `compress` explains, rule files by their line and rule limits, and the redirect-loop
check (`redirectloops`, which needs the files) by a few lookups per static rule.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from host.assets.compress import Known, compress_files
from host.assets.headerrules import NO_HEADER_RULES, HeaderRules, parse_headers_file
from host.assets.manifest import Manifest, build_asset_manifest
from host.assets.options import DEFAULT_OPTIONS, AssetOptions
from host.assets.redirectloops import check_redirect_loops
from host.assets.redirectrules import NO_REDIRECT_RULES, RedirectRules, parse_redirects_file
from host.assets.rulefiles import HEADERS_FILE, REDIRECTS_FILE, RULE_FILES, decode_rule_file


@dataclass(frozen=True)
class BuiltAssets:
    """What a deployment stores for its assets."""

    manifest: Manifest
    files: Mapping[str, bytes]
    variants: Mapping[str, Mapping[str, bytes]]


def build_assets(
    files: Mapping[str, bytes], options: AssetOptions = DEFAULT_OPTIONS, known: Known | None = None
) -> BuiltAssets:
    """Parse the rule files, compress what is worth it (`known` gives variants an earlier
    version made), describe every served file."""
    served = {path: data for path, data in files.items() if path not in RULE_FILES}
    header_rules = _header_rules(files)
    redirect_rules = _redirect_rules(files, options)
    by_path = compress_files(served, known)
    manifest = build_asset_manifest(served, by_path, header_rules, redirect_rules)
    check_redirect_loops(manifest, options)
    return BuiltAssets(manifest, served, _by_encoding(by_path))


def _header_rules(files: Mapping[str, bytes]) -> HeaderRules:
    """The rules of `/_headers`, if the upload has one."""
    data = files.get(HEADERS_FILE)
    if data is None:
        return NO_HEADER_RULES
    return parse_headers_file(decode_rule_file(HEADERS_FILE, data))


def _redirect_rules(files: Mapping[str, bytes], options: AssetOptions) -> RedirectRules:
    """The rules of `/_redirects`, if the upload has one."""
    data = files.get(REDIRECTS_FILE)
    if data is None:
        return NO_REDIRECT_RULES
    text = decode_rule_file(REDIRECTS_FILE, data)
    return parse_redirects_file(text, options.html_handling)


def _by_encoding(by_path: Mapping[str, Mapping[str, bytes]]) -> dict[str, dict[str, bytes]]:
    """Regroup variants as encoding to pathname to bytes, the way they are stored."""
    grouped: dict[str, dict[str, bytes]] = {}
    for path, variants in by_path.items():
        for encoding, data in variants.items():
            grouped.setdefault(encoding, {})[path] = data
    return grouped
