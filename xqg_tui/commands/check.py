"""xqg check: is the database whole? SQLite's checks, every vector file's SHA-256, runs
left by a dead process, unregistered files. Exit 0 when all is well, 2 on any finding."""

from __future__ import annotations

import argparse
import json
from typing import Any

from xqg_tui.commands import context

EXIT_FINDINGS = 2


def register(commands: Any, parents: list[argparse.ArgumentParser]) -> None:
    """Add the command's parser."""
    check = commands.add_parser(
        "check",
        parents=parents[:1],
        help="verify the database and every vector file (exit 2 on any finding)",
    )
    check.add_argument("--json", action="store_true", help="findings as JSON on standard output")
    check.set_defaults(handler=cmd_check)


def cmd_check(args: argparse.Namespace) -> int:
    """xqg check."""
    from store.check import check_database
    from xqg_tui.console import marked, out

    with context.open_store(args, create=False) as store:
        findings, verified = check_database(store)
    if args.json:
        listed = [finding._asdict() for finding in findings]
        document = {"ok": not findings, "vector_files": verified, "findings": listed}
        out.print(json.dumps(document, indent=2), soft_wrap=True)
    else:
        for finding in findings:
            out.print(marked(f"{finding.kind}:", "bold red", finding.detail), soft_wrap=True)
        verdict = f"{len(findings)} finding(s)" if findings else "ok"
        out.print(f"{verdict}: {args.db}, {verified} vector files verified", soft_wrap=True)
    return EXIT_FINDINGS if findings else 0
