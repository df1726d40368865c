"""A request sees one whole deployment, even while other processes redeploy the project."""

import threading
from pathlib import Path

import pytest

from host.assets.manifest import etag_for
from host.web.messages import STREAM_ABOVE_BYTES
from tests.conftest import Host


@pytest.mark.parametrize(
    "lines", [20_000, STREAM_ABOVE_BYTES // 10 + 1], ids=["sent-whole", "streamed-in-chunks"]
)
def test_body_always_matches_its_etag_during_redeploys(
    host: Host, hello_py: Path, tmp_path: Path, lines: int
) -> None:
    versions = []
    for n in range(2):
        public = tmp_path / f"v{n}"
        public.mkdir()
        (public / "data.txt").write_bytes(f"version {n}\n".encode() * lines)
        versions.append(public)
    host.deploy(f"flip-{lines}", hello_py, versions[0])
    stop = threading.Event()
    seen: list[tuple[str | None, bytes]] = []

    def read() -> None:
        while not stop.is_set():
            reply = host.get(f"flip-{lines}", "/data.txt")
            assert reply.status == 200
            seen.append((reply.header("etag"), reply.body))

    readers = [threading.Thread(target=read) for _ in range(3)]
    for reader in readers:
        reader.start()
    try:
        for n in (1, 0, 1, 0):
            host.deploy(f"flip-{lines}", hello_py, versions[n])
    finally:
        stop.set()
        for reader in readers:
            reader.join()
    assert len({body for _, body in seen}) == 2, "both versions should have been served"
    for etag, body in seen:
        assert etag == etag_for(body)
