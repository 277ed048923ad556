"""Progress on stderr for long scans: a redrawn bar on a terminal, plain count lines otherwise."""

from __future__ import annotations

from types import TracebackType
from typing import TextIO

BAR_WIDTH = 30
# Without a terminal, print a line every this many items (and at the end): logs stay short.
PLAIN_EVERY = 100


class Progress:
    """Counts items done; `total` may be unknown (a paginated live scan)."""

    def __init__(self, stream: TextIO, label: str, total: int | None = None) -> None:
        self._stream = stream
        self._label = label
        self._total = total
        self._done = 0
        self._printed: int | None = None  # the count of the last plain line
        self._interactive = stream.isatty()

    def __enter__(self) -> Progress:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if error is None:
            self.finish()
        elif self._interactive:  # end the bar's line: the error message starts a new one
            self._stream.write("\n")
            self._stream.flush()

    def advance(self, count: int = 1) -> None:
        before, self._done = self._done, self._done + count
        if self._interactive:
            self._stream.write("\r" + self._line())
            self._stream.flush()
        elif self._done // PLAIN_EVERY > before // PLAIN_EVERY:
            self._print_plain()

    def finish(self) -> None:
        if self._interactive:
            self._stream.write("\r" + self._line() + "\n")
        elif self._printed != self._done:
            self._print_plain()
        self._stream.flush()

    def _print_plain(self) -> None:
        self._stream.write(self._line() + "\n")
        self._printed = self._done

    def _line(self) -> str:
        if not self._total:
            return f"{self._label}: {self._done}"
        filled = min(BAR_WIDTH, BAR_WIDTH * self._done // self._total)
        bar = "#" * filled + "." * (BAR_WIDTH - filled)
        return f"{self._label} [{bar}] {self._done}/{self._total}"
