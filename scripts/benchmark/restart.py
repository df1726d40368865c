"""The first request after a restart: stop the host, start it again, time one request."""

from __future__ import annotations

from .deploys import first_request_ms
from .examples import Example
from .processes import Server
from .servers import start_wasmhost
from .session import Session


class Restarts:
    """The host, restarted before each sample; `host` is the one running now."""

    def __init__(self, session: Session, host: Server, example: Example) -> None:
        self.session = session
        self.host = host
        self.example = example

    def sample(self, number: int) -> float:
        """Stop the host, start it again, time the first `/api/hello` (sent once it listens)."""
        self.session.processes.stop(self.host)
        self.host = start_wasmhost(self.session)
        return first_request_ms(self.host.port, self.example, self.example.project)
