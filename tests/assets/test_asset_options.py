"""Per-project asset options and their validation."""

from __future__ import annotations

from dataclasses import FrozenInstanceError

import pytest

from host.assets.options import (
    DEFAULT_OPTIONS,
    HTML_HANDLING_MODES,
    NOT_FOUND_HANDLING_MODES,
    AssetOptions,
    InvalidAssetOptions,
)
from host.errors import DeployError


def test_defaults() -> None:
    assert AssetOptions() == DEFAULT_OPTIONS
    assert DEFAULT_OPTIONS.html_handling == "auto-trailing-slash"
    assert DEFAULT_OPTIONS.not_found_handling == "none"


@pytest.mark.parametrize("html", HTML_HANDLING_MODES)
@pytest.mark.parametrize("not_found", NOT_FOUND_HANDLING_MODES)
def test_every_known_combination(html: str, not_found: str) -> None:
    values = {"html_handling": html, "not_found_handling": not_found}
    options = AssetOptions.from_mapping(values)
    assert options.to_mapping() == values


def test_mode_lists() -> None:
    assert set(HTML_HANDLING_MODES) == {
        "auto-trailing-slash",
        "force-trailing-slash",
        "drop-trailing-slash",
        "none",
    }
    assert set(NOT_FOUND_HANDLING_MODES) == {"none", "404-page", "single-page-application"}


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"html_handling": "auto"}, "html_handling must be one of"),
        ({"html_handling": "AUTO-TRAILING-SLASH"}, "html_handling must be one of"),
        ({"html_handling": ""}, "html_handling must be one of"),
        ({"html_handling": None}, "html_handling must be one of"),
        ({"html_handling": 1}, "html_handling must be one of"),
        ({"not_found_handling": "spa"}, "not_found_handling must be one of"),
        ({"not_found_handling": "404"}, "not_found_handling must be one of"),
        ({"not_found_handling": "404-page "}, "not_found_handling must be one of"),
        ({"not_found": "404-page"}, "unknown asset option(s): not_found"),
        ({"run_worker_first": True}, "unknown asset option(s): run_worker_first"),
    ],
)
def test_invalid_values_are_refused_clearly(values: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidAssetOptions) as caught:
        AssetOptions.from_mapping(values)
    assert message in str(caught.value)


def test_error_names_the_choices() -> None:
    with pytest.raises(InvalidAssetOptions, match="'404-page'"):
        AssetOptions(not_found_handling="nope")  # type: ignore[arg-type]
    assert issubclass(InvalidAssetOptions, DeployError)


def test_frozen() -> None:
    with pytest.raises(FrozenInstanceError):
        DEFAULT_OPTIONS.html_handling = "none"  # type: ignore[misc]
