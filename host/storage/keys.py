"""Where a project's data lives in the key-value table (the seed's layout)."""


def project_prefix(project_id: str) -> str:
    """The prefix of every key that belongs to the project."""
    return f"project/{project_id}/"


def asset_key(project_id: str, pathname: str) -> str:
    """The key of one asset file; `pathname` is decoded and starts with `/`."""
    return f"project/{project_id}/assets{pathname}"


def assets_prefix(project_id: str) -> str:
    """The prefix shared by every asset file of the project."""
    return f"project/{project_id}/assets/"


def encoded_key(project_id: str, encoding: str, pathname: str) -> str:
    """The key of a compressed variant (`encoding` such as `br`) of one asset file."""
    return f"project/{project_id}/encoded/{encoding}{pathname}"


def encoded_prefix(project_id: str) -> str:
    """The prefix shared by every compressed variant of the project's asset files."""
    return f"project/{project_id}/encoded/"


def manifest_key(project_id: str) -> str:
    """The key of the project's asset manifest."""
    return f"project/{project_id}/manifest"


def worker_key(project_id: str) -> str:
    """The key of the project's component bytes."""
    return f"project/{project_id}/worker"


def deployment_key(project_id: str) -> str:
    """The key of the row naming the project's active deployment."""
    return f"project/{project_id}/deployment"


PROJECT_INDEX = "index/project/"


def project_index_key(project_id: str) -> str:
    """The key that lists a project among all projects (its value is empty)."""
    return PROJECT_INDEX + project_id
