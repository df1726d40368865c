"""The long-lived parts of a host process, made once from the settings."""

from __future__ import annotations

from dataclasses import dataclass

from wasmtime import Engine

from host.allocator import FreedMemory
from host.assets.file_cache import FileCache
from host.config import MIB, Settings
from host.guest_kv import open_kv_store
from host.metrics_dir import shared_folder
from host.recent import RecentRequests
from host.runtime.engine import EpochTicker, create_engine
from host.runtime.loader import Loader
from host.runtime.pool import PoolLimits
from host.runtime.sandbox import Limits, Sandbox
from host.secret_box import SecretBox
from host.storage.layout_upgrade import upgrade_layout
from host.storage.secrets import artifact_key, open_secrets_key
from host.storage.store import Store, open_store


@dataclass
class Services:
    """Storage, engine, loader and sandbox shared by the web app, the API and the CLI."""

    settings: Settings
    store: Store
    engine: Engine
    ticker: EpochTicker
    loader: Loader
    sandbox: Sandbox
    kv_store: Store  # the guests' KV namespaces (`host.guest_kv`)
    freed_memory: FreedMemory  # gives the allocator's freed memory back now and then
    recent: RecentRequests  # each project's last requests, for the control page
    secret_box: SecretBox  # seals and opens project secrets
    asset_files: FileCache  # small asset files kept in memory

    @classmethod
    def create(cls, settings: Settings) -> Services:
        """Open the database (moving projects stored in the first layout), check the secrets
        key against it, start the engine's ticker, prepare the loader and sandbox."""
        engine = create_engine()
        store = open_store(settings.db)
        upgrade_layout(store)
        key = open_secrets_key(store, settings.secrets_key_path)
        limits = Limits(
            cpu_deadline_ms=settings.cpu_deadline_ms,
            wall_clock_ms=settings.wall_clock_ms,
            memory_bytes=settings.memory_limit_mb * MIB,
            max_requests=settings.instance_max_requests,
        )
        pool = PoolLimits(
            per_project=settings.warm_instances_per_project,
            total=settings.warm_instances,
            max_rss_bytes=settings.warm_memory_mb * MIB,
            idle_seconds=settings.warm_idle_seconds,
        )
        sandbox = Sandbox(engine, limits, pool, settings.project_memory_mb * MIB)
        return cls(
            settings=settings,
            store=store,
            engine=engine,
            ticker=EpochTicker(engine).start(),
            loader=Loader(
                engine,
                settings.compiled_dir,
                artifact_key(key),
                settings.compiled_cache_size,
                disk_bytes=settings.compiled_disk_mb * MIB,
                shared=None if settings.db_path else store,  # PostgreSQL: hosts share them
            ),
            sandbox=sandbox,
            kv_store=open_kv_store(settings.db),
            freed_memory=FreedMemory().start(),
            recent=RecentRequests(shared_folder()).start(),
            secret_box=SecretBox(key),
            asset_files=FileCache(settings.asset_cache_mb * MIB),
        )

    def close(self) -> None:
        """Stop the ticker, trimming and publishing threads; let go of the database."""
        self.ticker.stop()
        self.freed_memory.stop()
        self.recent.stop()
        self.store.close()
        self.kv_store.close()
