"""hello-py: answers /api/* itself and serves everything else from the project's assets."""

from urllib.parse import urlsplit

from workers import Response


async def fetch(request, env):
    """Handle one request."""
    if urlsplit(request.url).path.startswith("/api/"):
        return Response.json({"hello": "world"})
    return await env.ASSETS.fetch(request)
