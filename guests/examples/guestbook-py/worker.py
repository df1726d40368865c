"""guestbook-py: a page (public/), an API over a KV namespace, and a variable.

GET /api/entries    the title (env.TITLE) and the newest entries
POST /api/entries   {"name": "...", "message": "..."}: signs the book (201), or 400 and why
"""

import json
import secrets
import time
from datetime import UTC, datetime

from workers import Response

MAX_NAME = 40
MAX_MESSAGE = 500
SHOWN = 50
NEWEST_FIRST = 10**13  # keys sort by this minus the time in ms: the newest first


async def fetch(request, env):
    """Serve the API; everything else is the page and its files."""
    if request.path == "/api/entries":
        if request.method == "POST":
            return await sign(request, env)
        return await entries(env)
    if request.path.startswith("/api/"):
        return Response.json({"error": "no such API"}, status=404)
    return await env.ASSETS.fetch(request)


async def entries(env):
    """The title and the newest entries."""
    page = await env.ENTRIES.list(prefix="entry/", limit=SHOWN)
    found = [await env.ENTRIES.get(key["name"], type="json") for key in page["keys"]]
    return Response.json({"title": env.TITLE, "entries": [e for e in found if e]})


async def sign(request, env):
    """Check the entry, store it, answer it (201)."""
    try:
        asked = await request.json()
    except ValueError:
        return Response.json({"error": 'send JSON: {"name": ..., "message": ...}'}, status=400)
    name = str(asked.get("name", "")).strip() if isinstance(asked, dict) else ""
    message = str(asked.get("message", "")).strip() if isinstance(asked, dict) else ""
    if not 1 <= len(name) <= MAX_NAME or not 1 <= len(message) <= MAX_MESSAGE:
        limits = f"a name of 1 to {MAX_NAME} characters and a message of 1 to {MAX_MESSAGE}"
        return Response.json({"error": f"write {limits}"}, status=400)
    entry = {
        "name": name,
        "message": message,
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    key = f"entry/{NEWEST_FIRST - time.time_ns() // 1_000_000:013d}-{secrets.token_hex(4)}"
    await env.ENTRIES.put(key, json.dumps(entry))
    return Response.json(entry, status=201)
