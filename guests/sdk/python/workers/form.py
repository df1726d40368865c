"""Query strings and form bodies as multi-valued mappings, as the Fetch API gives them.

request.query.get("page")                  # the first value, or None
request.query.get_all("tag")               # every value
form = await request.form_data()           # urlencoded or multipart/form-data
form.get("name"); form.get("upload")       # a str, or a File (filename, content_type, data)
"""

from __future__ import annotations

import email.parser
import email.policy
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

URLENCODED = "application/x-www-form-urlencoded"
MULTIPART = "multipart/form-data"


@dataclass(frozen=True)
class File:
    """An uploaded file of a multipart form."""

    filename: str
    content_type: str
    data: bytes

    @property
    def size(self) -> int:
        """The file's length in bytes."""
        return len(self.data)


class MultiDict:
    """Names to values in their order; a name may have several values."""

    __slots__ = ("_items",)

    def __init__(self, items: list[tuple[str, str | File]] | None = None) -> None:
        self._items = list(items or [])

    def get(self, name: str, default: str | File | None = None) -> str | File | None:
        """The first value of `name`, or `default`."""
        return next((value for key, value in self._items if key == name), default)

    def get_all(self, name: str) -> list[str | File]:
        """Every value of `name`, in order."""
        return [value for key, value in self._items if key == name]

    def items(self) -> list[tuple[str, str | File]]:
        """Every (name, value) pair, in order."""
        return list(self._items)

    def keys(self) -> list[str]:
        """The names, each once, in order of first appearance."""
        return list(dict.fromkeys(key for key, _ in self._items))

    def __contains__(self, name: object) -> bool:
        return any(key == name for key, _ in self._items)

    def __iter__(self) -> Iterator[str]:
        return iter(self.keys())

    def __len__(self) -> int:
        return len(self._items)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._items!r})"


def parse_query(query: str) -> MultiDict:
    """A URL's query string (`a=1&b=2&a=3`) as a MultiDict, `+` read as a space."""
    return MultiDict(list(parse_qsl(query, keep_blank_values=True)))


def parse_form(content_type: str, data: bytes) -> MultiDict:
    """A form body, urlencoded or multipart; ValueError for any other content type."""
    kind = content_type.split(";", 1)[0].strip().lower()
    if kind == URLENCODED:
        return parse_query(data.decode("utf-8", errors="replace"))
    if kind == MULTIPART:
        return _multipart(content_type, data)
    raise ValueError(
        f"form_data() reads {URLENCODED} or {MULTIPART} bodies, not {kind or 'one without a type'}"
    )


def _multipart(content_type: str, data: bytes) -> MultiDict:
    """A multipart/form-data body: each field a str, each file a File."""
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + data)
    if not message.is_multipart():
        raise ValueError("the multipart/form-data body has no parts (is its boundary right?)")
    items: list[tuple[str, str | File]] = []
    for part in message.iter_parts():  # type: ignore[attr-defined]
        name = part.get_param("name", header="content-disposition")
        if name is None:
            continue
        payload = _raw_payload(part)
        filename = part.get_filename()
        if filename is None:  # as the Fetch standard reads a field: UTF-8, whatever it says
            items.append((name, payload.decode("utf-8", errors="replace")))
        else:
            items.append((name, File(filename, part.get_content_type(), payload)))
    return MultiDict(items)


def _raw_payload(part: Any) -> bytes:
    """A part's bytes as sent: a Content-Transfer-Encoding is not applied (forms do not use
    one, and the Fetch standard ignores it)."""
    if "content-transfer-encoding" in part:
        text: str = part.get_payload(decode=False)
        return text.encode("ascii", "replace")
    data: bytes = part.get_payload(decode=True) or b""
    return data
