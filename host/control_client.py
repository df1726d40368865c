"""What the CLI manages projects through: a local database, or a running host's API.

Both answer with the same JSON-ready views (`host.projects`), so every command behaves alike
with `--db` and with `--url`; failures are `ControlError`s carrying the API's error code.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlsplit

from host.bundle import Bundle, Reuse
from host.config import Settings
from host.env_vars import check_name
from host.errors import WasmhostError
from host.progress import QUIET, Progress
from host.runtime.loader import sha256_hex
from host.storage.projects import check_project_id
from host.upload import pack
from host.web.errors import api_message, error_code

TIMEOUT_SECONDS = 600  # a deploy may compile for a while


class ControlError(WasmhostError):
    """A control-plane call failed; `code` is the API's error code (`project_not_found`, …)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class Control(Protocol):
    """The project operations the CLI offers."""

    def close(self) -> None:
        """Release what the control holds."""
        ...

    def projects(self) -> list[dict[str, Any]]:
        """Every project's active version."""
        ...

    def project(self, project_id: str) -> dict[str, Any]:
        """One project: active version, files, versions kept, created."""
        ...

    def versions(self, project_id: str) -> list[dict[str, Any]]:
        """The kept versions, oldest first, each marked active or not."""
        ...

    def rollback(self, project_id: str, version: int) -> dict[str, Any]:
        """Switch to a kept version; the version now active."""
        ...

    def delete(self, project_id: str) -> None:
        """Delete the project and everything it stored."""
        ...

    def secrets(self, project_id: str) -> list[str]:
        """The names of the active version's secrets."""
        ...

    def put_secret(self, project_id: str, name: str, value: str) -> dict[str, Any]:
        """Set a secret; the new version."""
        ...

    def delete_secret(self, project_id: str, name: str) -> dict[str, Any]:
        """Remove a secret; the new version."""
        ...


class LocalControl:
    """The operations straight on a database file."""

    def __init__(self, settings: Settings) -> None:
        from host.services import Services

        self._services = Services.create(settings)

    def close(self) -> None:
        """Stop the engine's ticker."""
        self._services.close()

    def projects(self) -> list[dict[str, Any]]:
        """Every project's active version."""
        from host.projects import list_projects

        with _as_control_errors():
            return list_projects(self._services)

    def project(self, project_id: str) -> dict[str, Any]:
        """One project."""
        from host.projects import show_project

        with _as_control_errors():
            return show_project(self._services, project_id)

    def versions(self, project_id: str) -> list[dict[str, Any]]:
        """The kept versions."""
        from host.projects import list_project_versions

        with _as_control_errors():
            return list_project_versions(self._services, project_id)

    def rollback(self, project_id: str, version: int) -> dict[str, Any]:
        """Switch to a kept version."""
        from host.deploy import rollback
        from host.projects import describe

        with _as_control_errors():
            return describe(rollback(self._services, project_id, version))

    def delete(self, project_id: str) -> None:
        """Delete the project."""
        from host.deploy import delete

        with _as_control_errors():
            delete(self._services, project_id)

    def secrets(self, project_id: str) -> list[str]:
        """The names of the active version's secrets."""
        from host.project_secrets import secret_names

        with _as_control_errors():
            return secret_names(self._services, project_id)

    def put_secret(self, project_id: str, name: str, value: str) -> dict[str, Any]:
        """Set a secret; the new version."""
        from host.project_secrets import put_secret
        from host.projects import describe

        with _as_control_errors():
            return describe(put_secret(self._services, project_id, name, value))

    def delete_secret(self, project_id: str, name: str) -> dict[str, Any]:
        """Remove a secret; the new version."""
        from host.project_secrets import delete_secret
        from host.projects import describe

        with _as_control_errors():
            return describe(delete_secret(self._services, project_id, name))


class RemoteControl:
    """The operations through a running host's API (`--url`, `--token`)."""

    def __init__(self, url: str, token: str) -> None:
        self.url = checked_url(url)
        self._token = token

    def close(self) -> None:
        """Nothing to release."""

    def projects(self) -> list[dict[str, Any]]:
        """Every project's active version."""
        return list(self.call("GET", "/v1/projects")["projects"])

    def project(self, project_id: str) -> dict[str, Any]:
        """One project."""
        return dict(self.call("GET", _project_path(project_id)))

    def versions(self, project_id: str) -> list[dict[str, Any]]:
        """The kept versions."""
        return list(self.call("GET", _project_path(project_id, "/versions"))["versions"])

    def rollback(self, project_id: str, version: int) -> dict[str, Any]:
        """Switch to a kept version."""
        body = json.dumps({"version": version}).encode()
        return dict(self.call("POST", _project_path(project_id, "/rollback"), body))

    def delete(self, project_id: str) -> None:
        """Delete the project."""
        self.call("DELETE", _project_path(project_id))

    def secrets(self, project_id: str) -> list[str]:
        """The names of the active version's secrets."""
        return list(self.call("GET", _project_path(project_id, "/secrets"))["secrets"])

    def put_secret(self, project_id: str, name: str, value: str) -> dict[str, Any]:
        """Set a secret; the new version."""
        body = json.dumps({"value": value}).encode()
        return dict(self.call("PUT", _secret_path(project_id, name), body))

    def delete_secret(self, project_id: str, name: str) -> dict[str, Any]:
        """Remove a secret; the new version."""
        return dict(self.call("DELETE", _secret_path(project_id, name)))

    def deploy(
        self,
        project_id: str,
        bundle: Bundle,
        options: Mapping[str, str],
        progress: Progress = QUIET,
    ) -> tuple[dict[str, Any], Sent]:
        """Upload only what the project lacks (asked first), then deploy; what was sent."""
        query = urllib.parse.urlencode(options)
        path = _project_path(project_id, "/deployments") + (f"?{query}" if query else "")
        reuse = self._reusable(project_id, bundle)
        try:
            result = self._send(path, bundle, reuse, progress)
        except ControlError as error:
            if error.code != "reused_part_gone":
                raise
            reuse = None  # pruned between asking and deploying: send everything
            result = self._send(path, bundle, reuse, progress)
        return dict(result), Sent.of(bundle, reuse)

    def _send(self, path: str, bundle: Bundle, reuse: Reuse | None, progress: Progress) -> Any:
        """POST the bundle without the parts `reuse` names, reporting it as one step."""
        sent = Sent.of(bundle, reuse).describe()
        with progress.step(f"sending {sent}; the host checks and compiles it"):
            return self.call("POST", path, pack(bundle, reuse), "application/gzip")

    def _reusable(self, project_id: str, bundle: Bundle) -> Reuse | None:
        """The parts of `bundle` the project stores already (None: the host cannot tell)."""
        hashes = {path: sha256_hex(data) for path, data in bundle.files.items()}
        worker = sha256_hex(bundle.worker)
        body = json.dumps({"worker": worker, "files": sorted(set(hashes.values()))}).encode()
        try:
            lacking = self.call("POST", _project_path(project_id, "/missing"), body)
        except ControlError as error:
            if error.code in ("not_found", "http_404"):  # a host from before uploads could skip
                return None
            raise
        missing = set(lacking["files"])
        stored = {path: sha for path, sha in hashes.items() if sha not in missing}
        return Reuse(None if lacking["worker"] else worker, stored)

    def call(
        self, method: str, path: str, body: bytes | None = None, content_type: str | None = None
    ) -> Any:
        """Send one request with the token; its JSON answer (None when empty)."""
        headers = {"Authorization": f"Bearer {self._token}"}
        if body is not None:
            headers["Content-Type"] = content_type or "application/json"
        request = urllib.request.Request(self.url + path, body, headers, method=method)
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
                raw = response.read()
        except urllib.error.HTTPError as error:
            raise _api_error(error) from None
        except (urllib.error.URLError, OSError) as error:
            reason = getattr(error, "reason", error)
            raise ControlError("unreachable", f"cannot reach {self.url}: {reason}") from None
        return json.loads(raw) if raw else None


@dataclass(frozen=True)
class Sent:
    """What an upload carried: files and bytes sent, of how many files in all."""

    files: int
    bytes: int
    total_files: int
    worker: bool

    def describe(self) -> str:
        """`the worker and 3 of 1000 files, 1.2 MB`."""
        with_worker = "the worker and " if self.worker else ""
        return f"{with_worker}{self.files} of {self.total_files} files, {self.bytes / 1e6:.1f} MB"

    @classmethod
    def of(cls, bundle: Bundle, reuse: Reuse | None) -> Sent:
        """What packing `bundle` without the parts `reuse` names sends."""
        skipped = reuse.files if reuse else {}
        sent = [data for path, data in bundle.files.items() if path not in skipped]
        worker = reuse is None or reuse.worker_sha256 is None
        size = sum(map(len, sent)) + (len(bundle.worker) if worker else 0)
        return cls(len(sent), size, len(bundle.files), worker)


def _project_path(project_id: str, rest: str = "") -> str:
    """The API path of a project's resource; the id is checked here, before anything is sent."""
    try:
        check_project_id(project_id)
    except WasmhostError as error:
        raise ControlError("invalid_project_id", str(error)) from None
    return f"/v1/projects/{project_id}{rest}"


def _secret_path(project_id: str, name: str) -> str:
    """The API path of a project's secret; the name is checked here, before anything is sent."""
    try:
        check_name(name, "secret")
    except WasmhostError as error:
        raise ControlError("usage", str(error)) from None
    return _project_path(project_id, f"/secrets/{name}")


def checked_url(url: str) -> str:
    """`url` without a trailing slash; a ControlError if it lacks `http://` or `https://`."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ControlError(
            "bad_url", f"--url needs a scheme and a host, such as http://{url.split('://')[-1]}"
        )
    return url.rstrip("/")


def _api_error(error: urllib.error.HTTPError) -> ControlError:
    """The API's JSON error as a ControlError (or what the answer said, if not JSON)."""
    text = error.read().decode("utf-8", "replace").strip()
    try:
        found = json.loads(text)["error"]
        return ControlError(str(found["code"]), str(found["message"]))
    except (ValueError, KeyError, TypeError):
        return ControlError(f"http_{error.code}", f"{error.code}: {text or error.reason}")


@contextmanager
def _as_control_errors() -> Iterator[None]:
    """Domain errors raised locally, named by the code the API would give them."""
    try:
        yield
    except ControlError:
        raise
    except WasmhostError as error:
        raise ControlError(error_code(type(error)), api_message(error)) from None


def local_or_remote(db: str | None, url: str | None, token: str | None) -> Control:
    """The control for `--db` (default) or `--url` with `--token`."""
    if url is None:
        settings = Settings.load(db=db)
        if settings.db_path is not None and not settings.db_path.is_file():
            message = f"no database at {settings.db}: give --db PATH (or WASMHOST_DB), or --url"
            raise ControlError("usage", message)
        return LocalControl(settings)
    if db is not None:
        raise ControlError("usage", "give either --db or --url, not both")
    if not token:
        raise ControlError("usage", "--url needs --token (or WASMHOST_TOKEN)")
    return RemoteControl(url, token)
