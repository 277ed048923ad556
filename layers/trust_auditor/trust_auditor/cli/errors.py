"""Exit codes and the one error type the commands raise for the operator to read."""

from __future__ import annotations

EXIT_CLEAN = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2


class CliError(Exception):
    """A usage or input error: printed as one line on stderr, exit code 2."""


def exit_code(finding_count: int) -> int:
    return EXIT_FINDINGS if finding_count else EXIT_CLEAN
