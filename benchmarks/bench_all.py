"""``make bench``: every benchmark at its ``--quick`` size, then one table of all their rows.

Each benchmark runs in its own process with ``--quick --rows FILE`` and prints its own
report as it goes; each appends its rows (benchmark, xqg, alternative, ratio, identical)
to FILE. A benchmark that fails gets a row saying so. The table goes to stdout at the end, and to
``--markdown PATH`` as a Markdown table when asked. About 10 minutes on 2 cores.

Run: ``make bench`` (or ``python benchmarks/bench_all.py --markdown build/bench/table.md``).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.table import Row  # noqa: E402

HEADER = ("benchmark", "xqg", "alternative", "ratio", "identical?")


def benchmarks(data: Path) -> list[tuple[str, list[str]]]:
    """(name, script and its arguments) of every benchmark, in the table's order."""
    return [
        ("eval", ["bench_eval.py", "--data", str(data)]),
        ("encode", ["bench_encode.py"]),
        ("generate", ["bench_generate.py", "--xquad", str(data / "xquad"), "--threads", "1"]),
        ("search", ["bench_search.py"]),
        ("store", ["bench_store.py"]),
        ("scale", ["bench_scale.py"]),
        ("app", ["bench_tui.py"]),
    ]


def main() -> int:
    """Run every benchmark, collect the rows, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--only", nargs="*", help="run only these benchmarks (by name)")
    parser.add_argument("--markdown", type=Path, help="also write the table here (Markdown)")
    args = parser.parse_args()
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="bench-all-") as work:
        for name, (script, *arguments) in benchmarks(args.data):
            if args.only and name not in args.only:
                continue
            rows += _run(name, ROOT / "benchmarks" / script, arguments, Path(work) / name)
    lines = _table(rows)
    print("\n" + "\n".join(lines))
    if args.markdown:
        args.markdown.parent.mkdir(parents=True, exist_ok=True)
        args.markdown.write_text("\n".join(lines) + "\n", "utf-8")
    return 0 if all(row["identical"] != "NO" for row in rows) else 1


def _run(name: str, script: Path, arguments: list[str], rows_file: Path) -> list[Row]:
    """One benchmark's rows, or one row saying why there are none."""
    if not script.exists():
        return [_missing(name, f"not here ({script.name} does not exist)")]
    print(f"\n=== {name}: {script.name} --quick", flush=True)
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, str(script), *arguments, "--quick", "--rows", str(rows_file)],
        cwd=ROOT,
        check=False,
    )
    took = time.perf_counter() - started
    print(f"=== {name}: exit {done.returncode} after {took:.0f} s", flush=True)
    found = (
        [json.loads(line) for line in rows_file.read_text("utf-8").splitlines()]
        if rows_file.exists()
        else []
    )
    if not found:
        return [_missing(name, f"no rows (exit {done.returncode}; see its output above)")]
    return found


def _missing(name: str, why: str) -> Row:
    return Row(benchmark=name, xqg=why, alternative="", ratio=float("nan"), identical="")


def _table(rows: list[Row]) -> list[str]:
    """The rows as a Markdown table (readable as plain text too)."""
    cells = [
        [
            row["benchmark"],
            row["xqg"],
            row["alternative"],
            "" if row["ratio"] != row["ratio"] else f"{row['ratio']:g}x",
            row["identical"],
        ]
        for row in rows
    ]
    widths = [max(len(line[i]) for line in [list(HEADER), *cells]) for i in range(len(HEADER))]
    lines = [
        "| " + " | ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)) + " |"
        for line in [list(HEADER), *cells]
    ]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return lines


if __name__ == "__main__":
    sys.exit(main())
