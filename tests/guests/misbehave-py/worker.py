"""misbehave-py: a test guest that fails on purpose, one way per path."""

import os
import sys
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from workers import Headers, Request, RequestEndedError, Response

# Module-level state: a warm instance keeps it between the requests it serves.
served_count = 0
kept_request = None


async def fetch(request, env):
    """Route by path; anything unknown goes to the assets."""
    url = urlsplit(request.url)
    route = ROUTES.get(url.path)
    if route is None:
        return await env.ASSETS.fetch(request)
    return await route(request, env, parse_qs(url.query))


async def ok(request, env, query):
    """A healthy answer."""
    return Response("misbehave is fine", headers={"x-guest": "misbehave-py"})


async def trap(request, env, query):
    """An uncaught exception."""
    raise RuntimeError("boom from the guest")


async def loop(request, env, query):
    """Never returns."""
    n = 0
    while True:
        n += 1


async def alloc(request, env, query):
    """Allocates until the memory cap stops it."""
    hoard = []
    while True:
        hoard.append(bytearray(1 << 20))


async def flood(request, env, query):
    """Writes far more output than the host keeps."""
    line = "x" * 1000
    for i in range(2000):
        print(f"flood {i} {line}")
    return Response("flooded")


async def echo(request, env, query):
    """Sends the request body back, with what the guest saw."""
    body = await request.bytes()
    headers = {"x-method": request.method, "x-url": request.url, "x-length": str(len(body))}
    return Response(body, headers=headers)


async def asset(request, env, query):
    """Asks the asset binding for any URL the test names (isolation tests)."""
    target = query.get("url", ["/"])[0]
    return await env.ASSETS.fetch(Request(target, headers=request.headers))


async def sandbox(request, env, query):
    """Reports what the sandbox lets the guest see of files, environment and arguments."""
    seen = {"environ": dict(os.environ), "argv": sys.argv[1:]}
    for name, probe in (
        ("listdir", lambda: os.listdir("/")),
        ("open", lambda: Path("/etc/passwd").read_text()),
    ):
        try:
            seen[name] = probe()
        except OSError as error:
            seen[name] = f"refused: {type(error).__name__}"
    return Response.json(seen)


async def headers(request, env, query):
    """Sends headers a host must not pass on as they are.

    Each `add=name:value` adds one more header; `status` sets the status (default 200).
    """
    sent = Headers()
    sent.append("set-cookie", "wide=1; Domain=localhost; Path=/")
    sent.append("set-cookie", "own=2; Domain=misbehave-headers.localhost; Path=/")
    sent.append("keep-alive", "timeout=5")
    sent.append("content-type", "text/plain")
    sent.append("content-type", "text/html")
    for field in query.get("add", []):
        name, _, value = field.partition(":")
        sent.append(name, value)
    status = int(query.get("status", ["200"])[0])
    return Response(None if status in (204, 304) else "headers", status=status, headers=sent)


async def inject(request, env, query):
    """Reads an asset and changes it, the usual HTML-rewriting pattern."""
    target = query.get("url", ["/"])[0]
    asset = await env.ASSETS.fetch(Request(target, headers=request.headers))
    text = await asset.text()
    return Response(text.upper(), status=asset.status, headers={"x-length": str(len(text))})


async def output(request, env, query):
    """Prints `text` once to stdout and once to stderr (output capture per request)."""
    text = query.get("text", [""])[0]
    print(text)
    print(text, file=sys.stderr)
    return Response("printed")


async def state_count(request, env, query):
    """Counts the requests this instance served here: module state persists between them."""
    global served_count
    served_count += 1
    return Response(str(served_count))


async def state_keep(request, env, query):
    """Keeps the request (its body still in the host) in module state for a later request."""
    global kept_request
    kept_request = request
    return Response("kept")


async def state_replay(request, env, query):
    """Sends back the kept request's body: the SDK refuses, as it belongs to an ended request."""
    return Response(kept_request.body)


async def state_replay_read(request, env, query):
    """Reads the kept request's body; answers 409 with the SDK's refusal."""
    try:
        text = await kept_request.text()
    except RequestEndedError as error:
        return Response(str(error), status=409)
    return Response(text)


ROUTES = {
    "/output": output,
    "/state/count": state_count,
    "/state/keep": state_keep,
    "/state/replay": state_replay,
    "/state/replay-read": state_replay_read,
    "/inject": inject,
    "/headers": headers,
    "/sandbox": sandbox,
    "/ok": ok,
    "/trap": trap,
    "/loop": loop,
    "/alloc": alloc,
    "/flood": flood,
    "/echo": echo,
    "/asset": asset,
}
