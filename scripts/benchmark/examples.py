"""The example guests the bench deploys: hello-py and hello-js, built, with their sites."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .sites import example_site
from .wasmhost import ROOT, Workspace, build_guest

LANGUAGES = ("py", "js")


@dataclass(frozen=True)
class Example:
    """One built example: its language, component and site folder (with the 1 MiB file)."""

    language: str
    worker: Path
    site: Path

    @property
    def project(self) -> str:
        """The project it is deployed as for the wrk scenarios."""
        return f"hello-{self.language}"


def prepare(space: Workspace, language: str) -> Example:
    """Build guests/examples/hello-LANGUAGE and copy its site into the workspace."""
    source = ROOT / "guests" / "examples" / f"hello-{language}"
    worker = build_guest(source, space.root / f"hello-{language}.wasm")
    site = example_site(source / "public", space.root / f"site-{language}")
    return Example(language, worker, site)
