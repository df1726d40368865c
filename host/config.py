"""Settings: every knob of the host, with its default and help, in one table."""

from __future__ import annotations

import dataclasses
import ipaddress
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from host.errors import WasmhostError

MIB = 1024 * 1024


class SettingsError(WasmhostError):
    """A setting has a value the host cannot use."""


def _setting(default: Any, help: str) -> Any:
    """A dataclass field that carries its help text."""
    return field(default=default, metadata={"help": help})


@dataclass(frozen=True)
class Settings:
    """How one host process is configured; environment variables `WASMHOST_<NAME>` override."""

    db: Path = _setting(Path("wasmhost.db"), "SQLite database file holding every project.")
    base_domain: str = _setting(
        "localhost", "Requests to {project}.{base_domain} go to that project's worker."
    )
    cache_dir: Path | None = _setting(
        None, "Where compiled components are cached (default: beside the database)."
    )
    token: str | None = _setting(
        None, "Bearer token for the deploy API; without one the API is disabled."
    )
    secrets_key_file: Path | None = _setting(
        None,
        "Key that seals project secrets, kept out of the database (default: beside it, as"
        " DB.secrets-key, made on first use); every host of one database needs the same one.",
    )
    cpu_deadline_ms: int = _setting(
        1000, "How long a guest may run per request, waits not counted (a project may ask less)."
    )
    wall_clock_ms: int = _setting(
        30_000,
        "How long a request's guest may take in all, waits included (a project may ask less).",
    )
    memory_limit_mb: int = _setting(
        128, "Linear memory one instance of a guest may use (a project may ask less)."
    )
    project_concurrency: int = _setting(
        8, "Requests of one project in progress per host process; more get 503 and Retry-After."
    )
    project_memory_mb: int = _setting(
        1024,
        "Linear memory one project's instances may reserve in all per host process, serving or"
        " kept warm (each reserves its memory limit); beyond it, 503 and Retry-After.",
    )
    request_memory_mb: int = _setting(
        128, "Bytes the host holds for one request: bodies received, built, or loaded to be sent."
    )
    max_request_mb: int = _setting(32, "Largest request body passed to a guest (413 beyond).")
    max_response_mb: int = _setting(64, "Largest body a guest may build in the host.")
    max_output_kb: int = _setting(64, "Guest stdout/stderr kept in the log per request.")
    outbound_timeout_ms: int = _setting(
        10_000, "Longest an outbound request made for a guest may take (within its wall clock)."
    )
    outbound_max_mb: int = _setting(16, "Largest response body an outbound request may read.")
    outbound_trusted_networks: str = _setting(
        "",
        "Networks (CIDRs, comma-separated) guests may reach although private, e.g. 10.1.0.0/16;"
        " by default only public addresses.",
    )
    kv_quota_mb: int = _setting(
        1024, "Bytes one project may keep in its KV namespaces, keys and metadata included."
    )
    max_upload_mb: int = _setting(512, "Largest deploy upload the deploy API accepts.")
    max_file_mb: int = _setting(25, "Largest single asset file in a deployment.")
    max_files: int = _setting(20_000, "Most asset files in one deployment.")
    keep_versions: int = _setting(
        10, "Versions kept per project for rollback (with the active one); older ones are deleted."
    )
    compiled_cache_size: int = _setting(16, "Compiled components kept in memory.")
    warm_instances: int = _setting(64, "Ready instances kept per host process, all projects.")
    warm_instances_per_project: int = _setting(8, "Ready instances kept per project.")
    warm_memory_mb: int = _setting(
        1024, "Process memory (RSS) above which ready instances are dropped, oldest first."
    )
    instance_max_requests: int = _setting(
        1000, "Requests one instance serves before a fresh one replaces it."
    )

    def __post_init__(self) -> None:
        """Accept strings for path settings; refuse numbers that cannot work."""
        object.__setattr__(self, "db", Path(self.db))
        if self.cache_dir is not None:
            object.__setattr__(self, "cache_dir", Path(self.cache_dir))
        if self.secrets_key_file is not None:
            object.__setattr__(self, "secrets_key_file", Path(self.secrets_key_file))
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if f.type in ("int", int) and (not isinstance(value, int) or value < 1):
                raise SettingsError(f"{f.name} must be a whole number of at least 1, not {value!r}")
        parse_networks(self.outbound_trusted_networks)  # refuse a bad one at start-up
        if self.project_memory_mb < self.memory_limit_mb:
            raise SettingsError(
                f"project_memory_mb ({self.project_memory_mb}) must be at least memory_limit_mb"
                f" ({self.memory_limit_mb}): no instance would fit"
            )

    @property
    def compiled_dir(self) -> Path:
        """The directory for serialized compiled components."""
        if self.cache_dir is not None:
            return self.cache_dir
        return self.db.parent / (self.db.name + ".cache")

    @property
    def trusted_networks(self) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
        """`outbound_trusted_networks`, parsed."""
        return parse_networks(self.outbound_trusted_networks)

    @property
    def secrets_key_path(self) -> Path:
        """The file holding the key that seals project secrets."""
        if self.secrets_key_file is not None:
            return self.secrets_key_file
        return self.db.parent / (self.db.name + ".secrets-key")

    @classmethod
    def from_env(cls, **overrides: Any) -> Settings:
        """Defaults, then `WASMHOST_*` variables, then explicit (non-None) overrides."""
        values: dict[str, Any] = {}
        for f in dataclasses.fields(cls):
            raw = os.environ.get("WASMHOST_" + f.name.upper())
            if raw is not None:
                values[f.name] = _parse(f, raw)
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)


def parse_networks(text: str) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    """Comma-separated networks (`10.0.0.0/8, fd00::/8`); SettingsError naming a bad one."""
    networks = []
    for entry in filter(None, (e.strip() for e in text.split(","))):
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            raise SettingsError(
                f"outbound_trusted_networks: {entry!r} is not a network (write 10.0.0.0/8)"
            ) from None
    return networks


def _parse(f: dataclasses.Field[Any], raw: str) -> Any:
    """Turn an environment string into the field's type."""
    if f.type in ("int", int):
        try:
            return int(raw)
        except ValueError:
            message = f"WASMHOST_{f.name.upper()} must be a whole number, not {raw!r}"
            raise SettingsError(message) from None
    if "Path" in str(f.type):
        return Path(raw)
    return raw


def describe() -> list[tuple[str, Any, str]]:
    """Each setting's name, default and help (for `--help` text and the docs test)."""
    return [(f.name, f.default, f.metadata["help"]) for f in dataclasses.fields(Settings)]
