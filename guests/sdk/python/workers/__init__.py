"""wasmhost's Python guest SDK: a Workers-like API for a guest's `worker.py`.

`worker.py` defines `async def fetch(request, env)` (a plain `def` works too) that returns
a `Response`; `await env.ASSETS.fetch(request)` serves the project's static files.

One instance of the worker serves many requests in turn: module-level state (a counter, a
cache) persists between them, as on Workers; bodies do not. A body that stays in the host
(`request.body`, an asset's `response.body`) and `env` belong to their request: used in a
later request (read, unless already read in its own, or sent in a Response or Request),
they raise RequestEndedError. Keep the bytes instead: `data = await response.bytes()`.
"""

from .body import HostBody
from .env import Assets, Env
from .fetch import FetchError, fetch
from .form import File, MultiDict
from .headers import Headers
from .kv import KVError, KVNamespace, WithMetadata
from .request import Request
from .response import Response
from .scope import RequestEndedError

__all__ = [
    "Assets",
    "Env",
    "FetchError",
    "File",
    "Headers",
    "HostBody",
    "KVError",
    "KVNamespace",
    "MultiDict",
    "Request",
    "RequestEndedError",
    "Response",
    "WithMetadata",
    "fetch",
]
