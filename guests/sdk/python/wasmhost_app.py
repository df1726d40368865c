"""The app module componentize-py wraps: exports the WIT handler, calls `worker.fetch`.

Every import is at module level: componentize-py bundles only what is imported while the
component is being built (that includes the user's `worker` module).

An exception from the worker is reported here as its author reads it (its message and the
worker's own frames, `workers.errors`), and the call then ends with `os._exit`: the host's
WASI turns that into a trap, so the client gets a 500 and the instance is dropped, without
componentize-py's own traceback of the SDK's frames and its runtime's panic lines in the log.
"""

# Python finds a codec by importing `encodings.<name>` on first use, which fails in the guest
# for any codec not bundled at build time; bundle the common ones beyond utf-8 and latin-1.
import encodings.cp1252
import encodings.idna
import encodings.iso8859_15
import encodings.punycode
import encodings.utf_8_sig
import os

import worker
from wit_world import exports
from wit_world.imports import assets, bodies, env, kv, outbound, types
from workers._bridge import Bridge
from workers.errors import report_uncaught

_BUNDLED_CODECS = (
    encodings.cp1252,
    encodings.idna,
    encodings.iso8859_15,
    encodings.punycode,
    encodings.utf_8_sig,
)

if not callable(getattr(worker, "fetch", None)):
    raise RuntimeError("worker.py must define `async def fetch(request, env)`")

_WORKER_DIR = os.path.dirname(os.path.abspath(worker.__file__))
_bridge = Bridge(types, bodies, assets, env, kv, outbound)


class Handler(exports.Handler):
    """The `handler` export: one call per HTTP request."""

    def fetch(self, req: types.Request) -> types.Response:
        """Serve one request with the worker's `fetch`."""
        try:
            return _bridge.serve(worker.fetch, req)
        except BaseException as error:  # anything: the call cannot go on
            report_uncaught(error, _WORKER_DIR)
            os._exit(70)
