"""What `wasmhost deploy [DIR]` deploys: the project folder's config file, overridden by flags.

Given a folder, its config file (`host.project_config`) names the project, the entry module
or built component, the assets folder and their options; flags given on the command line win,
and settings given nowhere keep the active version's values (`host.deploy`). A folder with an
entry module but no built component is built first (`wasmhost build`, cached). Variables
(`vars`) and KV namespaces given in the file or as flags replace the active version's; given
nowhere, they are kept.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from host.bundle import Bundle
from host.errors import WasmhostError
from host.project_config import ProjectConfig, find_config, read_config


class TargetError(WasmhostError):
    """What to deploy cannot be worked out from the folder and the flags."""


@dataclass(frozen=True)
class Asked:
    """What the command line gave (None: not given)."""

    folder: Path | None = None
    project: str | None = None
    worker: Path | None = None
    assets: Path | None = None
    options: Mapping[str, str] = field(default_factory=dict)
    limits: Mapping[str, int] = field(default_factory=dict)
    vars: Mapping[str, str] = field(default_factory=dict)
    kv_namespaces: Mapping[str, str] = field(default_factory=dict)
    outbound_hosts: tuple[str, ...] = ()


@dataclass(frozen=True)
class Target:
    """What to deploy, and notes for the user about the config file."""

    project: str
    worker: Path
    assets: Path | None
    options: Mapping[str, str]
    limits: Mapping[str, int]
    vars: dict[str, str] | None = None  # None: given nowhere, keep the active version's
    kv_namespaces: dict[str, str] | None = None  # likewise
    outbound_hosts: list[str] | None = None  # likewise
    notes: tuple[str, ...] = ()

    def fill(self, bundle: Bundle) -> None:
        """Put what the target gives of the guest's env into the bundle read for it."""
        bundle.vars = self.vars
        bundle.kv_namespaces = self.kv_namespaces
        bundle.outbound_hosts = self.outbound_hosts


@contextmanager
def deploy_target(asked: Asked) -> Iterator[Target]:
    """The target for `asked`; a component built for it lives until the block ends."""
    config = _config(asked)
    project = asked.project or (config.name if config else None)
    if project is None:
        where = f"{config.path.name} has no name" if config else "no project config file"
        raise TargetError(f"which project? {where}: give --project ID")
    with _worker(asked, config) as worker:
        yield Target(
            project=project,
            worker=worker,
            assets=asked.assets or (config.assets if config else None),
            options={**(config.asset_options if config else {}), **asked.options},
            limits={**(config.limits if config else {}), **asked.limits},
            vars=_merged(config.vars if config else None, asked.vars),
            kv_namespaces=_merged(config.kv_namespaces if config else None, asked.kv_namespaces),
            outbound_hosts=_hosts(config.outbound_hosts if config else None, asked.outbound_hosts),
            notes=_notes(config),
        )


def _config(asked: Asked) -> ProjectConfig | None:
    """The config file of the folder given (or of the current one), read; None without one
    when --worker says what to deploy."""
    folder = asked.folder or Path(".")
    if not folder.is_dir():
        raise TargetError(f"{folder} is not a folder: give the project's folder")
    found = find_config(folder)
    if found is None:
        if asked.worker is None and not _has_entry(folder):
            raise TargetError(
                f"nothing to deploy in {folder}: add a wasmhost.toml (or wrangler.toml), or give"
                " --worker FILE.wasm"
            )
        return None
    return read_config(found)


@contextmanager
def _worker(asked: Asked, config: ProjectConfig | None) -> Iterator[Path]:
    """The component to deploy: given, named by the config, or built from the folder."""
    given = asked.worker or (config.worker if config else None)
    if given is not None:
        yield given
        return
    from host.guest_build import BuildError, build_guest

    folder = config.path.parent if config else (asked.folder or Path("."))
    with tempfile.TemporaryDirectory(prefix="wasmhost-build-") as scratch:
        out = Path(scratch) / "worker.wasm"
        try:
            build_guest(folder, out, main=config.main if config else None)
        except BuildError as error:
            raise TargetError(f"the build failed: {error}") from None
        yield out


def _merged(
    from_file: Mapping[str, str] | None, from_flags: Mapping[str, str]
) -> dict[str, str] | None:
    """The config file's table with the flags' over it; None if neither gives any."""
    if from_file is None and not from_flags:
        return None
    return {**(from_file or {}), **from_flags}


def _hosts(from_file: list[str] | None, from_flags: tuple[str, ...]) -> list[str] | None:
    """The config file's outbound hosts and the flags' together; None if neither gives any."""
    if from_file is None and not from_flags:
        return None
    return [*(from_file or []), *from_flags]


def _has_entry(folder: Path) -> bool:
    """Whether the folder holds an entry module `wasmhost build` recognises."""
    from host.guest_build import BUILDERS

    return any((folder / entry).is_file() for cls in BUILDERS for entry in cls.entries)


def _notes(config: ProjectConfig | None) -> tuple[str, ...]:
    """What the user should know about the config file read."""
    if config is None:
        return ()
    notes = [f"using {config.path}"]
    if config.ignored:
        notes.append(f"not used by wasmhost in {config.path.name}: {', '.join(config.ignored)}")
    return tuple(notes)
