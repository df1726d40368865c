"""An uncaught error in a worker, reported as its author reads it.

    Uncaught error in fetch(): RuntimeError: boom from the guest
        trap@worker.py:124
        fetch@worker.py:28

Only frames in the worker's own files are listed (not the SDK's, nor Python's), innermost
first as in the JavaScript SDK, with paths relative to the worker's folder; a cause or context
follows on a `Caused by:` line.
"""

from __future__ import annotations

import os
import sys
import traceback
from types import TracebackType

SDK_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
STDLIB_DIR = os.path.dirname(os.path.abspath(traceback.__file__))


def describe_uncaught(error: BaseException, worker_dir: str) -> str:
    """The report of an error that escaped the worker's fetch."""
    lines = [f"Uncaught error in fetch(): {_one_line(error)}"]
    lines += _frames(error.__traceback__, worker_dir)
    seen = {id(error)}
    cause = _cause_of(error)
    while cause is not None and id(cause) not in seen:  # `raise e from e` makes a cycle
        seen.add(id(cause))
        lines.append(f"Caused by: {_one_line(cause)}")
        lines += _frames(cause.__traceback__, worker_dir)
        cause = _cause_of(cause)
    return "\n".join(lines)


def _cause_of(error: BaseException) -> BaseException | None:
    """The error's explicit cause, or the one it was raised while handling."""
    return error.__cause__ or (None if error.__suppress_context__ else error.__context__)


def report_uncaught(error: BaseException, worker_dir: str) -> None:
    """Print the report to stderr (the host logs it with the request)."""
    print(describe_uncaught(error, worker_dir), file=sys.stderr, flush=True)


def _one_line(error: BaseException) -> str:
    """`Type: message`."""
    text = str(error)
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def _frames(tb: TracebackType | None, worker_dir: str) -> list[str]:
    """The worker's own frames, innermost first: `    function@path:line`."""
    frames = []
    for frame in reversed(traceback.extract_tb(tb)):
        path = os.path.abspath(frame.filename)
        if path.startswith((SDK_DIR + os.sep, STDLIB_DIR + os.sep)):
            continue
        shown = os.path.relpath(path, worker_dir) if path.startswith(worker_dir + os.sep) else path
        frames.append(f"    {frame.name}@{shown}:{frame.lineno}")
    return frames
