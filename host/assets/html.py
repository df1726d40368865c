"""`html_handling`: which file a decoded request path serves, or where it redirects.

Each mode is a plan: for a request path, an ordered list of steps. `_Try(file)` serves
`file` if the manifest has it. `_Move(file, target)` redirects to `target` if the manifest
has `file` and a request for `target` would serve that same file. No step matching: not
found. "Would serve" is decided one level down (the target's own moves are checked only
against targets that serve without redirects); this is exactly enough to guarantee that a
redirect lands, in one hop, on the file it was made for: if `_run(t, 1)` serves `f`, every
move before `_Try(f)` in `t`'s plan failed at level 1, hence also fails at level 2.

- `auto-trailing-slash`: `/x` serves `x.html`, `/dir/` serves `dir/index.html`; other
  spellings of those files redirect there.
- `force-trailing-slash`: every HTML file is served at a path ending in `/`
  (`/x/` serves `x.html`); `/x`, `/x.html`, `/x/index.html` redirect to `/x/`.
- `drop-trailing-slash`: every HTML file is served at a path without a trailing `/`
  (`/dir` serves `dir/index.html`); `/dir/`, `/dir/index.html` redirect to `/dir`.
  The root stays `/`.
- `none`: only exact pathnames; no redirects.

In every mode a file that exists at exactly the requested path is served (except where a
trailing-slash rule names a different file first). A path ending in `/` never matches a
file directly: manifest pathnames never end in `/`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from host.assets.options import HtmlHandling

Contains = Callable[[str], bool]


@dataclass(frozen=True)
class Serve:
    """Serve the manifest file at `pathname`."""

    pathname: str


@dataclass(frozen=True)
class Redirect:
    """Redirect to the decoded path `location`, where the manifest file `pathname` is served."""

    location: str
    pathname: str


Resolution = Serve | Redirect | None


@dataclass(frozen=True)
class _Try:
    """Serve `file` if it exists."""

    file: str


@dataclass(frozen=True)
class _Move:
    """Redirect to `target` if `file` exists and `target` serves that same file."""

    file: str
    target: str


_Step = _Try | _Move
_Plan = Callable[[str], list[_Step]]


def _plain_steps(path: str) -> list[_Step]:
    """`/x`: the exact file, then `x.html`, then a move to `/x/` for `x/index.html`."""
    return [_Try(path), _Try(path + ".html"), _Move(path + "/index.html", path + "/")]


def _auto(path: str) -> list[_Step]:
    """Steps of `auto-trailing-slash`."""
    if path.endswith("/"):
        return [_Try(path + "index.html"), _Move(path[:-1] + ".html", path[:-1])]
    if path.endswith("/index"):
        stem = path[: -len("/index")]
        steps: list[_Step] = [_Try(path), _Move(path + ".html", stem + "/")]
        return [*steps, _Move(stem + ".html", stem), *_plain_steps(path)]
    if path.endswith("/index.html"):
        stem = path[: -len("/index.html")]
        return [_Move(path, stem + "/"), _Move(stem + ".html", stem), *_plain_steps(path)]
    if path.endswith(".html"):
        stem = path[: -len(".html")]
        return [_Move(path, stem), _Move(stem + "/index.html", stem + "/"), *_plain_steps(path)]
    return _plain_steps(path)


def _force(path: str) -> list[_Step]:
    """Steps of `force-trailing-slash`."""
    if path.endswith("/"):
        return [_Try(path + "index.html"), _Try(path[:-1] + ".html")]
    tail: list[_Step] = [
        _Try(path),
        _Move(path + ".html", path + "/"),
        _Move(path + "/index.html", path + "/"),
    ]
    if path.endswith("/index"):
        stem = path[: -len("/index")]
        steps: list[_Step] = [_Try(path), _Move(path + ".html", stem + "/")]
        return [*steps, _Move(stem + ".html", stem + "/"), *tail]
    if path.endswith("/index.html"):
        stem = path[: -len("/index.html")]
        return [_Move(path, stem + "/"), _Move(stem + ".html", stem + "/"), *tail]
    if path.endswith(".html"):
        stem = path[: -len(".html")]
        return [_Move(path, stem + "/"), _Try(path), _Move(stem + "/index.html", stem + "/"), *tail]
    return tail


def _drop(path: str) -> list[_Step]:
    """Steps of `drop-trailing-slash`."""
    if path == "/":
        return [_Try("/index.html")]
    if path == "/index":
        return [_Try(path), _Move("/index.html", "/")]
    if path == "/index.html":
        return [_Move(path, "/"), _Try(path)]
    if path.endswith("/"):
        stem = path[:-1]
        return [_Move(path + "index.html", stem), _Move(stem + ".html", stem)]
    served: list[_Step] = [_Try(path), _Try(path + ".html"), _Try(path + "/index.html")]
    if path.endswith("/index"):
        stem = path[: -len("/index")]
        return [_Try(path), _Move(stem + ".html", stem), _Move(path + ".html", stem), *served]
    if path.endswith("/index.html"):
        stem = path[: -len("/index.html")]
        return [_Move(path, stem), _Try(path), _Move(stem + ".html", stem), *served]
    if path.endswith(".html"):
        stem = path[: -len(".html")]
        return [_Move(path, stem), _Move(stem + "/index.html", stem), *served]
    return served


def _none(path: str) -> list[_Step]:
    """Steps of `none`: the exact file only."""
    return [_Try(path)]


_PLANS: dict[str, _Plan] = {
    "auto-trailing-slash": _auto,
    "force-trailing-slash": _force,
    "drop-trailing-slash": _drop,
    "none": _none,
}


def resolve_html(
    path: str, contains: Contains, mode: HtmlHandling = "auto-trailing-slash"
) -> Resolution:
    """Serve, redirect or not found (`None`) for a decoded request path."""
    return _run(_PLANS[mode], path, contains, _DEPTH)


_DEPTH = 2


def _run(plan: _Plan, path: str, contains: Contains, depth: int) -> Resolution:
    """First step of the plan for `path` that applies; moves only when `depth` > 0."""
    for step in plan(path):
        if not step.file.startswith("/") or not contains(step.file):
            continue
        if isinstance(step, _Try):
            return Serve(step.file)
        if depth and _lands_on(plan, step, contains, depth - 1):
            return Redirect(step.target, step.file)
    return None


def _lands_on(plan: _Plan, move: _Move, contains: Contains, depth: int) -> bool:
    """Whether a request for the move's target serves the move's file."""
    target = move.target
    return target.startswith("/") and _run(plan, target, contains, depth) == Serve(move.file)
