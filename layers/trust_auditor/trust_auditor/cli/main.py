"""Entry point of the `trust-auditor` command."""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Sequence

from trust_auditor.cli import check_policy, findings, scan
from trust_auditor.cli.errors import EXIT_USAGE, CliError
from trust_auditor.cli.options import ArgumentParser

PROG = "trust-auditor"


def build_parser() -> ArgumentParser:
    parser = ArgumentParser(
        prog=PROG,
        description="Audit AWS IAM role trust policies for unguarded cross-account trust.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    check_policy.add_parser(commands)
    scan.add_parser(commands)
    findings.add_parser(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; return its exit code (0 clean, 1 findings, 2 usage or input error)."""
    try:
        args = build_parser().parse_args(argv)
        code: int = args.run(args, sys.stdout, sys.stderr)
    except CliError as error:
        print(f"{PROG}: error: {' '.join(str(error).split())}", file=sys.stderr)
        return EXIT_USAGE
    except SystemExit as stop:  # --help and --version end here
        return stop.code if isinstance(stop.code, int) else EXIT_USAGE
    except KeyboardInterrupt:
        return 128 + signal.SIGINT
    except BrokenPipeError:
        # The reader (`| head`) went away: stop quietly, and keep the interpreter's final
        # flush of stdout from failing again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 128 + signal.SIGPIPE
    return code
