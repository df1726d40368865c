"""A request's URL as a WHATWG URL parser writes it, so every guest sees the same string.

workerd hands a Worker `request.url` parsed by a WHATWG URL parser, and the JavaScript SDK's
`new Request(url)` parses it again; the Python SDK keeps the string it is given. So the host
normalizes the URL once, as the URL standard does for `http` and `https` (and as ada, the
parser of workerd and Node, writes it): backslashes are slashes, tabs and newlines are dropped
(as are trailing spaces and controls), `.` and `..` segments (also written `%2e`) are resolved,
characters outside the path and query percent-encode sets are percent-encoded (as UTF-8; a raw
byte that is not ASCII as itself), existing escapes are kept as they are, the host is
lower-cased and the scheme's default port dropped, and a fragment (which no client sends) is
dropped. Normalizing twice changes nothing, so the JavaScript guest's own parse agrees.
"""

from __future__ import annotations

from host.errors import BadRequest

C0_AND_ABOVE = frozenset(range(0x20)) | frozenset(range(0x7F, 0x100))
QUERY_SET = C0_AND_ABOVE | frozenset(b' "#<>')
SPECIAL_QUERY_SET = QUERY_SET | frozenset(b"'")
PATH_SET = QUERY_SET | frozenset(b"?`{}")
SINGLE_DOT = frozenset({".", "%2e"})
DOUBLE_DOT = frozenset({"..", ".%2e", "%2e.", "%2e%2e"})
DEFAULT_PORTS = {"http": "80", "https": "443"}
MAX_PORT = 65535
TAB_AND_NEWLINES = str.maketrans("", "", "\t\n\r")  # a parser drops them wherever they are


def normalized_url(scheme: str, host: str, target: str) -> str:
    """`scheme://host` plus the request target (path and query, each character standing for
    one byte as the server decoded it, latin-1), normalized."""
    return f"{scheme}://{normalized_host(scheme, host)}{normalized_target(target)}"


def normalized_host(scheme: str, host: str) -> str:
    """The host lower-cased, its port as a number (without the scheme's default port);
    BadRequest for a port no URL can have."""
    name, colon, port = host.lower().rpartition(":")
    if not colon or name.endswith(":") or "]" in port:
        return host.lower()
    if not port.isascii() or not port.isdigit() or int(port) > MAX_PORT:
        raise BadRequest(f"the Host header's port {port!r} is not a port number")
    number = str(int(port))
    return name if number == DEFAULT_PORTS.get(scheme) else f"{name}:{number}"


def normalized_target(target: str) -> str:
    """The path and query of a request target, normalized (always starting with `/`)."""
    target = target.rstrip("".join(map(chr, range(0x21)))).translate(TAB_AND_NEWLINES)
    target = target.partition("#")[0]
    path, question, query = target.partition("?")
    normalized = normalized_path(path)
    return normalized + (f"?{_encoded(query, SPECIAL_QUERY_SET)}" if question else "")


def normalized_path(path: str) -> str:
    """A path with its dot segments resolved and its characters percent-encoded."""
    segments: list[str] = []
    raw = path.replace("\\", "/").split("/")
    if raw and raw[0] == "":
        raw = raw[1:]  # the leading slash
    for position, segment in enumerate(raw):
        last = position == len(raw) - 1
        lowered = segment.lower()
        if lowered in DOUBLE_DOT:
            if segments:
                segments.pop()
            if last:
                segments.append("")
        elif lowered in SINGLE_DOT:
            if last:
                segments.append("")
        else:
            segments.append(_encoded(segment, PATH_SET))
    return "/" + "/".join(segments)


def _encoded(text: str, encode: frozenset[int]) -> str:
    """`text` with the characters in `encode` percent-encoded: a character above U+00FF as its
    UTF-8 bytes, one up to U+00FF as the byte it stands for."""
    if text.isascii() and not any(ord(c) in encode for c in text):
        return text
    out = []
    for char in text:
        code = ord(char)
        if code > 0xFF:
            out.append("".join(f"%{b:02X}" for b in char.encode("utf-8", "surrogatepass")))
        elif code in encode:
            out.append(f"%{code:02X}")
        else:
            out.append(char)
    return "".join(out)
