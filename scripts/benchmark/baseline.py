"""The baseline: a plain Falcon app on waitress answering recorded bytes, with no wasm.

Usage: python scripts/benchmark/baseline.py ANSWERS.json --workers N --threads T

ANSWERS.json lists what the host answered for each project and target (status, content-type,
ETag, Cache-Control, body). The app sends exactly that, or 304 when If-None-Match names the
ETag, through the same `serve()` as `wasmhost serve`, so processes and threads match.
"""

from __future__ import annotations

import argparse
import base64
import json
from dataclasses import dataclass
from pathlib import Path

import falcon

from host.server import serve

MAX_REQUEST_BODY_BYTES = 1024 * 1024


@dataclass(frozen=True)
class Recorded:
    """One answer of the host, as the baseline repeats it."""

    status: int
    headers: dict[str, str]
    body: bytes


def load(path: Path) -> dict[tuple[str, str], Recorded]:
    """The recorded answers, keyed by (project, target)."""
    entries = json.loads(path.read_text())
    return {
        (entry["project"], entry["target"]): Recorded(
            entry["status"], entry["headers"], base64.b64decode(entry["body_base64"])
        )
        for entry in entries
    }


class Replay:
    """Falcon sink: the recorded answer for the request's project and target, or 404."""

    def __init__(self, answers: dict[tuple[str, str], Recorded]) -> None:
        self.answers = answers

    def __call__(self, req: falcon.Request, resp: falcon.Response, **_: str) -> None:
        """Send the recorded headers and body (304 when the client has this ETag)."""
        recorded = self.answers.get((req.host.split(".", 1)[0], req.relative_uri))
        if recorded is None:
            raise falcon.HTTPNotFound()
        if _client_has(recorded.headers.get("etag"), req.get_header("If-None-Match")):
            resp.status = falcon.HTTP_304
            resp.set_headers({k: v for k, v in recorded.headers.items() if k != "content-type"})
            return
        resp.set_headers(recorded.headers)
        resp.status = recorded.status
        resp.data = recorded.body


def _client_has(etag: str | None, if_none_match: str | None) -> bool:
    """True when If-None-Match lists the ETag (compared as sent)."""
    if etag is None or if_none_match is None:
        return False
    return etag in (tag.strip() for tag in if_none_match.split(","))


def create_app(answers_path: Path) -> falcon.App[falcon.Request, falcon.Response]:
    """The baseline WSGI app for one answers file."""
    app = falcon.App()
    app.add_sink(Replay(load(answers_path)), prefix="/")
    return app


def main() -> None:
    """Serve the answers file on a free loopback port and print where."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("answers", type=Path)
    parser.add_argument("--workers", type=int, required=True)
    parser.add_argument("--threads", type=int, required=True)
    args = parser.parse_args()

    def on_ready(port: int) -> None:
        """Say where the baseline listens, in the line the bench waits for."""
        print(f"baseline serving {args.answers} on http://127.0.0.1:{port}/", flush=True)

    serve(
        lambda: create_app(args.answers),
        host="127.0.0.1",
        port=0,
        workers=args.workers,
        threads=args.threads,
        max_request_body_size=MAX_REQUEST_BODY_BYTES,
        on_ready=on_ready,
    )


if __name__ == "__main__":
    main()
