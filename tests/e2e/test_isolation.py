"""Projects never see each other's files, whatever path or URL a request or a guest names.

The prober, `alpha-py` or `alpha-js` (misbehave-py or misbehave-js), tries to reach the files
of `beta` (misbehave-py) by path, by URL and through the asset binding.
"""

from pathlib import Path
from urllib.parse import quote

import pytest

from tests.conftest import Guest, Host


@pytest.fixture(scope="module")
def alpha(
    host: Host,
    misbehave_guest: Guest,
    misbehave_py: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> str:
    """`alpha-{py,js}` and `beta`, each with a secret file of its own; returns alpha's id."""
    alpha = f"alpha-{misbehave_guest.language}"
    for name, worker in ((alpha, misbehave_guest.worker), ("beta", misbehave_py)):
        public = tmp_path_factory.mktemp(name)
        (public / f"secret-{name}.txt").write_text(f"{name} only")
        (public / "shared-name.txt").write_text(f"{name}'s copy")
        host.deploy(name, worker, public)
    return alpha


ESCAPES = [
    "/secret-beta.txt",
    "/../beta/secret-beta.txt",
    "/%2e%2e/beta/secret-beta.txt",
    "/..%2Fbeta%2Fsecret-beta.txt",
    "/assets/../../beta/assets/secret-beta.txt",
    "/project/beta/assets/secret-beta.txt",
    "/project/beta/manifests/0000000001",
    "/../../beta/files/",
    "/%2e%2e%2f%2e%2e%2fproject%2fbeta%2fassets%2fsecret-beta.txt",
    "//beta/secret-beta.txt",
    "/..\\beta\\secret-beta.txt",
    "/secret-beta.txt%00",
]


@pytest.mark.parametrize("path", ESCAPES)
def test_request_paths_cannot_reach_another_project(host: Host, alpha: str, path: str) -> None:
    reply = host.get(alpha, path)
    assert reply.status in (404, 307)
    assert b"beta only" not in reply.body


@pytest.mark.parametrize("path", ESCAPES)
def test_guest_urls_cannot_reach_another_project(host: Host, alpha: str, path: str) -> None:
    for url in (path, "http://beta.localhost" + path, "http://beta.localhost:1/x/.." + path):
        reply = host.get(alpha, "/asset?url=" + quote(url, safe=""))
        assert b"beta only" not in reply.body
        assert reply.status in (404, 307)


def test_same_name_gives_each_project_its_own_file(host: Host, alpha: str) -> None:
    assert host.get(alpha, "/shared-name.txt").text == f"{alpha}'s copy"
    assert host.get("beta", "/shared-name.txt").text == "beta's copy"
    assert host.get("beta", "/secret-beta.txt").text == "beta only"
