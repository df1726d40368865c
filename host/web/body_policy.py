"""How much request body the server reads, decided per request from its head.

Tenant requests may send up to `max_request_mb`; a deploy upload (a POST to the deploy
route with the token and a valid project id) up to `max_upload_mb`; another POST with the
token a small JSON body (`JSON_BODY_BYTES`); a control-page form a few kilobytes (its session
and CSRF token are checked by the app); any other control-plane request nothing: the app
answers it from its headers (401, 403, 404, …) and its body is discarded unread. So neither a
tenant nor a client without the token can make the server buffer an upload-sized body. The
app keeps its own checks for other WSGI servers.
"""

from __future__ import annotations

from host.body_limits import SKIP_BODY, BodyLimit, BodyPolicy, RequestHead
from host.config import MIB, Settings
from host.web.api import JSON_BODY_BYTES
from host.web.control import admits_form, admits_json, admits_upload
from host.web.pages import FORM_BODY_BYTES
from host.web.tenant import project_label


def body_policy(settings: Settings) -> BodyPolicy:
    """The policy for `host.server.serve` under these settings."""
    tenant = BodyLimit(settings.max_request_mb * MIB, "max_request_mb")
    upload = BodyLimit(settings.max_upload_mb * MIB, "max_upload_mb")
    small_json = BodyLimit(JSON_BODY_BYTES, "a control-plane JSON body")
    form = BodyLimit(FORM_BODY_BYTES, "a control-page form")

    def limit(head: RequestHead) -> BodyLimit:
        """The limit for one request, routed as `host.web.app.WasmHost` routes it."""
        if project_label(head.header("Host"), settings.base_domain) is not None:
            return tenant
        authorization = head.header("Authorization")
        if admits_upload(settings, head.method, head.path, authorization):
            return upload
        if admits_json(settings, head.method, head.path, authorization):
            return small_json
        if admits_form(head.method, head.path):
            return form
        return SKIP_BODY

    return limit
