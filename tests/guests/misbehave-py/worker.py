"""misbehave-py: a test guest that fails on purpose, one way per path."""

import asyncio
import os
import socket
import sys
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from workers import FetchError, Headers, KVError, Request, RequestEndedError, Response
from workers import fetch as fetch_from
from workers.body import HostBody

# Module-level state: a warm instance keeps it between the requests it serves.
served_count = 0
kept_request = None


async def fetch(request, env, ctx):
    """Route by path; anything unknown goes to the assets."""
    url = urlsplit(request.url)
    if url.path == "/wait-until":
        return wait_until(ctx)
    route = ROUTES.get(url.path)
    if route is None:
        return await env.ASSETS.fetch(request)
    return await route(request, env, parse_qs(url.query))


async def ok(request, env, query):
    """A healthy answer."""
    return Response("misbehave is fine", headers={"x-guest": "misbehave-py"})


async def env_vars(request, env, query):
    """The deployment's variables and secrets, as JSON (every name of env but ASSETS and KV)."""
    found = {name: getattr(env, name) for name in dir(env)}
    return Response.json({name: value for name, value in found.items() if isinstance(value, str)})


async def concurrently(request, env, query):
    """Three sleeps at once on the request's event loop, and a task: how long they took."""

    async def part(name, delay):
        await asyncio.sleep(delay)
        return name

    started = time.monotonic()
    names = await asyncio.gather(part("a", 0.2), part("b", 0.2), part("c", 0))
    task = asyncio.create_task(part("d", 0))
    together = time.monotonic() - started < 0.35
    return Response(f"{','.join(names)} {await task} together={together}")


async def form(request, env, query):
    """The form posted (urlencoded or multipart) and the query, as JSON."""
    fields = await request.form_data()
    shown = {
        name: [v if isinstance(v, str) else f"{v.filename}:{v.content_type}:{v.size}"
               for v in fields.get_all(name)]
        for name in fields
    }  # fmt: skip
    return Response.json({"form": shown, "page": request.query.get("page"), "path": request.path})


def wait_until(ctx):
    """Answer at once; a ctx.wait_until() task says in the log that it finished."""

    async def later():
        await asyncio.sleep(0.05)
        print("the wait_until task finished")

    ctx.wait_until(later())
    return Response("answered")


async def outbound(request, env, query):
    """fetch() the URL in ?url=: its status and body, or the error it raised (caught here)."""
    try:
        response = await fetch_from(query["url"][0], method="POST", body=b"from the guest")
        return Response(f"{response.status} {await response.text()}")
    except FetchError as error:
        return Response(f"FetchError: {error}", status=502)


async def kv(request, env, query):
    """One KV operation, as JSON {op, binding, key, value, type, options}: its result, or its
    error (the same protocol as misbehave-js, with Workers' option names)."""
    asked = await request.json()
    namespace = env.get(asked.get("binding", "NOTES"))
    if namespace is None:
        return Response.json({"error": f"no binding {asked.get('binding')}"})
    op, key, options = asked["op"], asked.get("key"), asked.get("options") or {}
    try:
        if op == "raw":
            return Response(await namespace.get(key, type="bytes"))
        if op == "get":
            found = await namespace.get_with_metadata(key, asked.get("type", "text"))
            return Response.json({"result": {"value": found.value, "metadata": found.metadata}})
        if op == "put":
            value = asked.get("value")
            await namespace.put(
                key,
                value,
                expiration=options.get("expiration"),
                expiration_ttl=options.get("expirationTtl"),
                metadata=options.get("metadata"),
            )
            return Response.json({"result": None})
        if op == "delete":
            await namespace.delete(key)
            return Response.json({"result": None})
        page = await namespace.list(
            options.get("prefix", ""), options.get("cursor"), options.get("limit", 1000)
        )
        return Response.json({"result": page})
    except KVError as error:
        return Response.json({"error": str(error)})


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


# Attacks on the host's time, threads and memory (tests/e2e/test_attack_*.py and the attack
# rows of scripts/bench); misbehave-js has the same routes.


async def sleep(request, env, query):
    """Sleeps `seconds` in a WASI wait (`time.sleep`), then answers."""
    seconds = float(query.get("seconds", ["1"])[0])
    time.sleep(seconds)
    return Response(f"slept {seconds:g} s")


async def headers_bomb(request, env, query):
    """Returns `count` empty header fields: a tiny guest that makes the host lift a huge list."""
    count = int(query.get("count", ["700000"])[0])
    return Response("bomb", headers=Headers._trusted([("", "")] * count))


async def asset_refetch(request, env, query):
    """Fetches the asset at `path` `times` times and reads one byte of each."""
    path, times = query.get("path", ["/big.bin"])[0], int(query.get("times", ["1"])[0])
    first = b""
    for _ in range(times):
        body = (await env.ASSETS.fetch(path)).body
        if not isinstance(body, HostBody):
            return Response(f"{path} has no body in the host", status=500)
        first = body.host().body_read(body.handle, 0, 1)
    return Response(f"read one byte of {times} copies: {first.hex()}")


async def asset_buffer(request, env, query):
    """Fetches the asset at `path` `times` times and reads every byte of each (keeping none)."""
    path, times = query.get("path", ["/big.bin"])[0], int(query.get("times", ["1"])[0])
    total = 0
    for _ in range(times):
        total += len(await (await env.ASSETS.fetch(path)).bytes())
    return Response(f"read {total} bytes")


async def big(request, env, query):
    """A body of `bytes` bytes made by the guest (it reaches the host in chunks)."""
    size = int(query.get("bytes", ["0"])[0])
    return Response(bytes(size), headers={"content-type": "application/octet-stream"})


async def recurse(request, env, query):
    """Recurses without end, Python's recursion limit raised out of the way."""
    sys.setrecursionlimit(1_000_000_000)
    return Response(str(_deeper(0)))


def _deeper(depth):
    """One more frame, forever."""
    return _deeper(depth + 1) + 1


async def forge(request, env, query):
    """Names body `handle`, which the host never gave it: `how` is read, append or send."""
    handle = int(query.get("handle", ["999999"])[0])
    how = query.get("how", ["read"])[0]
    forged = HostBody(handle, env.ASSETS._scope)
    if how == "send":
        return Response(forged)
    if how == "append":
        forged.host().body_append(handle, b"x")
        return Response("appended")
    return Response(forged.host().body_read(handle, 0, 16))


async def probe(request, env, query):
    """Tries the network: a TCP connection to 127.0.0.1:`port` and a DNS lookup."""
    port = int(query.get("port", ["80"])[0])
    attempts = {
        "connect": lambda: socket.create_connection(("127.0.0.1", port), timeout=1).close(),
        "dns": lambda: socket.getaddrinfo("localhost", port),
    }
    seen = {}
    for name, attempt in attempts.items():
        try:
            seen[name] = f"allowed: {attempt()!r}"
        except Exception as error:
            seen[name] = f"refused: {type(error).__name__}"
    return Response.json(seen)


ROUTES = {
    "/env": env_vars,
    "/kv": kv,
    "/async": concurrently,
    "/form": form,
    "/outbound": outbound,
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
    "/sleep": sleep,
    "/headers-bomb": headers_bomb,
    "/asset-refetch": asset_refetch,
    "/asset-buffer": asset_buffer,
    "/big": big,
    "/recurse": recurse,
    "/forge": forge,
    "/probe": probe,
}
