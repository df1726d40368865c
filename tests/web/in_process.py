"""The whole host app in-process (falcon.testing) with WAT guests deployed through its API."""

import falcon.testing
from wasmtime import wat2wasm

from host.bundle import Bundle
from host.upload import pack
from host.web.app import WasmHost
from tests.runtime import wat_guests

TOKEN = "in-process-token-0123456789"
CONTROL = {"Host": "127.0.0.1"}


def deploy_wat(
    app: WasmHost, project: str, body: str = wat_guests.HELLO, files: dict[str, bytes] | None = None
) -> None:
    """Deploy a WAT guest (`body` of its fetch) and `files` to `project` through the API."""
    bundle = pack(Bundle(bytes(wat2wasm(wat_guests.guest(body))), files or {}))
    deployed = falcon.testing.TestClient(app).simulate_post(
        f"/v1/projects/{project}/deployments",
        body=bundle,
        headers={**CONTROL, "Authorization": f"Bearer {TOKEN}"},
    )
    assert deployed.status_code == 201, deployed.text
