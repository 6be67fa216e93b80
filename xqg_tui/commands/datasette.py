"""xqg datasette: browse a database in Datasette with labels and canned queries."""

from __future__ import annotations

import argparse
from typing import Any

from xqg_tui.commands import context


def register(commands: Any, parents: list[argparse.ArgumentParser]) -> None:
    """Add the command's parser."""
    command = commands.add_parser(
        "datasette",
        parents=parents[:1],
        help="browse the database in Datasette (labels, descriptions, canned queries)",
        description="Serve the database with Datasette and xqg's metadata: links labelled by "
        "docid, query text and run name, column descriptions, and the canned queries "
        "metrics_per_language (?run=NAME) and generations_of_passage (?docid=DOCID).",
    )
    command.add_argument("--port", type=int, default=8001, help="port to serve on")
    command.add_argument("--host", default="127.0.0.1", help="address to serve on")
    command.add_argument(
        "--metadata",
        metavar="FILE",
        help="only write the metadata JSON to FILE (for `datasette DB --metadata FILE`)",
    )
    command.set_defaults(handler=cmd_datasette)


def cmd_datasette(args: argparse.Namespace) -> int:
    """xqg datasette."""
    import json
    import os
    import shutil
    import subprocess
    import sys
    import tempfile
    from pathlib import Path

    from pipelines.errors import InputError
    from store.generations import FTS_HINT, unindexed_runs
    from xqg_tui.datasette import metadata

    with context.open_store(args) as store:  # exists, is an xqg database, migrated
        unindexed = unindexed_runs(store)
    if unindexed:
        from xqg_tui.console import out
        from xqg_tui.literal import literal

        hint = FTS_HINT.format(run=unindexed[0])
        out.print(
            literal(
                f"note: full-text search of generations leaves out {', '.join(unindexed)} "
                f"(no word index yet); build it with `{hint}`"
            )
        )
    text = json.dumps(metadata(args.db), indent=2)
    if args.metadata:
        Path(args.metadata).write_text(text + "\n", encoding="utf-8")
        return 0
    executable = shutil.which("datasette", path=os.path.dirname(sys.executable))
    executable = executable or shutil.which("datasette")
    if executable is None:
        raise InputError("datasette is not installed: pip install datasette")
    with tempfile.TemporaryDirectory() as folder:
        written = Path(folder) / "metadata.json"
        written.write_text(text, encoding="utf-8")
        command = [executable, "serve", args.db, "--metadata", str(written)]
        command += ["--host", args.host, "--port", str(args.port)]
        return subprocess.call(command)
