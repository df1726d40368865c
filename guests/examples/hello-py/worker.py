"""hello-py: answers /api/* itself and serves everything else from the project's assets."""

import re
from urllib.parse import parse_qs, urlsplit

from workers import Response

MAX_BYTES = 1024 * 1024


async def fetch(request, env):
    """Handle one request."""
    url = urlsplit(request.url)
    if url.path == "/api/bytes":
        return zeros(parse_qs(url.query).get("size", [""])[0])
    if url.path.startswith("/api/"):
        return Response.json({"hello": "world"})
    return await env.ASSETS.fetch(request)


def zeros(size):
    """`size` zero bytes made by the worker (400 unless size is 0 to 1 MiB)."""
    if re.fullmatch(r"[0-9]{1,7}", size) is None or int(size) > MAX_BYTES:
        return Response("size must be a number of bytes up to 1048576\n", status=400)
    return Response(bytes(int(size)), headers={"content-type": "application/octet-stream"})
