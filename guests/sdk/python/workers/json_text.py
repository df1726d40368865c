"""JSON text exactly as JavaScript's `JSON.stringify` writes it, for `Response.json(data)`.

Python's `json.dumps` differs from it: spaces after `,` and `:`, non-ASCII escaped, and floats
written as Python does (`1.0`, `-0.0`, `1e-07`, `NaN`). Here a float is written as
JavaScript's `Number.prototype.toString` writes the same number (`1`, `0`, `1e-7`, `null` for
NaN and the infinities), strings are escaped only where JSON must (a lone surrogate as
`\\udXXX`), and dict keys that are not strings become the strings JavaScript would make.
"""

from __future__ import annotations

import json
import math
from typing import Any

ESCAPE_ONLY = json.JSONEncoder(ensure_ascii=False)  # strings: C-speed, escapes like JS


def stringify(value: Any) -> str:
    """`value` (dicts, lists, tuples, str, int, float, bool, None) as compact JSON text."""
    parts: list[str] = []
    _write(value, parts)
    return "".join(parts)


def _write(value: Any, parts: list[str]) -> None:
    """Append the JSON text of one value."""
    if isinstance(value, str):
        parts.append(ESCAPE_ONLY.encode(value))
    elif value is None or isinstance(value, bool):
        parts.append("null" if value is None else "true" if value else "false")
    elif isinstance(value, int):
        parts.append(int.__repr__(value))
    elif isinstance(value, float):
        parts.append(number_text(value) if math.isfinite(value) else "null")
    elif isinstance(value, dict):
        _write_object(value, parts)
    elif isinstance(value, list | tuple):
        parts.append("[")
        for index, item in enumerate(value):
            if index:
                parts.append(",")
            _write(item, parts)
        parts.append("]")
    else:
        raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def _write_object(value: dict[Any, Any], parts: list[str]) -> None:
    """Append a JSON object; keys become strings as JavaScript property names would."""
    parts.append("{")
    for index, (key, item) in enumerate(value.items()):
        if index:
            parts.append(",")
        parts.append(ESCAPE_ONLY.encode(_key(key)))
        parts.append(":")
        _write(item, parts)
    parts.append("}")


def _key(key: Any) -> str:
    """A dict key as the property name JavaScript would use."""
    if isinstance(key, str):
        return key
    if key is None or isinstance(key, bool):
        return "null" if key is None else "true" if key else "false"
    if isinstance(key, int):
        return int.__repr__(key)
    if isinstance(key, float):
        return number_text(key) if math.isfinite(key) else ("NaN" if key != key else _infinity(key))
    raise TypeError(f"keys must be str, int, float, bool or None, not {type(key).__name__}")


def _infinity(value: float) -> str:
    """`Infinity` or `-Infinity`."""
    return "Infinity" if value > 0 else "-Infinity"


def number_text(value: float) -> str:
    """A finite float as JavaScript writes it: the shortest digits that round-trip (as
    Python's repr finds them), laid out by ECMAScript's Number::toString rules."""
    if value == 0:
        return "0"
    sign = "-" if value < 0 else ""
    mantissa, _, exponent = repr(abs(value)).partition("e")
    whole, _, fraction = mantissa.partition(".")
    digits = (whole + fraction).lstrip("0")
    point = len(whole) + int(exponent or 0) - (len(whole + fraction) - len(digits))
    digits = digits.rstrip("0") or "0"
    return sign + _laid_out(digits, point)


def _laid_out(digits: str, point: int) -> str:
    """Digits `d1d2…dk` with the decimal point after `point` of them (it may be outside)."""
    count = len(digits)
    if count <= point <= 21:
        return digits + "0" * (point - count)
    if 0 < point <= 21:
        return f"{digits[:point]}.{digits[point:]}"
    if -6 < point <= 0:
        return "0." + "0" * -point + digits
    exponent = point - 1
    fraction = f".{digits[1:]}" if count > 1 else ""
    return f"{digits[0]}{fraction}e{'+' if exponent >= 0 else '-'}{abs(exponent)}"
