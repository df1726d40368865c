"""Domain errors, raised deep in the host and mapped to HTTP in one place (`host.web.errors`)."""


class WasmhostError(Exception):
    """Base of every error the host raises on purpose."""


class DeployError(WasmhostError):
    """A deployment was refused; nothing of it was kept."""


class InvalidWorker(DeployError):
    """The uploaded component does not compile or does not implement the world."""


class ProjectNotFound(WasmhostError):
    """No project is deployed under that id."""


class BadRequest(WasmhostError):
    """A control-plane request is malformed (its JSON, a parameter)."""


class VersionNotFound(WasmhostError):
    """The project keeps no version with that number."""


class InvalidProjectId(WasmhostError):
    """A project id is not of the form `[a-z0-9][a-z0-9-]{0,62}`."""


class GuestError(WasmhostError):
    """The guest failed while handling a request; details go to the log only."""


class GuestTrapped(GuestError):
    """The guest trapped: an uncaught exception, an abort or a bad memory access."""


class GuestTimedOut(GuestError):
    """The guest ran past its CPU deadline."""


class GuestWallClockExceeded(GuestError):
    """The request took longer than its wall-clock limit (waiting included)."""


class GuestOverBudget(GuestError):
    """The guest made the host hold more for one request than its memory budget allows."""


class GuestBadResponse(GuestError):
    """The guest returned a response the host cannot send (bad status, header or body)."""


class WorkerUnavailable(WasmhostError):
    """A deployed worker no longer compiles or loads in this host (say, after an upgrade)."""


class SecretsUnreadable(WorkerUnavailable):
    """A sealed secret does not open with this host's key (another key file, or tampering)."""


class ProjectBusy(WasmhostError):
    """The project already has its share of the host's capacity in progress."""


class ProjectOverMemory(ProjectBusy):
    """The project's instances already reserve its whole memory budget in this process."""


class StorageBusy(WasmhostError):
    """The database stayed locked by another writer for longer than the host waits."""


class StorageUnavailable(StorageBusy):
    """The database server could not be reached (or dropped the connection mid-query)."""


class RequestTooLarge(WasmhostError):
    """The request body is larger than the host accepts."""


class Unauthorized(WasmhostError):
    """The deploy API was called without the right bearer token."""


class ApiDisabled(WasmhostError):
    """The deploy API is off because the host has no token configured."""
