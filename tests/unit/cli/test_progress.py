"""The scan progress display: a redrawn bar on a terminal, sparse count lines otherwise."""

from __future__ import annotations

import io

import pytest

from trust_auditor.cli.progress import PLAIN_EVERY, Progress


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_terminal_redraws_one_line_with_a_bar() -> None:
    stream = _Terminal()
    with Progress(stream, "roles", total=4) as progress:
        progress.advance()
        progress.advance()
    frames = stream.getvalue().split("\r")[1:]
    assert frames == [
        "roles [" + "#" * 7 + "." * 23 + "] 1/4",
        "roles [" + "#" * 15 + "." * 15 + "] 2/4",
        "roles [" + "#" * 15 + "." * 15 + "] 2/4\n",
    ]


def test_terminal_without_total_counts() -> None:
    stream = _Terminal()
    with Progress(stream, "roles") as progress:
        progress.advance(3)
    assert stream.getvalue() == "\rroles: 3\rroles: 3\n"


def test_plain_stream_prints_every_hundred_and_the_final_count() -> None:
    stream = io.StringIO()
    with Progress(stream, "roles") as progress:
        for _ in range(PLAIN_EVERY * 2 + 5):
            progress.advance()
    assert stream.getvalue().splitlines() == ["roles: 100", "roles: 200", "roles: 205"]


def test_plain_stream_does_not_repeat_the_final_count() -> None:
    stream = io.StringIO()
    with Progress(stream, "roles") as progress:
        progress.advance(PLAIN_EVERY - 5)
        progress.advance(10)  # crosses 100 without landing on it
    assert stream.getvalue().splitlines() == ["roles: 105"]


def test_plain_stream_reports_an_empty_scan() -> None:
    stream = io.StringIO()
    Progress(stream, "roles").finish()
    assert stream.getvalue() == "roles: 0\n"


def test_a_failed_scan_ends_the_bar_line_and_prints_no_count() -> None:
    terminal, plain = _Terminal(), io.StringIO()
    for stream in (terminal, plain):
        with pytest.raises(RuntimeError), Progress(stream, "roles") as progress:
            progress.advance()
            raise RuntimeError("AWS went away")
    assert (terminal.getvalue(), plain.getvalue()) == ("\rroles: 1\n", "")
