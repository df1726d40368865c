"""The control page in-process (falcon.testing, WAT guests): log in, sessions, CSRF, actions."""

import re
from collections.abc import Iterator
from pathlib import Path

import falcon.testing
import pytest

from host.config import Settings
from host.web.app import WasmHost, create_app
from host.web.sessions import COOKIE, SessionKeys
from tests.web.in_process import CONTROL as HOST
from tests.web.in_process import TOKEN, deploy_wat


def open_app(tmp_path: Path, token: str | None = TOKEN) -> WasmHost:
    """The whole host app on the database in `tmp_path`."""
    return create_app(Settings(db=tmp_path / "h.db", cache_dir=tmp_path / "c", token=token))


@pytest.fixture
def app(tmp_path: Path) -> Iterator[WasmHost]:
    """The host app with a token and a project `site` deployed twice (v1, v2)."""
    host = open_app(tmp_path)
    for text in ("one", "two"):
        deploy_wat(host, "site", files={"/v.txt": text.encode()})
    yield host
    host.close()


def client(app: WasmHost) -> falcon.testing.TestClient:
    """A test client (it keeps no cookies: each test sends its own)."""
    return falcon.testing.TestClient(app)


def log_in(app: WasmHost) -> dict[str, str]:
    """Log in with the token; the headers that carry the session."""
    result = client(app).simulate_post(
        "/login",
        body=f"token={TOKEN}",
        headers={**HOST, "Content-Type": "application/x-www-form-urlencoded"},
    )
    assert result.status_code == 303 and result.headers["Location"].endswith("/")
    return {**HOST, "Cookie": f"{COOKIE}={result.cookies[COOKIE].value}"}


def csrf_of(page: str) -> str:
    """The CSRF token a page's forms carry."""
    match = re.search(r'name="csrf" value="([0-9a-f]+)"', page)
    assert match is not None, page
    return match.group(1)


def post_form(
    app: WasmHost, path: str, session: dict[str, str], **fields: str
) -> falcon.testing.Result:
    """Post a form with the session."""
    body = "&".join(f"{name}={value}" for name, value in fields.items())
    headers = {**session, "Content-Type": "application/x-www-form-urlencoded"}
    return client(app).simulate_post(path, body=body, headers=headers)


def test_pages_need_a_session_and_send_to_the_login_form(app: WasmHost) -> None:
    for path in ("/", "/projects/site"):
        result = client(app).simulate_get(path, headers=HOST)
        assert result.status_code == 303 and result.headers["Location"].endswith("/login")
    assert client(app).simulate_post("/projects/site/delete", headers=HOST).status_code == 403
    form = client(app).simulate_get("/login", headers=HOST)
    assert form.status_code == 200 and 'name="token"' in form.text
    assert 'href="/control.css"' in form.text


def test_a_wrong_token_is_refused_and_the_right_one_gives_a_strict_cookie(app: WasmHost) -> None:
    wrong = client(app).simulate_post(
        "/login",
        body="token=guess",
        headers={**HOST, "Content-Type": "application/x-www-form-urlencoded"},
    )
    assert wrong.status_code == 401 and "Wrong token" in wrong.text and COOKIE not in wrong.cookies
    right = client(app).simulate_post(
        "/login",
        body=f"token={TOKEN}",
        headers={**HOST, "Content-Type": "application/x-www-form-urlencoded"},
    )
    cookie = right.cookies[COOKIE]
    assert cookie.http_only and cookie.same_site == "Strict" and cookie.path == "/"
    set_cookie = right.headers["Set-Cookie"]
    assert "HttpOnly" in set_cookie and "SameSite=Strict" in set_cookie


def test_the_projects_page_lists_each_project_with_its_version(app: WasmHost) -> None:
    page = client(app).simulate_get("/", headers=log_in(app))
    assert page.status_code == 200
    assert '<a href="/projects/site">site</a>' in page.text and "<td>v2</td>" in page.text
    assert page.headers["X-Frame-Options"] == "DENY" and page.headers["Cache-Control"] == "no-store"


def test_rollback_needs_the_forms_csrf_token_then_switches_the_site(app: WasmHost) -> None:
    session = log_in(app)
    page = client(app).simulate_get("/projects/site", headers=session).text
    assert 'id="active-version">v2<' in page and "Roll back to v1" in page
    assert post_form(app, "/projects/site/rollback", session, version="1").status_code == 403
    stale = post_form(app, "/projects/site/rollback", session, version="1", csrf="0" * 64)
    assert stale.status_code == 403
    foreign = client(app).simulate_post(
        "/projects/site/rollback",
        body=f"version=1&csrf={csrf_of(page)}",
        headers={
            **session,
            "Content-Type": "application/x-www-form-urlencoded",
            "Origin": "https://evil.example",
        },
    )
    assert foreign.status_code == 403
    done = post_form(app, "/projects/site/rollback", session, version="1", csrf=csrf_of(page))
    assert done.status_code == 303 and done.headers["Location"].endswith("rolled_back_to=1")
    after = client(app).simulate_get("/projects/site?rolled_back_to=1", headers=session).text
    assert 'id="active-version">v1<' in after and "Rolled back to v1." in after
    shown = client(app).simulate_get(
        "/v1/projects/site", headers={**HOST, "Authorization": f"Bearer {TOKEN}"}
    )
    assert shown.json["active"]["version"] == 1


def test_a_missing_version_is_said_on_the_page(app: WasmHost) -> None:
    session = log_in(app)
    csrf = csrf_of(client(app).simulate_get("/", headers=session).text)
    result = post_form(app, "/projects/site/rollback", session, version="9", csrf=csrf)
    assert result.status_code == 400 and "version 9" in result.text


def test_delete_needs_the_project_id_typed(app: WasmHost) -> None:
    session = log_in(app)
    csrf = csrf_of(client(app).simulate_get("/projects/site", headers=session).text)
    unsure = post_form(app, "/projects/site/delete", session, confirm="sit", csrf=csrf)
    assert unsure.status_code == 400 and "Type site to confirm" in unsure.text
    done = post_form(app, "/projects/site/delete", session, confirm="site", csrf=csrf)
    assert done.status_code == 303
    assert client(app).simulate_get("/", headers=session).text.count("/projects/site") == 0
    assert client(app).simulate_get("/projects/site", headers=session).status_code == 404


def test_a_forged_or_old_session_is_no_session(app: WasmHost, tmp_path: Path) -> None:
    session = log_in(app)
    value = session["Cookie"].split("=", 1)[1]
    expires, nonce, mac = value.split(".")
    for forged in (f"{int(expires) + 99}.{nonce}.{mac}", f"{expires}.{nonce}.{'0' * 64}", "x"):
        headers = {**HOST, "Cookie": f"{COOKIE}={forged}"}
        assert client(app).simulate_get("/", headers=headers).status_code == 303
    keys = SessionKeys(b"k" * 32, TOKEN)
    assert keys.session(keys.new_cookie(now=0), now=100) is not None
    assert keys.session(keys.new_cookie(now=0), now=12 * 3600) is None  # expired
    assert SessionKeys(b"k" * 32, "another").session(keys.new_cookie()) is None


def test_a_new_token_ends_every_session(app: WasmHost, tmp_path: Path) -> None:
    session = log_in(app)
    app.close()
    other = open_app(tmp_path, token="a-new-token-9876543210")
    try:
        assert client(other).simulate_get("/", headers=session).status_code == 303
    finally:
        other.close()


def test_the_session_does_not_open_the_api(app: WasmHost) -> None:
    assert client(app).simulate_get("/v1/projects", headers=log_in(app)).status_code == 401


def test_without_a_token_the_page_says_it_is_off(tmp_path: Path) -> None:
    app = open_app(tmp_path, token=None)
    try:
        page = client(app).simulate_get("/login", headers=HOST)
        assert page.status_code == 403 and "Control page disabled" in page.text
        assert client(app).simulate_get("/", headers=HOST).status_code == 303
    finally:
        app.close()


def test_recent_requests_are_shown_escaped(app: WasmHost) -> None:
    tenant = {"Host": "site.localhost"}
    assert client(app).simulate_get("/v.txt", headers=tenant).status_code == 200
    client(app).simulate_get("/<script>alert(1)</script>", headers=tenant)
    page = client(app).simulate_get("/projects/site", headers=log_in(app)).text
    assert "<code>GET /v.txt</code>" in page and "<td>200</td>" in page
    assert "<script>alert" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_a_large_form_is_refused_whatever_the_server(app: WasmHost) -> None:
    result = client(app).simulate_post(
        "/login",
        body="token=" + "x" * 20_000,
        headers={**HOST, "Content-Type": "application/x-www-form-urlencoded"},
    )
    assert result.status_code == 413


def test_a_decoy_cookie_beside_the_session_does_not_log_out(app: WasmHost) -> None:
    session = log_in(app)
    value = session["Cookie"].split("=", 1)[1]
    headers = {**HOST, "Cookie": f"{COOKIE}=decoy; {COOKIE}={value}"}
    assert client(app).simulate_get("/", headers=headers).status_code == 200
