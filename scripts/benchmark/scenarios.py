"""The wrk scenarios: what each requests and the answer it must get before it is timed."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .client import Answer

BIG_ASSET = "bench-1mib.bin"
BIG_ASSET_BYTES = 1024 * 1024
MADE_BODY_BYTES = 64 * 1024


@dataclass(frozen=True)
class Scenario:
    """One wrk scenario: a path of the example site, the status and body it must answer."""

    key: str
    title: str
    target: str
    status: int
    body_ok: Callable[[bytes, Path], bool]
    revalidate: bool = False

    def problem(self, answer: Answer, site: Path) -> str | None:
        """Why `answer` is not the right one for this scenario, or None when it is."""
        if answer.status != self.status:
            return f"status {answer.status}, expected {self.status}: {answer.body[:200]!r}"
        if not self.body_ok(answer.body, site):
            return f"unexpected body ({len(answer.body)} bytes): {answer.body[:200]!r}"
        if self.revalidate and "etag" not in answer.headers:
            return "no ETag"
        return None


def _is_hello(body: bytes, site: Path) -> bool:
    """The example's JSON greeting (each SDK spaces it its own way)."""
    try:
        return bool(json.loads(body) == {"hello": "world"})
    except ValueError:
        return False


def _file(name: str) -> Callable[[bytes, Path], bool]:
    """A check that the body is exactly the site's file `name`."""
    return lambda body, site: body == (site / name).read_bytes()


SCENARIOS = (
    Scenario("api-hello", "`/api/hello`", "/api/hello", 200, _is_hello),
    Scenario("small-asset", "`/` (index.html) through the guest", "/", 200, _file("index.html")),
    Scenario(
        "not-modified",
        "`/` revalidated: 304",
        "/",
        304,
        lambda body, site: body == b"",
        revalidate=True,
    ),
    Scenario("asset-1mib", "1 MiB asset through the guest", f"/{BIG_ASSET}", 200, _file(BIG_ASSET)),
    Scenario(
        "body-64kib",
        "64 KiB body made by the guest",
        f"/api/bytes?size={MADE_BODY_BYTES}",
        200,
        lambda body, site: body == bytes(MADE_BODY_BYTES),
    ),
)
