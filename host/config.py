"""Settings: every knob of the host, with its default and help, in one table."""

from __future__ import annotations

import dataclasses
import ipaddress
import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from host.errors import WasmhostError
from host.storage.store import is_url

MIB = 1024 * 1024
LOG_FORMATS = ("text", "json")
HOSTNAME = re.compile(
    r"(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?"
)
TRUTHS = {
    "1": True,
    "true": True,
    "yes": True,
    "on": True,
    "0": False,
    "false": False,
    "no": False,
    "off": False,
}
TYPE_NAMES = {
    int: "a whole number",
    float: "a number",
    bool: "true or false",
    str: "a string",
    Path: "a path (a string)",
}
HELP_HINT = "`wasmhost serve --help` for every setting"


class SettingsError(WasmhostError):
    """A setting has a value the host cannot use."""


def _setting(
    default: Any,
    help: str,
    *,
    minimum: float = 1,
    maximum: float | None = None,
    choices: tuple[str, ...] = (),
    shown: str | None = None,
) -> Any:
    """A dataclass field that carries its help text, its lowest value (numbers) or its choices,
    and how `--help` and the docs show its default (`shown`, when the value itself says little)."""
    metadata = {
        "help": help,
        "minimum": minimum,
        "maximum": maximum,
        "choices": choices,
        "shown": shown,
    }
    return field(default=default, metadata=metadata)


DB_HELP = "SQLite file or postgresql:// URL (default: wasmhost.db, or WASMHOST_DB)."


@dataclass(frozen=True)
class Settings:
    """How one host process is configured: defaults here, then a TOML file (`--config` or
    `WASMHOST_CONFIG`), then `WASMHOST_<NAME>` variables, then command-line flags."""

    db: str = _setting(
        "wasmhost.db",
        "Where every project is stored: an SQLite file, or a PostgreSQL URL"
        " (postgresql://user@host/dbname) that many hosts share.",
    )
    base_domain: str = _setting(
        "localhost", "Requests to {project}.{base_domain} go to that project's worker."
    )
    host: str = _setting("127.0.0.1", "Address `wasmhost serve` listens on.")
    port: int = _setting(
        8080, "Port `wasmhost serve` listens on (0: any free port).", minimum=0, maximum=65535
    )
    workers: int | None = _setting(
        None,
        "Worker processes sharing the socket, each with its own engine and instances"
        " (1: the serving process alone).",
        shown="the cores this process may use",
    )
    threads: int = _setting(
        32,
        "Threads per worker; keep it above project_concurrency so that one project cannot hold"
        " them all.",
    )
    grace_seconds: float = _setting(
        10.0,
        "On SIGTERM or SIGINT, how long requests in flight may take before workers are killed.",
        minimum=0,
    )
    log_level: str = _setting(
        "info", "Least severe log records written.", choices=("debug", "info", "warning", "error")
    )
    log_format: str = _setting(
        "text", "Log records as readable lines or one JSON object per line.", choices=LOG_FORMATS
    )
    access_log: bool = _setting(True, "Log one line per request.")
    request_id_header: str | None = _setting(
        None,
        "Request header a trusted proxy puts its request id in (e.g. X-Request-Id); by default"
        " each request gets a new id.",
    )
    public_metrics: bool = _setting(
        False,
        "Serve /metrics without the token (where only a trusted network reaches the control"
        " plane); by default a scraper sends the token as a bearer token.",
    )
    cache_dir: Path | None = _setting(
        None,
        "Where compiled components are cached.",
        shown="DB.cache (wasmhost.cache with PostgreSQL)",
    )
    token: str | None = _setting(
        None,
        "Bearer token for the deploy API and control page; without one they are disabled (prefer"
        " the variable or the file to the flag: flags show in process lists).",
    )
    secrets_key_file: Path | None = _setting(
        None,
        "Key that seals project secrets and signs compiled components, kept out of the database"
        " (made on first use); every host of one database needs the same one.",
        shown="DB.secrets-key (wasmhost.secrets-key with PostgreSQL)",
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
    asset_cache_mb: int = _setting(
        32,
        "Small asset files (up to 256 KiB each) kept in memory per worker process, so serving"
        " one reads no database (0: none).",
        minimum=0,
    )
    compiled_disk_mb: int = _setting(
        4096,
        "Disk space the compiled-component cache may take; beyond it the least recently used"
        " are deleted (and compiled again if asked for).",
    )
    warm_instances: int = _setting(64, "Ready instances kept per host process, all projects.")
    warm_instances_per_project: int = _setting(8, "Ready instances kept per project.")
    warm_memory_mb: int = _setting(
        1024, "Process memory (RSS) above which ready instances are dropped, oldest first."
    )
    warm_idle_seconds: float = _setting(
        60.0, "How long a ready instance may stay unused before it is dropped.", minimum=0
    )
    instance_max_requests: int = _setting(
        1000, "Requests one instance serves before a fresh one replaces it."
    )

    def __post_init__(self) -> None:
        """Take strings for paths; refuse a value the host cannot work with, naming the setting."""
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if value is not None and setting_type(f) is Path:
                object.__setattr__(self, f.name, Path(value))
            elif isinstance(value, Path):  # `db` may be given as a path
                object.__setattr__(self, f.name, str(value))
            _check(f, getattr(self, f.name))
        if not self.db:
            raise SettingsError("db must be an SQLite file's path or a postgresql:// URL")
        if not HOSTNAME.fullmatch(self.base_domain):
            raise SettingsError(
                f"base_domain must be a domain name such as example.com, not {self.base_domain!r}"
            )
        parse_networks(self.outbound_trusted_networks)  # refuse a bad one at start-up
        if self.project_memory_mb < self.memory_limit_mb:
            raise SettingsError(
                f"project_memory_mb ({self.project_memory_mb}) must be at least memory_limit_mb"
                f" ({self.memory_limit_mb}): no instance would fit"
            )

    @property
    def worker_count(self) -> int:
        """`workers`, or the cores this process may run on (its CPU affinity, where told)."""
        if self.workers is not None:
            return self.workers
        if hasattr(os, "sched_getaffinity"):
            return len(os.sched_getaffinity(0))
        return os.cpu_count() or 1

    @property
    def db_path(self) -> Path | None:
        """The SQLite database file (None when `db` is a PostgreSQL URL)."""
        return None if is_url(self.db) else Path(self.db)

    def beside_db(self, suffix: str) -> Path:
        """A file kept beside the SQLite database (`DB.suffix`), or `wasmhost.suffix` in the
        working directory with PostgreSQL."""
        stem = self.db_path or Path("wasmhost")
        return stem.parent / (stem.name + suffix)

    @property
    def compiled_dir(self) -> Path:
        """The directory for serialized compiled components."""
        if self.cache_dir is not None:
            return self.cache_dir
        return self.beside_db(".cache")

    @property
    def trusted_networks(self) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
        """`outbound_trusted_networks`, parsed."""
        return parse_networks(self.outbound_trusted_networks)

    @property
    def secrets_key_path(self) -> Path:
        """The file holding the key that seals project secrets."""
        if self.secrets_key_file is not None:
            return self.secrets_key_file
        return self.beside_db(".secrets-key")

    @classmethod
    def load(cls, config: Path | None = None, **flags: Any) -> Settings:
        """Defaults, then the TOML file `config` (or `WASMHOST_CONFIG`'s), then `WASMHOST_*`
        variables, then `flags` that were given (not None)."""
        values: dict[str, Any] = {}
        config = config or _env_path("WASMHOST_CONFIG")
        if config is not None:
            values.update(read_config_file(config))
        for f in dataclasses.fields(cls):
            name = env_name(f.name)
            raw = os.environ.get(name)
            if raw is not None:
                values[f.name] = _from_text(f, raw, name)
        values.update({k: v for k, v in flags.items() if v is not None})
        return cls(**values)


def env_name(setting: str) -> str:
    """The environment variable of a setting: `WASMHOST_CPU_DEADLINE_MS`."""
    return "WASMHOST_" + setting.upper()


def read_config_file(path: Path) -> dict[str, Any]:
    """The settings a TOML file gives, checked against the table (unknown keys refused)."""
    try:
        with open(path, "rb") as file:
            table = tomllib.load(file)
    except OSError as error:
        raise SettingsError(f"cannot read the config file {path}: {error.strerror}") from None
    except tomllib.TOMLDecodeError as error:
        raise SettingsError(f"config file {path} is not valid TOML: {error}") from None
    fields = {f.name: f for f in dataclasses.fields(Settings)}
    values = {}
    for key, value in table.items():
        f = fields.get(key)
        if f is None:
            raise SettingsError(f"config file {path}: unknown setting {key!r} (see {HELP_HINT})")
        values[key] = _from_toml(f, value, f"config file {path}: {key}")
    return values


def _env_path(name: str) -> Path | None:
    """The path an environment variable names, if it is set and not empty."""
    raw = os.environ.get(name)
    return Path(raw) if raw else None


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


def setting_type(f: dataclasses.Field[Any]) -> type:
    """The type a setting holds when set: `int | None` → int."""
    name = str(f.type).split(" | ")[0]
    return {"int": int, "float": float, "bool": bool, "Path": Path, "str": str}[name]


def _from_text(f: dataclasses.Field[Any], raw: str, source: str) -> Any:
    """A setting's value from the text of a variable or flag; `source` names it in errors."""
    kind = setting_type(f)
    if kind is bool:
        lowered = raw.strip().lower()
        if lowered not in TRUTHS:
            raise SettingsError(f"{source} must be true or false, not {raw!r}")
        return TRUTHS[lowered]
    if kind in (int, float):
        try:
            return kind(raw)
        except ValueError:
            article = "a whole number" if kind is int else "a number"
            raise SettingsError(f"{source} must be {article}, not {raw!r}") from None
    return kind(raw)


def _from_toml(f: dataclasses.Field[Any], value: Any, source: str) -> Any:
    """A setting's value from a TOML value of the right type; `source` names it in errors."""
    kind = setting_type(f)
    accepted: tuple[type, ...] = {float: (int, float), Path: (str,)}.get(kind, (kind,))
    if (isinstance(value, bool) and kind is not bool) or not isinstance(value, accepted):
        raise SettingsError(f"{source} must be {TYPE_NAMES[kind]}, not {value!r}")
    return kind(value)


def _check(f: dataclasses.Field[Any], value: Any) -> None:
    """Refuse a value out of a setting's range or choices, naming the setting."""
    kind, minimum, choices = setting_type(f), f.metadata["minimum"], f.metadata["choices"]
    if value is None and "None" in str(f.type):
        return
    if kind in (int, float) and (
        isinstance(value, bool) or not isinstance(value, (int, float)) or value < minimum
    ):
        article = "a whole number" if kind is int else "a number"
        raise SettingsError(f"{f.name} must be {article} of at least {minimum:g}, not {value!r}")
    maximum = f.metadata["maximum"]
    if maximum is not None and value > maximum:
        raise SettingsError(f"{f.name} must be at most {maximum:g}, not {value!r}")
    if kind is int and not isinstance(value, int):
        raise SettingsError(f"{f.name} must be a whole number, not {value!r}")
    if choices and value not in choices:
        raise SettingsError(f"{f.name} must be one of {', '.join(choices)}, not {value!r}")


def shown_default(f: dataclasses.Field[Any]) -> str:
    """How `--help` and the README show a setting's default."""
    if f.metadata["shown"] is not None:
        return str(f.metadata["shown"])
    if f.default is None:
        return "none"
    if isinstance(f.default, bool):
        return str(f.default).lower()
    return str(f.default) if f.default != "" else "none"


def describe() -> list[tuple[str, Any, str]]:
    """Each setting's name, default and help (for `--help` text and the docs test)."""
    return [(f.name, f.default, f.metadata["help"]) for f in dataclasses.fields(Settings)]


def settings_fields() -> tuple[dataclasses.Field[Any], ...]:
    """The settings' fields, in the table's order (flags and docs are made from them)."""
    return dataclasses.fields(Settings)
