"""The first request after a restart: stop the host, start it again, time one request."""

from __future__ import annotations

from .deploys import first_request_ms
from .examples import Example
from .processes import Server
from .servers import start_wasmhost
from .session import Session


def first_after_restart(session: Session, host: Server, example: Example) -> tuple[float, Server]:
    """Stop `host`, start it again; the first `/api/hello`'s time and the new host."""
    session.processes.stop(host)
    restarted = start_wasmhost(session)
    return first_request_ms(restarted.port, example, example.project), restarted
