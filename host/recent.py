"""The last requests and errors of each project, for the control page, over every worker.

Each worker keeps, per project, its last requests and its last failed ones (status 5xx) in
memory, and once a second, when they changed, writes them to `recent-PID.json` in the folder
the workers share (`wasmhost serve`'s metrics folder). The page reads every worker's file and
merges them by time. Without a shared folder (the app in another server) a page shows what its
own process saw.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
from collections import OrderedDict, deque
from pathlib import Path
from typing import Any

PER_PROJECT = 20  # requests, and errors, kept per project
PROJECTS = 1000  # projects kept, least recently active dropped
PUBLISH_SECONDS = 1.0
Entry = dict[str, Any]


class RecentRequests:
    """Recent requests by project: recorded here, published for (and read from) every worker."""

    def __init__(self, folder: Path | None) -> None:
        self._folder = folder
        self._projects: OrderedDict[str, tuple[deque[Entry], deque[Entry]]] = OrderedDict()
        self._lock = threading.Lock()
        self._changed = False
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def add(self, project: str, entry: Entry) -> None:
        """Remember one request of `project` (and among its errors, if it failed)."""
        with self._lock:
            kept = self._projects.get(project)
            if kept is None:
                kept = self._projects[project] = (
                    deque(maxlen=PER_PROJECT),
                    deque(maxlen=PER_PROJECT),
                )
                if len(self._projects) > PROJECTS:
                    self._projects.popitem(last=False)
            self._projects.move_to_end(project)
            kept[0].append(entry)
            if entry["status"] >= 500:
                kept[1].append(entry)
            self._changed = True

    def of(self, project: str) -> tuple[list[Entry], list[Entry]]:
        """The project's latest requests and errors over every worker, newest first."""
        requests: list[Entry] = []
        errors: list[Entry] = []
        for snapshot in self._snapshots():
            kept = snapshot.get(project, {})
            requests += kept.get("requests", [])
            errors += kept.get("errors", [])
        return _latest(requests), _latest(errors)

    def start(self) -> RecentRequests:
        """Publish this worker's entries once a second (when there is a shared folder)."""
        if self._folder is not None:
            self._thread = threading.Thread(target=self._run, name="wasmhost-recent", daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        """Publish a last time and stop."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._publish()

    def _snapshots(self) -> list[dict[str, Any]]:
        """Every worker's published entries (this one's from memory)."""
        found = [self._own()]
        if self._folder is None:
            return found
        own = self._path(os.getpid())
        for path in self._folder.glob("recent-*.json"):
            if path != own:
                with contextlib.suppress(OSError, ValueError):
                    found.append(json.loads(path.read_text()))
        return found

    def _own(self) -> dict[str, dict[str, list[Entry]]]:
        """This process's entries, as they are published."""
        with self._lock:
            return {
                project: {"requests": list(requests), "errors": list(errors)}
                for project, (requests, errors) in self._projects.items()
            }

    def _run(self) -> None:
        """Publish when changed, once a second, until stopped."""
        while not self._stop.wait(PUBLISH_SECONDS):
            if self._changed:
                self._publish()

    def _publish(self) -> None:
        """Write this worker's entries to its file, atomically."""
        if self._folder is None:
            return
        self._changed = False
        path = self._path(os.getpid())
        partial = path.with_suffix(".partial")
        with contextlib.suppress(OSError):
            partial.write_text(json.dumps(self._own()))
            partial.replace(path)

    def _path(self, pid: int) -> Path:
        """The file of worker `pid`."""
        assert self._folder is not None
        return self._folder / f"recent-{pid}.json"


def forget_worker(folder: Path, pid: int) -> None:
    """Remove an exited worker's file."""
    with contextlib.suppress(FileNotFoundError):
        (folder / f"recent-{pid}.json").unlink()


def _latest(entries: list[Entry]) -> list[Entry]:
    """The newest `PER_PROJECT` entries, newest first."""
    return sorted(entries, key=lambda entry: entry["time"], reverse=True)[:PER_PROJECT]
