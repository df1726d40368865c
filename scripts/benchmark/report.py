"""The results as one Markdown table (to paste into the README) and as JSON."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

from .rows import RATE, TIMES, Row
from .targets import Verdict, verdicts

HEADER = (
    "| scenario | example | wasmhost | p50 ms | p99 ms | baseline | p50 ms | p99 ms "
    "| ratio | target | result |"
)
RULE = "|---|---|--:|--:|--:|--:|--:|--:|--:|---|---|"


def markdown(machine: dict[str, str], settings: dict[str, Any], rows: list[Row]) -> str:
    """The machine line, the settings line, then the table."""
    about = ", ".join(f"{name} {value}" for name, value in machine.items())
    how = ", ".join(f"{name} {value}" for name, value in settings.items())
    lines = [f"Machine: {about}.", f"Run: {how}.", "", HEADER, RULE]
    lines += [_line(row) for row in rows]
    return "\n".join(lines)


def write_json(
    path: Path, machine: dict[str, str], settings: dict[str, Any], rows: list[Row]
) -> None:
    """Write everything the table shows, and every sample, as JSON."""
    document = {
        "machine": machine,
        "settings": settings,
        "rows": [
            {
                **dataclasses.asdict(row),
                "targets": [dataclasses.asdict(v) for v in verdicts(row)],
            }
            for row in rows
        ],
    }
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n")


def _line(row: Row) -> str:
    """One row of the table."""
    cells = [
        row.title,
        row.example,
        _value(row),
        _ms(row.p50_ms),
        _ms(row.p99_ms),
        _baseline(row),
        _ms(row.baseline_p50_ms),
        _ms(row.baseline_p99_ms),
        _ratio(row.ratio),
        "; ".join(v.target for v in verdicts(row)) or "—",
        _result(row, verdicts(row)),
    ]
    return "| " + " | ".join(cells) + " |"


def _value(row: Row) -> str:
    """The measured figure with its unit, saying when it is a median."""
    if row.value is None:
        return "—"
    text = _amount(row.value, row.unit)
    if len(row.samples) > 1:
        text += f" (median of {len(row.samples)})"
    return text + (f"; {row.detail}" if row.detail else "")


def _baseline(row: Row) -> str:
    """The baseline's figure, in the row's unit."""
    return "—" if row.baseline is None else _amount(row.baseline, row.unit)


def _amount(value: float, unit: str) -> str:
    """A figure and its unit: 4,045 req/s, 83.2 ms, 812 MiB, 1.62x."""
    if unit == RATE or unit == "MiB":
        return f"{value:,.0f} {unit}"
    if unit == TIMES:
        return f"{_ratio(value)}x"
    return f"{_ms(value)} {unit}"


def _ms(value: float | None) -> str:
    """Milliseconds to about three digits: 0.84, 3.00, 23.1, 215, 1,020."""
    if value is None:
        return "—"
    if value >= 100:
        return f"{value:,.0f}"
    return f"{value:.1f}" if value >= 10 else f"{value:.2f}"


def _ratio(value: float | None) -> str:
    """A ratio to the baseline with two decimals (three below 0.1)."""
    if value is None:
        return "—"
    return f"{value:.3f}" if value < 0.1 else f"{value:.2f}"


def _result(row: Row, checked: list[Verdict]) -> str:
    """met, missed (with the measured figures), or invalid with the reason."""
    if row.problems:
        return "**invalid**: " + "; ".join(row.problems)
    if not checked:
        return "—"
    missed = [v for v in checked if not v.met]
    if not missed:
        return "met"
    return "**missed**: " + ", ".join(_amount_for(v) for v in missed)


def _amount_for(verdict: Verdict) -> str:
    """The measured figure behind a missed target, in the target's own terms."""
    if verdict.measured is None:
        return f"not measured ({verdict.target})"
    return f"{_amount(verdict.measured, verdict.unit)} ({verdict.target})"
