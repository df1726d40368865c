"""The Python SDK in a real guest: async code on an asyncio event loop (`asyncio.gather` of
sleeps takes as long as the longest, tasks run, `ctx.wait_until` work finishes before the
request completes), and forms and query parameters read as the Fetch API reads them."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import Host


def test_asyncio_runs_in_the_guest(host: Host, misbehave_py: Path) -> None:
    host.deploy("loop-py", misbehave_py)
    reply = host.get("loop-py", "/async")
    assert (reply.status, reply.text) == (200, "a,b,c d together=True")


def test_wait_until_work_finishes_before_the_request_completes(
    host: Host, misbehave_py: Path
) -> None:
    host.deploy("until-py", misbehave_py, None, "--strict-isolation")
    assert host.get("until-py", "/wait-until").text == "answered"
    # the guest's output is logged when its call ends: the task's line is there already
    assert "[until-py] stdout: the wait_until task finished" in host.log_text()


def test_forms_and_query_parameters(host: Host, misbehave_py: Path) -> None:
    import json

    host.deploy("form-py", misbehave_py)
    boundary = "xyz"
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="title"\r\n\r\nhi\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="f"; filename="a.bin"\r\n'
        f"Content-Type: application/octet-stream\r\n\r\n12345\r\n--{boundary}--\r\n"
    ).encode()
    headers = {"content-type": f"multipart/form-data; boundary={boundary}"}
    reply = host.request("form-py", "/form?page=3", "POST", headers=headers, body=body)
    assert reply.status == 200, reply.text
    answer = json.loads(reply.body)
    assert answer == {
        "form": {"title": ["hi"], "f": ["a.bin:application/octet-stream:5"]},
        "page": "3",
        "path": "/form",
    }
