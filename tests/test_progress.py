"""Progress lines: nothing for a step done within a moment; off a terminal, two plain lines;
on one, a line that counts the seconds and is replaced by the result; a failed step says it
stopped."""

import io
import re
import time

import pytest

from host import progress
from host.progress import QUIET, Progress


class Terminal(io.StringIO):
    """Text written to what says it is a terminal."""

    def isatty(self) -> bool:
        """It is one."""
        return True


@pytest.fixture(autouse=True)
def short_moments(monkeypatch: pytest.MonkeyPatch) -> None:
    """A moment of 0.05 s and ticks of 0.05 s, so the tests are quick."""
    monkeypatch.setattr(progress, "MOMENT_SECONDS", 0.05)
    monkeypatch.setattr(progress, "TICK_SECONDS", 0.05)


def test_a_step_done_within_a_moment_says_nothing() -> None:
    out = Terminal()
    with Progress(out).step("storing"):
        pass
    assert out.getvalue() == ""


def test_off_a_terminal_a_long_step_is_two_plain_lines() -> None:
    out = io.StringIO()
    with Progress(out).step("compiling the worker (1.0 MB)"):
        time.sleep(0.3)
    lines = out.getvalue().splitlines()
    assert lines[0] == "compiling the worker (1.0 MB)…"
    assert re.fullmatch(r"compiling the worker \(1\.0 MB\): 0\.\d s", lines[1])
    assert len(lines) == 2
    assert "\x1b" not in out.getvalue() and "\r" not in out.getvalue()


def test_on_a_terminal_the_line_counts_then_shows_the_time() -> None:
    out = Terminal()
    with Progress(out).step("sending 3 files"):
        time.sleep(0.4)
    text = out.getvalue()
    assert text.startswith("sending 3 files…")
    assert text.count("\r\x1b[2Ksending 3 files… ") >= 2  # rewritten while it ran
    assert re.search(r"\r\x1b\[2Ksending 3 files: 0\.\d s\n$", text)


def test_a_failed_step_says_it_stopped_and_the_error_goes_on() -> None:
    out = io.StringIO()
    with pytest.raises(ValueError), Progress(out).step("storing"):
        time.sleep(0.2)
        raise ValueError("disk full")
    assert re.search(r"^storing… stopped after 0\.\d s$", out.getvalue(), re.M)


def test_quiet_says_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    with QUIET.step("anything"):
        time.sleep(0.1)
    captured = capsys.readouterr()
    assert "anything" not in captured.out + captured.err
