"""Project ids: what a valid one looks like."""

import re

from host.errors import InvalidProjectId

PROJECT_ID = re.compile(r"[a-z0-9][a-z0-9-]{0,62}")


def check_project_id(project_id: str) -> str:
    """Return `project_id` if valid, else raise InvalidProjectId."""
    if not PROJECT_ID.fullmatch(project_id):
        raise InvalidProjectId(
            f"invalid project id {project_id!r}: use 1-63 characters of a-z, 0-9 and '-',"
            " starting with a letter or digit"
        )
    return project_id
