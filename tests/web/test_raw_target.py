"""The request target a guest sees, whichever way the WSGI server reports it."""

import falcon.testing
import pytest

from host.web.messages import raw_target


@pytest.mark.parametrize(
    ("env", "target"),
    [
        ({"REQUEST_URI": "/a%20b?x=1", "QUERY_STRING": "x=1"}, "/a%20b?x=1"),  # waitress
        ({"RAW_URI": "/a%20b?x=1", "QUERY_STRING": "x=1"}, "/a%20b?x=1"),  # gunicorn
        ({"RAW_URI": "/a", "QUERY_STRING": "x=1"}, "/a?x=1"),  # a raw URI without the query
        ({"REQUEST_URI": "http://h.example/p?q", "QUERY_STRING": "q"}, "/p?q"),  # absolute form
        ({"PATH_INFO": "/caf\xc3\xa9", "QUERY_STRING": "q=1"}, "/caf%C3%A9?q=1"),  # no raw URI
        ({"PATH_INFO": "/"}, "/"),
    ],
)
def test_raw_target(env: dict[str, object], target: str) -> None:
    assert raw_target(env) == target


def test_falcon_testing_requests_keep_their_query() -> None:
    env = falcon.testing.create_environ("/api/bytes", query_string="size=5")
    assert raw_target(env) == "/api/bytes?size=5"
