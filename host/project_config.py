"""A project's config file: `wasmhost.toml`, or a Workers user's `wrangler.toml`,
`wrangler.jsonc` or `wrangler.json`, read into one `ProjectConfig`.

The keys read are those a Workers project uses for what wasmhost does: `name`, `main`,
`assets.directory`, `assets.html_handling`, `assets.not_found_handling` and `vars`;
`wasmhost.toml` may also name a built component (`worker`) and tighter `limits`. Other
wrangler keys are listed in `ignored` (the CLI says so); in `wasmhost.toml` an unknown key is
an error. Paths are relative to the file's folder.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from host.errors import WasmhostError

WASMHOST_FILE = "wasmhost.toml"
WRANGLER_FILES = ("wrangler.toml", "wrangler.jsonc", "wrangler.json")
ASSET_KEYS = ("directory", "html_handling", "not_found_handling")
WASMHOST_KEYS = frozenset(
    {"name", "main", "worker", "assets", "vars", "kv_namespaces", "outbound_hosts", "limits"}
)
WRANGLER_KEYS = frozenset({"name", "main", "assets", "vars", "kv_namespaces"})


class ConfigError(WasmhostError):
    """A project config file cannot be used as it is."""


@dataclass(frozen=True)
class ProjectConfig:
    """What a project's config file says, paths resolved against its folder."""

    path: Path
    name: str | None = None
    main: Path | None = None  # the entry module to build
    worker: Path | None = None  # a built component
    assets: Path | None = None
    asset_options: Mapping[str, str] = field(default_factory=dict)
    vars: Mapping[str, str] | None = None  # None: the file has no `vars` table
    kv_namespaces: Mapping[str, str] | None = None  # binding → namespace; None: not given
    outbound_hosts: list[str] | None = None  # hosts the guest may fetch from; None: not given
    limits: Mapping[str, int] = field(default_factory=dict)
    ignored: tuple[str, ...] = ()  # wrangler keys wasmhost does not use


def find_config(folder: Path) -> Path | None:
    """The config file in `folder`: `wasmhost.toml` first, then wrangler's; None if none."""
    for name in (WASMHOST_FILE, *WRANGLER_FILES):
        if (folder / name).is_file():
            return folder / name
    return None


def read_config(path: Path) -> ProjectConfig:
    """Parse and check one config file."""
    document = _load(path)
    ours = path.name == WASMHOST_FILE
    unknown = sorted(set(document) - (WASMHOST_KEYS if ours else WRANGLER_KEYS))
    if ours and unknown:
        raise ConfigError(f"{path.name}: unknown key {unknown[0]!r}")
    assets = _table(path, document, "assets")
    unknown_assets = sorted(set(assets) - set(ASSET_KEYS))
    if ours and unknown_assets:
        raise ConfigError(f"{path.name}: unknown key 'assets.{unknown_assets[0]}'")
    folder = path.parent
    return ProjectConfig(
        path=path,
        name=_text(path, document, "name"),
        main=_path(folder, _text(path, document, "main")),
        worker=_path(folder, _text(path, document, "worker")),
        assets=_path(folder, _text(path, assets, "directory", "assets.directory")),
        asset_options={
            key: value
            for key in ("html_handling", "not_found_handling")
            if (value := _text(path, assets, key, f"assets.{key}")) is not None
        },
        vars=_vars(_table(path, document, "vars")) if "vars" in document else None,
        kv_namespaces=_kv(path, document["kv_namespaces"]) if "kv_namespaces" in document else None,
        outbound_hosts=_hosts(path, document.get("outbound_hosts")),
        limits=_limits(path, _table(path, document, "limits")),
        ignored=(*unknown, *(f"assets.{key}" for key in unknown_assets)),
    )


def _load(path: Path) -> dict[str, Any]:
    """The file's top-level table, as TOML or JSON with comments."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"cannot read {path}: {error}") from None
    try:
        document = tomllib.loads(text) if path.suffix == ".toml" else json.loads(strip_jsonc(text))
    except (tomllib.TOMLDecodeError, ValueError) as error:
        raise ConfigError(f"{path.name} is not valid: {error}") from None
    if not isinstance(document, dict):
        raise ConfigError(f"{path.name}: expected a table of settings at the top")
    return document


def _table(path: Path, document: Mapping[str, Any], key: str) -> dict[str, Any]:
    """A sub-table (empty if absent)."""
    value = document.get(key, {})
    if not isinstance(value, dict):
        raise ConfigError(f"{path.name}: {key} must be a table of settings")
    return value


def _text(path: Path, table: Mapping[str, Any], key: str, label: str = "") -> str | None:
    """A string setting, or None if absent."""
    value = table.get(key)
    if value is not None and not isinstance(value, str):
        raise ConfigError(f"{path.name}: {label or key} must be a string")
    return value


def _path(folder: Path, value: str | None) -> Path | None:
    """A path setting resolved against the config file's folder."""
    return None if value is None else folder / value


def _vars(table: Mapping[str, Any]) -> dict[str, str]:
    """`vars`: names to strings (other JSON values as their JSON text, as wrangler does)."""
    return {
        str(name): value if isinstance(value, str) else json.dumps(value)
        for name, value in table.items()
    }


def _kv(path: Path, entries: object) -> dict[str, str]:
    """`kv_namespaces = [{ binding = "NAME", id = "…" }]`: binding names to namespaces (the
    binding's own name when no `id` is given; `preview_id` and the rest are not used)."""
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise ConfigError(f'{path.name}: kv_namespaces must be a list of {{ binding = "NAME" }}')
    bindings = {}
    for entry in entries:
        binding, namespace = entry.get("binding"), entry.get("id", entry.get("binding"))
        if not isinstance(binding, str) or not isinstance(namespace, str):
            raise ConfigError(f"{path.name}: every kv_namespaces entry needs a binding name")
        bindings[binding] = namespace
    return bindings


def _hosts(path: Path, value: object) -> list[str] | None:
    """`outbound_hosts = ["api.example.com", "*.example.org"]` (None if absent)."""
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(h, str) for h in value):
        raise ConfigError(f"{path.name}: outbound_hosts must be a list of host names")
    return list(value)


def _limits(path: Path, table: Mapping[str, Any]) -> dict[str, int]:
    """`limits`: names to whole numbers (checked against the host's at deploy)."""
    limits = {}
    for name, value in table.items():
        if type(value) is not int:
            raise ConfigError(f"{path.name}: limits.{name} must be a whole number")
        limits[str(name)] = value
    return limits


def strip_jsonc(text: str) -> str:
    """JSON with comments (`//`, `/* */`) and trailing commas, as plain JSON."""
    out: list[str] = []
    i, in_string = 0, False
    while i < len(text):
        char = text[i]
        if in_string:
            out.append(char)
            if char == "\\" and i + 1 < len(text):
                out.append(text[i + 1])
                i += 1
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
            out.append(char)
        elif text.startswith("//", i):
            end = text.find("\n", i)
            i = len(text) if end < 0 else end
            continue
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            if end < 0:
                raise ValueError("unterminated /* comment")
            i = end + 2
            continue
        elif char in "}]":
            _drop_trailing_comma(out)
            out.append(char)
        else:
            out.append(char)
        i += 1
    return "".join(out)


def _drop_trailing_comma(out: list[str]) -> None:
    """Remove a comma (and the blanks after it) just before a closing bracket."""
    j = len(out) - 1
    while j >= 0 and out[j].isspace():
        j -= 1
    if j >= 0 and out[j] == ",":
        del out[j]
