"""Where a project's data lives in the key-value table.

Every deploy makes a version, and a version's parts are immutable once written, so a request
can read them without holding a transaction open, and a rollback writes one key:

    project/{id}/deployment               the active version's record (the switch)
    project/{id}/versions/{n:010d}        version n's record
    project/{id}/manifests/{n:010d}       version n's asset manifest (none without assets)
    project/{id}/files/{etag}             a file's bytes, or a compressed variant's, by ETag
    project/{id}/workers/{sha256}         a component's bytes
    index/project/{id}                    lists the project (when it was created)
    index/worker/{sha256}/{id}            the project keeps a version of this worker
    compiled/{sha256}/{fingerprint}       a compiled artifact with its MAC (PostgreSQL only:
                                          hosts share them; `host.runtime.shared_artifacts`)

This replaces the first layout (`project/{id}/assets{path}`, `project/{id}/manifest`, one
worker), in which a redeploy rewrote every file in place: serving had to hold a read
transaction for a whole request to see one version, and a rollback needed a re-upload.
Files are keyed by their ETag (a hash of their bytes), so versions share unchanged files and
a body always matches its ETag.
"""

VERSION_DIGITS = 10
PROJECT_INDEX = "index/project/"
WORKER_INDEX = "index/worker/"


def project_prefix(project_id: str) -> str:
    """The prefix of every key that belongs to the project."""
    return f"project/{project_id}/"


def deployment_key(project_id: str) -> str:
    """The key of the active version's record."""
    return f"project/{project_id}/deployment"


def versions_prefix(project_id: str) -> str:
    """The prefix of the project's version records."""
    return f"project/{project_id}/versions/"


def version_key(project_id: str, number: int) -> str:
    """The key of version `number`'s record (zero-padded, so keys sort by number)."""
    return f"{versions_prefix(project_id)}{number:0{VERSION_DIGITS}d}"


def manifest_key(project_id: str, number: int) -> str:
    """The key of version `number`'s asset manifest."""
    return f"project/{project_id}/manifests/{number:0{VERSION_DIGITS}d}"


def files_prefix(project_id: str) -> str:
    """The prefix of the project's stored file bytes."""
    return f"project/{project_id}/files/"


def file_key(project_id: str, etag: str) -> str:
    """The key of the bytes whose ETag is `etag` (quoted or not)."""
    return files_prefix(project_id) + etag.strip('"')


def workers_prefix(project_id: str) -> str:
    """The prefix of the project's stored components."""
    return f"project/{project_id}/workers/"


def worker_key(project_id: str, sha256: str) -> str:
    """The key of one of the project's components."""
    return workers_prefix(project_id) + sha256


def project_index_key(project_id: str) -> str:
    """The key that lists a project among all projects (its value: `{"created": …}`)."""
    return PROJECT_INDEX + project_id


def worker_users_prefix(sha256: str) -> str:
    """The prefix of the keys naming every project that keeps a version of a worker."""
    return f"{WORKER_INDEX}{sha256}/"


def worker_user_key(sha256: str, project_id: str) -> str:
    """The key saying that `project_id` keeps a version of the worker `sha256`."""
    return worker_users_prefix(sha256) + project_id


def compiled_prefix(sha256: str) -> str:
    """The prefix of a component's compiled artifacts, shared between hosts (PostgreSQL)."""
    return f"compiled/{sha256}/"


def compiled_key(sha256: str, fingerprint: str) -> str:
    """The key of a component's artifact compiled by engines with this fingerprint."""
    return compiled_prefix(sha256) + fingerprint
