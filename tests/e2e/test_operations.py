"""Watching a host: access-log lines, request ids, JSON logs, /metrics over workers, /readyz."""

import json
import re
import time
from collections.abc import Callable
from pathlib import Path

from tests.conftest import TOKEN, Host, Started, stop_host

AUTH = {"Authorization": f"Bearer {TOKEN}"}


def log_line(host: Host, needle: str) -> str:
    """The first log line containing `needle` (waiting a little for it to be written)."""
    deadline = time.monotonic() + 10
    while True:
        found = [line for line in host.log_text().splitlines() if needle in line]
        if found or time.monotonic() > deadline:
            assert found, f"no log line with {needle!r}:\n{host.log_text()[-3000:]}"
            return found[0]
        time.sleep(0.05)


def test_each_request_gets_an_id_and_one_access_line(
    start: Callable[..., Started], misbehave_py: Path
) -> None:
    host = start("--workers", "1")
    host.deploy("watched", misbehave_py)
    reply = host.get("watched", "/output?text=hello-from-the-guest")
    request_id = reply.header("X-Request-Id")
    assert reply.status == 200 and request_id and re.fullmatch(r"[0-9a-f]{16}", request_id)
    line = log_line(host, f'"GET /output?text=hello-from-the-guest" {reply.status}')
    assert line.split(" wasmhost.access ")[1].startswith(f"{request_id} 127.0.0.1 watched@v1 ")
    assert re.search(r" 200 7B [\d.]+ms guest=[\d.]+ms (fresh|reused)$", line)
    printed = log_line(host, "stdout: hello-from-the-guest")
    assert f"{request_id} [watched] stdout: hello-from-the-guest" in printed
    again = host.get("watched", "/output?text=x").header("X-Request-Id")
    assert again != request_id
    assert log_line(host, f"{again} 127.0.0.1 watched@v1").endswith(" reused")


def test_an_unknown_project_and_the_control_plane_are_logged_too(
    start: Callable[..., Started],
) -> None:
    host = start("--workers", "1")
    missing = host.get("nobody", "/x")
    assert missing.status == 404
    assert log_line(host, f'{missing.header("X-Request-Id")} 127.0.0.1 - "GET /x" 404 ')
    health = host.get(None, "/healthz")
    assert log_line(host, f'{health.header("X-Request-Id")} 127.0.0.1 - "GET /healthz" 200 ')


def test_a_trusted_proxy_id_is_kept_and_an_unusable_one_replaced(
    start: Callable[..., Started],
) -> None:
    host = start("--workers", "1", "--request-id-header", "X-Request-Id")
    assert host.get(None, "/healthz", X_Request_Id="edge-42").header("X-Request-Id") == "edge-42"
    replaced = host.get(None, "/healthz", X_Request_Id="two words").header("X-Request-Id")
    assert replaced and re.fullmatch(r"[0-9a-f]{16}", replaced)
    untrusted = start("--workers", "1")
    sent = untrusted.get(None, "/healthz", X_Request_Id="edge-42").header("X-Request-Id")
    assert sent != "edge-42"


def test_json_logs_are_one_object_per_line(
    start: Callable[..., Started], misbehave_py: Path
) -> None:
    host = start("--workers", "1", "--log-format", "json")
    host.deploy("jsonlog", misbehave_py)
    request_id = host.get("jsonlog", "/output?text=%1b[2Jin-json").header("X-Request-Id")
    log_line(host, f'"request_id": "{request_id}", "client"')
    entries = [json.loads(line) for line in host.log_text().splitlines() if line.strip()]
    access = next(e for e in entries if e["logger"] == "wasmhost.access")
    assert access["request_id"] == request_id
    assert (access["project"], access["version"], access["status"]) == ("jsonlog", 1, 200)
    assert access["path"] == "/output?text=%1b[2Jin-json" and access["bytes"] == 7
    assert access["instance"] == "fresh" and access["guest_ms"] > 0
    printed = next(e for e in entries if e["logger"] == "wasmhost.guest")
    assert printed["project"] == "jsonlog" and printed["request_id"] == request_id
    assert printed["stream"] == "stdout" and "\\x1b[2Jin-json" in printed["message"]


def metric(text: str, name: str, **labels: str) -> float:
    """The value of one sample of the exposition (0 if absent)."""
    for line in text.splitlines():
        sample = line.startswith(name) and line[len(name)] in "{ "
        if sample and all(f'{k}="{v}"' in line for k, v in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_metrics_add_up_every_worker(start: Callable[..., Started], misbehave_py: Path) -> None:
    host = start("--workers", "2", "--log-level", "warning")
    host.deploy("counted", misbehave_py)
    for _ in range(20):
        assert host.get("counted", "/ok").status == 200
    assert host.get("counted", "/trap").status == 500
    assert host.get("nobody", "/").status == 404
    assert host.get(None, "/metrics").status == 401
    reply = host.get(None, "/metrics", **AUTH)
    assert reply.status == 200 and (reply.header("Content-Type") or "").startswith("text/plain")
    text = reply.text
    assert metric(text, "wasmhost_requests_total", project="counted", status="200") == 20
    assert metric(text, "wasmhost_requests_total", project="counted", status="500") == 1
    assert metric(text, "wasmhost_requests_total", project="(unknown)", status="404") == 1
    assert metric(text, "wasmhost_request_duration_seconds_count", project="counted") == 21
    assert metric(text, "wasmhost_guest_duration_seconds_count", project="counted") == 21
    assert metric(text, "wasmhost_guest_failures_total", kind="guest_trapped") == 1
    used = [metric(text, "wasmhost_instances_used_total", how=how) for how in ("fresh", "reused")]
    assert sum(used) == 21
    sources = {
        source: metric(text, "wasmhost_compiled_workers_total", source=source)
        for source in ("memory", "disk", "compiled")
    }
    assert sum(sources.values()) == 21 and sources["memory"] >= 19  # the first in each worker
    assert metric(text, "wasmhost_database_bytes") > 0
    assert metric(text, "wasmhost_warm_instances") >= 1
    assert "nobody" not in text  # unknown subdomains never become labels


def test_public_metrics_need_no_token(start: Callable[..., Started]) -> None:
    host = start("--workers", "1", "--public-metrics")
    assert host.get(None, "/metrics").status == 200
    assert host.get(None, "/v1/projects").status == 401  # the rest of the control plane still


def test_readyz_checks_the_database_and_the_engine(start: Callable[..., Started]) -> None:
    host = start("--workers", "1")
    reply = host.get(None, "/readyz")
    assert reply.status == 200
    body = json.loads(reply.text)
    assert body["ready"] is True
    assert body["checks"] == {"database": "ok", "engine": "ok", "worker": "ok"}


def test_the_ready_line_says_what_is_served_and_where(
    start: Callable[..., Started], hello_py: Path
) -> None:
    host = start("--workers", "1")
    assert "(0 projects)" in host.ready
    assert f"deploy API and control page at http://127.0.0.1:{host.port}/" in host.ready
    host.deploy("one", hello_py)
    stop_host(host)
    off = start("--workers", "1", "--db", str(host.db), env={"WASMHOST_TOKEN": ""})
    assert "(1 project)" in off.ready and off.ready.rstrip().endswith("deploy API off")
