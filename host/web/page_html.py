"""The control page's HTML: plain server-rendered pages, every value escaped.

Styles and the little script (confirmations, local times) are files beside this module,
served by the control plane; nothing is built.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from html import escape
from typing import Any

from host.recent import Entry


def layout(title: str, body: str, signed_in: bool = True, csrf: str = "") -> str:
    """A whole page around `body`."""
    logout = (
        f'<form method="post" action="/logout" class="inline">{_csrf(csrf)}'
        '<button class="link">Log out</button></form>'
        if signed_in
        else ""
    )
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)} · wasmhost</title>"
        '<link rel="stylesheet" href="/control.css"><script src="/control.js" defer></script>'
        '</head><body><header><a href="/" class="brand">wasmhost</a>'
        f"{logout}</header><main>{body}</main></body></html>"
    )


def login_page(message: str = "") -> str:
    """The form that takes the host's token."""
    note = f'<p class="error" role="alert">{escape(message)}</p>' if message else ""
    body = (
        '<section class="narrow"><h1>Control page</h1>'
        "<p>Log in with the host's token (<code>WASMHOST_TOKEN</code>).</p>"
        f'{note}<form method="post" action="/login">'
        '<label for="token">Token</label>'
        '<input id="token" name="token" type="password" autocomplete="current-password" required'
        " autofocus><button>Log in</button></form></section>"
    )
    return layout("Log in", body, signed_in=False)


def disabled_page() -> str:
    """What the page says when the host has no token."""
    body = (
        '<section class="narrow"><h1>Control page disabled</h1><p>Start the host with a'
        " token (<code>WASMHOST_TOKEN</code>) to use the control page and the deploy API.</p>"
        "</section>"
    )
    return layout("Disabled", body, signed_in=False)


def projects_page(projects: Sequence[Mapping[str, Any]], csrf: str) -> str:
    """Every project with its active version, files and size."""
    if not projects:
        rows = '<tr><td colspan="5">No projects yet: <code>wasmhost deploy</code> one.</td></tr>'
    else:
        rows = "".join(
            f'<tr><td><a href="/projects/{escape(p["project_id"])}">{escape(p["project_id"])}</a>'
            f"</td><td>v{p['version']}</td><td>{p['files']}</td><td>{_size(p['size'])}</td>"
            f"<td>{_time(p['deployed_at'])}</td></tr>"
            for p in projects
        )
    body = (
        f"<h1>Projects</h1><table><thead><tr><th>project</th><th>active</th><th>files</th>"
        f"<th>size</th><th>deployed</th></tr></thead><tbody>{rows}</tbody></table>"
    )
    return layout("Projects", body, csrf=csrf)


def project_page(
    project: Mapping[str, Any],
    versions: Sequence[Mapping[str, Any]],
    recent: tuple[list[Entry], list[Entry]],
    csrf: str,
    message: str = "",
) -> str:
    """One project: its active version, the versions kept (with rollback), its recent requests
    and errors, and the delete form."""
    project_id = escape(project["project_id"])
    active = project["active"]
    note = f'<p class="notice" role="status">{escape(message)}</p>' if message else ""
    requests, errors = recent
    body = (
        f'<h1 id="project">{project_id}</h1>{note}'
        f'<p class="facts">Active: <strong id="active-version">v{active["version"]}</strong>'
        f" · {len(project['files'])} files, {_size(active['size'])} · deployed"
        f" {_time(active['deployed_at'])} · worker <code>{escape(active['worker_sha256'][:12])}"
        "</code></p>"
        f"<h2>Versions</h2>{_versions(project_id, versions, csrf)}"
        f"<h2>Recent requests</h2>{_entries(requests, 'No requests yet.')}"
        f"<h2>Recent errors</h2>{_entries(errors, 'No errors.')}"
        f"<h2>Delete</h2>{_delete_form(project_id, csrf)}"
    )
    return layout(project["project_id"], body, csrf=csrf)


def _versions(project_id: str, versions: Iterable[Mapping[str, Any]], csrf: str) -> str:
    """The kept versions, newest first, each with a rollback button but the active one."""
    rows = []
    for v in sorted(versions, key=lambda v: v["version"], reverse=True):
        if v["active"]:
            action = '<span class="tag">active</span>'
        else:
            action = (
                f'<form method="post" action="/projects/{project_id}/rollback"'
                f' data-confirm="Roll {project_id} back to v{v["version"]}?">{_csrf(csrf)}'
                f'<input type="hidden" name="version" value="{v["version"]}">'
                f"<button>Roll back to v{v['version']}</button></form>"
            )
        rows.append(
            f"<tr><td>v{v['version']}</td><td>{v['files']}</td><td>{_size(v['size'])}</td>"
            f"<td>{_time(v['deployed_at'])}</td><td>{action}</td></tr>"
        )
    return (
        '<table id="versions"><thead><tr><th>version</th><th>files</th><th>size</th>'
        f"<th>deployed</th><th></th></tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )


def _entries(entries: list[Entry], empty: str) -> str:
    """A table of recent requests (newest first)."""
    if not entries:
        return f'<p class="empty">{empty}</p>'
    rows = "".join(
        f'<tr class="{"failed" if e["status"] >= 500 else ""}"><td>{_time(e["time"])}</td>'
        f"<td><code>{escape(e['method'])} {escape(e['path'])}</code></td><td>{e['status']}</td>"
        f"<td>{e['ms']:.1f} ms</td><td>{escape(e.get('failure') or '')}</td>"
        f"<td><code>{escape(e['request_id'])}</code></td></tr>"
        for e in entries
    )
    return (
        "<table><thead><tr><th>time</th><th>request</th><th>status</th><th>took</th>"
        f"<th>failure</th><th>request id</th></tr></thead><tbody>{rows}</tbody></table>"
    )


def _delete_form(project_id: str, csrf: str) -> str:
    """Deleting asks for the project's id, typed."""
    return (
        f'<form method="post" action="/projects/{project_id}/delete" class="danger">{_csrf(csrf)}'
        f'<label for="confirm">Type <code>{project_id}</code> to delete the project, every'
        " version, file and KV entry:</label>"
        '<input id="confirm" name="confirm" autocomplete="off" required>'
        "<button>Delete project</button></form>"
    )


def _csrf(token: str) -> str:
    """The hidden field every form sends back."""
    return f'<input type="hidden" name="csrf" value="{escape(token)}">' if token else ""


def _size(size: int) -> str:
    """Bytes for people: `1.2 MB`."""
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if size >= scale:
            return f"{size / scale:.1f} {unit}"
    return f"{size} B"


def _time(moment: str | float) -> str:
    """A time the script shows in the reader's zone (UTC without it)."""
    if isinstance(moment, str):
        try:
            when = datetime.fromisoformat(moment)
        except ValueError:
            return escape(moment)
    else:
        when = datetime.fromtimestamp(moment, UTC)
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    iso = when.isoformat(timespec="seconds")
    return f'<time datetime="{iso}">{when.strftime("%Y-%m-%d %H:%M:%S")} UTC</time>'
