"""Per-project asset options, named and valued as in Cloudflare's Workers `assets` config."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal, get_args

from host.errors import DeployError

HtmlHandling = Literal["auto-trailing-slash", "force-trailing-slash", "drop-trailing-slash", "none"]
NotFoundHandling = Literal["none", "404-page", "single-page-application"]

HTML_HANDLING_MODES: tuple[str, ...] = get_args(HtmlHandling)
NOT_FOUND_HANDLING_MODES: tuple[str, ...] = get_args(NotFoundHandling)


class InvalidAssetOptions(DeployError):
    """An asset option has an unknown name or value."""


@dataclass(frozen=True)
class AssetOptions:
    """How a project's assets answer HTML paths and misses."""

    html_handling: HtmlHandling = "auto-trailing-slash"
    not_found_handling: NotFoundHandling = "none"

    def __post_init__(self) -> None:
        """Refuse values the handler does not know."""
        _check("html_handling", self.html_handling, HTML_HANDLING_MODES)
        _check("not_found_handling", self.not_found_handling, NOT_FOUND_HANDLING_MODES)

    @classmethod
    def from_mapping(cls, values: Mapping[str, object]) -> AssetOptions:
        """Options from a config mapping; unknown keys are refused."""
        unknown = sorted(set(values) - {"html_handling", "not_found_handling"})
        if unknown:
            raise InvalidAssetOptions(f"unknown asset option(s): {', '.join(unknown)}")
        return cls(**values)  # type: ignore[arg-type]  # values are checked in __post_init__

    def to_mapping(self) -> dict[str, str]:
        """Config mapping of these options."""
        return {"html_handling": self.html_handling, "not_found_handling": self.not_found_handling}


def _check(name: str, value: object, allowed: tuple[str, ...]) -> None:
    """Raise `InvalidAssetOptions` unless `value` is one of `allowed`."""
    if value not in allowed:
        choices = ", ".join(repr(choice) for choice in allowed)
        raise InvalidAssetOptions(f"{name} must be one of {choices}, not {value!r}")


DEFAULT_OPTIONS = AssetOptions()
