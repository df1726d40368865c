"""The app module componentize-py wraps: exports the WIT handler, calls `worker.fetch`.

Every import is at module level: componentize-py bundles only what is imported while the
component is being built (that includes the user's `worker` module).

An exception from the worker propagates out of `Handler.fetch`: componentize-py prints its
traceback to the guest's stderr and traps, which is how the host learns of it. (Printing it
here as well would show every traceback twice in the host log.)
"""

# Python finds a codec by importing `encodings.<name>` on first use, which fails in the guest
# for any codec not bundled at build time; bundle the common ones beyond utf-8 and latin-1.
import encodings.cp1252
import encodings.idna
import encodings.iso8859_15
import encodings.punycode
import encodings.utf_8_sig

import worker
from wit_world import exports
from wit_world.imports import assets, bodies, env, kv, outbound, types
from workers._bridge import Bridge

_BUNDLED_CODECS = (
    encodings.cp1252,
    encodings.idna,
    encodings.iso8859_15,
    encodings.punycode,
    encodings.utf_8_sig,
)

if not callable(getattr(worker, "fetch", None)):
    raise RuntimeError("worker.py must define `async def fetch(request, env)`")

_bridge = Bridge(types, bodies, assets, env, kv, outbound)


class Handler(exports.Handler):
    """The `handler` export: one call per HTTP request."""

    def fetch(self, req: types.Request) -> types.Response:
        """Serve one request with the worker's `fetch`."""
        return _bridge.serve(worker.fetch, req)
