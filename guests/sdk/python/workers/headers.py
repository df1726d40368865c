"""Case-insensitive, multi-valued HTTP headers shaped like the Fetch API's `Headers`."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from typing import TypeAlias

_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_FORBIDDEN_IN_VALUE = re.compile(r"[\r\n\x00]")


def _name(name: str) -> str:
    """Check a header name and return it lower-cased."""
    if not isinstance(name, str) or not _TOKEN.fullmatch(name):
        raise ValueError(f"invalid header name: {name!r}")
    return name.lower()


def _value(value: str | int) -> str:
    """Check a header value (str, or int for convenience) and trim surrounding whitespace."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        raise TypeError(f"header values must be str, got {type(value).__name__}")
    if _FORBIDDEN_IN_VALUE.search(value):
        raise ValueError(f"header value contains CR, LF or NUL: {value!r}")
    return value.strip(" \t")


class Headers:
    """Header fields in order; names are matched case-insensitively and kept lower-case.

    Iterating (and `keys()`) gives each distinct name once; `headers[name]` and `get()` join
    repeated fields with ", "; `items()` lists every (name, value) pair as sent.
    """

    __slots__ = ("_pairs",)

    def __init__(self, init: HeadersInit = None) -> None:
        self._pairs: list[tuple[str, str]] = []
        if isinstance(init, Headers):
            self._pairs = list(init._pairs)
        elif isinstance(init, Mapping):
            for name, value in init.items():
                self._extend(name, value)
        elif init is not None:
            self._add_pairs(init)

    @classmethod
    def _trusted(cls, pairs: Iterable[tuple[str, str]]) -> Headers:
        """Wrap pairs that are already lower-case and valid (from the host) without checks."""
        headers = cls()
        headers._pairs = [(name, value) for name, value in pairs]
        return headers

    def _extend(self, name: str, value: str | int | Iterable[str]) -> None:
        """Append one value, or each value of a list or tuple, under `name`."""
        if isinstance(value, list | tuple):
            for item in value:
                self.append(name, item)
        else:
            self.append(name, value)  # type: ignore[arg-type]

    def _add_pairs(self, pairs: Iterable[tuple[str, str]]) -> None:
        """Append (name, value) pairs, rejecting anything that is not a pair."""
        if isinstance(pairs, str | bytes):
            raise TypeError("headers must be a dict, a list of (name, value) pairs or Headers")
        for pair in pairs:
            if not isinstance(pair, list | tuple) or len(pair) != 2:
                raise TypeError(f"header entries must be (name, value) pairs, got {pair!r}")
            self.append(pair[0], pair[1])

    def get(self, name: str, default: str | None = None) -> str | None:
        """The field's values joined with ", ", or `default` if it is absent."""
        values = self.get_all(name)
        return ", ".join(values) if values else default

    def get_all(self, name: str) -> list[str]:
        """Every value of the field, in order (use this for `set-cookie`)."""
        key = name.lower()
        return [value for field, value in self._pairs if field == key]

    def has(self, name: str) -> bool:
        """Whether the field is present."""
        key = name.lower()
        return any(field == key for field, _ in self._pairs)

    def set(self, name: str, value: str | int) -> None:
        """Replace all values of the field with one (kept at the first one's position)."""
        key, text = _name(name), _value(value)
        kept: list[tuple[str, str]] = []
        placed = False
        for field, old in self._pairs:
            if field != key:
                kept.append((field, old))
            elif not placed:
                kept.append((key, text))
                placed = True
        if not placed:
            kept.append((key, text))
        self._pairs = kept

    def append(self, name: str, value: str | int) -> None:
        """Add a value to the field, keeping any existing ones."""
        self._pairs.append((_name(name), _value(value)))

    def delete(self, name: str) -> None:
        """Remove every value of the field (no error if absent)."""
        key = name.lower()
        self._pairs = [pair for pair in self._pairs if pair[0] != key]

    def setdefault(self, name: str, value: str | int) -> str:
        """Set the field if it is absent; return its (joined) value."""
        current = self.get(name)
        if current is None:
            self.append(name, value)
            return _value(value)
        return current

    def keys(self) -> list[str]:
        """Distinct field names, lower-case, in order of first appearance."""
        return list(dict.fromkeys(field for field, _ in self._pairs))

    def values(self) -> list[str]:
        """The joined value of each distinct field, in the order of `keys()`."""
        return [self[name] for name in self.keys()]

    def items(self) -> list[tuple[str, str]]:
        """Every (name, value) pair in order, repeated fields included."""
        return list(self._pairs)

    def copy(self) -> Headers:
        """An independent copy."""
        return Headers(self)

    def __getitem__(self, name: str) -> str:
        value = self.get(name)
        if value is None:
            raise KeyError(name)
        return value

    def __setitem__(self, name: str, value: str | int) -> None:
        self.set(name, value)

    def __delitem__(self, name: str) -> None:
        if not self.has(name):
            raise KeyError(name)
        self.delete(name)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self.has(name)

    def __iter__(self) -> Iterator[str]:
        return iter(self.keys())

    def __len__(self) -> int:
        return len(self.keys())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Headers):
            return self._pairs == other._pairs
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Headers({self._pairs!r})"


HeadersInit: TypeAlias = (
    Headers | Mapping[str, str | int | Iterable[str]] | Iterable[tuple[str, str]] | None
)
