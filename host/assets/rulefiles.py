"""What `_headers` and `_redirects` have in common: reading the file, and reporting bad lines.

Both files live at the root of the uploaded assets (`/_headers`, `/_redirects`), are UTF-8
text (a leading BOM is ignored) and are never served. Lines end in `\\n` (a `\\r` before it
is ignored); blank lines and lines starting with `#` are comments. Unlike the model, which
skips bad lines with a warning, a bad line refuses the deployment: the error lists every
problem (up to `MAX_REPORTED`) with its line number.
"""

from __future__ import annotations

from collections.abc import Iterator

from host.errors import DeployError

HEADERS_FILE = "/_headers"
REDIRECTS_FILE = "/_redirects"
RULE_FILES = frozenset({HEADERS_FILE, REDIRECTS_FILE})
MAX_REPORTED = 20


class InvalidRuleFile(DeployError):
    """A `_headers` or `_redirects` file has bad lines or exceeds a limit."""


class Problems:
    """Collects line-numbered problems of one rule file and raises them together."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.items: list[tuple[int, str]] = []

    def add(self, line: int | None, message: str) -> None:
        """Note one problem (`line` None: about the whole file)."""
        self.items.append((line or 0, f"line {line}: {message}" if line else message))

    def raise_if_any(self) -> None:
        """Raise `InvalidRuleFile` listing the problems by line, if there are any."""
        if not self.items:
            return
        ordered = [text for _, text in sorted(self.items, key=lambda item: item[0])]
        shown = ordered[:MAX_REPORTED]
        more = len(ordered) - len(shown)
        listing = "\n".join(f"  {item}" for item in shown)
        tail = f"\n  … and {more} more" if more else ""
        count = len(self.items)
        noun = "problem" if count == 1 else "problems"
        raise InvalidRuleFile(f"{self.name[1:]}: {count} {noun}:\n{listing}{tail}")


def decode_rule_file(name: str, data: bytes) -> str:
    """A rule file's text, or `InvalidRuleFile` if it is not UTF-8."""
    try:
        return data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as error:
        raise InvalidRuleFile(f"{name[1:]} is not UTF-8 text: {error}") from None


def rule_lines(text: str) -> Iterator[tuple[int, str, str]]:
    """(line number, line as written without its line end, stripped line) of non-comment lines."""
    for number, raw in enumerate(text.split("\n"), start=1):
        line = raw.removesuffix("\r")
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            yield number, line, stripped
