"""wasmhost's Python guest SDK: a Workers-like API for a guest's `worker.py`.

`worker.py` defines `async def fetch(request, env)` (a plain `def` works too) that returns
a `Response`; `await env.ASSETS.fetch(request)` serves the project's static files.
"""

from .body import HostBody
from .env import Assets, Env
from .headers import Headers
from .request import Request
from .response import Response

__all__ = ["Assets", "Env", "Headers", "HostBody", "Request", "Response"]
