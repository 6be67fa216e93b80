"""Benchmark of the terminal app on a synthetic 100k-passage database (``make bench-tui``).

Builds (once, then reuses) a database of random passages with random 384-dimensional
vectors for a baseline index and an xQG index, written through the store's own functions,
then measures:

- startup: a fresh process importing the app, opening the database and painting the first
  page of passages (with the passage and its generated queries beside it);
- search round trip once the model is loaded: Enter in the query box -> e5-small encodes the
  query -> exact inner-product search over 100k vectors in both indexes -> results drawn.

Targets (issue 5): startup under 1 s, search under 200 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

STARTED = time.perf_counter()
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DEFAULT_DB = ROOT / "build" / "bench" / "xqg.db"
PASSAGES = 100_000
QUICK_DB, QUICK_PASSAGES = ROOT / "build" / "bench" / "xqg-quick.db", 20_000

from benchmarks.table import Row, add_arguments, seconds, write_rows  # noqa: E402

DIM = 384  # multilingual-e5-small
SIZE = (160, 45)
QUERIES = (
    "Wie viele Punkte gab die Verteidigung ab?",
    "¿Quién ganó el campeonato en 1998?",
    "Сколько лет длилась война?",
    "What is the capital of the northern province?",
    "ما هي عاصمة المقاطعة؟",
    "鉄道はいつ開通しましたか？",
    "Kuka rakensi ensimmäisen sillan?",
    "When did the river flood the valley?",
    "Quel est le plus grand musée de la ville ?",
    "Wer hat das Gesetz unterzeichnet?",
    "How many students attend the university?",
    "Hvor mange innbyggere har byen?",
)
WORDS = [
    "river",
    "city",
    "war",
    "museum",
    "king",
    "law",
    "bridge",
    "student",
    "railway",
    "province",
    "capital",
    "valley",
    "flood",
    "church",
    "empire",
    "treaty",
    "harbour",
    "island",
    "mountain",
    "school",
    "music",
    "election",
    "army",
    "trade",
    "science",
    "engine",
    "famine",
    "castle",
    "market",
    "coast",
    "festival",
    "century",
]


def build(path: Path, passages: int, seed: int = 13) -> None:
    """A database with ``passages`` random passages, a baseline index and an xQG index."""
    import numpy as np

    from store import open_store
    from store.collections import add_passages, ensure_collection
    from store.generations import add_generations
    from store.records import GenerationRecord, PassageRecord
    from store.runs import finish_run, start_run

    rng = random.Random(seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open_store(path) as store:
        collection = ensure_collection(store, "synthetic", "jsonl")
        ingest = start_run(store, "ingest", "bench-ingest", {}, collection_id=collection.id)
        add_passages(
            store,
            collection.id,
            (
                PassageRecord(
                    f"doc{i:07d}",
                    " ".join(rng.choices(WORDS, k=2)).title(),
                    " ".join(rng.choices(WORDS, k=80)),
                )
                for i in range(passages)
            ),
        )
        finish_run(store, ingest.id, {"passages": passages})
        generate = start_run(store, "generate", "bench-generate", {"source": "synthetic"})
        add_generations(
            store,
            generate.id,
            (
                GenerationRecord(pid, lang, 0, f"{lang} question {pid}")
                for pid in range(1, passages + 1, 10)
                for lang in ("ar", "fi", "ja")
            ),
        )
        finish_run(store, generate.id, {})
        vectors = np.random.default_rng(seed).standard_normal((passages, DIM), dtype=np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        base = _index(store, collection.id, "bench-baseline", "index", vectors, [])
        shifted = vectors + 0.01 * np.random.default_rng(seed + 1).standard_normal(
            vectors.shape, dtype=np.float32
        )
        parents = [("index", base), ("generations", generate.id)]
        _index(store, collection.id, "bench-xqg", "augment", shifted, parents)


def _index(
    store: Any,
    collection_id: int,
    name: str,
    kind: str,
    vectors: Any,
    parents: list[tuple[str, int]],
) -> int:
    from store.runs import finish_run, start_run
    from store.vectors import vector_writer

    identity = {"name": "e5-small", "passage_title": True}
    runtime = {"batch_size": 32, "device": "auto", "trust_remote_code": False}
    params = {"encoder": identity, "runtime": runtime}
    run = start_run(store, kind, name, params, parents=parents, collection_id=collection_id)
    with vector_writer(
        store,
        run_id=run.id,
        kind="passages",
        collection_id=collection_id,
        encoder="e5-small",
        encoder_config=identity,
        dim=DIM,
    ) as writer:
        writer.add(range(1, len(vectors) + 1), vectors)
    finish_run(store, run.id, {"passages": len(vectors)})
    return int(run.id)


def startup_child(path: Path, without_pandas: bool) -> None:
    """In a fresh process: import, open, first paint; print the timings as JSON.

    ``without_pandas`` measures an install without pandas (it comes only with the dev and
    ray extras): sqlite-utils imports pandas when it can, which costs about half a second.
    """
    if without_pandas:
        sys.modules["pandas"] = None  # type: ignore[assignment]  # "import pandas" fails
    from xqg_tui.app.app import XQGApp
    from xqg_tui.app.library import Library
    from xqg_tui.app.widgets.passage_view import PassageView

    imported = time.perf_counter()

    async def run() -> float:
        opened = time.perf_counter()
        app = XQGApp(Library.open(path), deterministic=True)
        async with app.run_test(size=SIZE) as pilot:
            view = app.screen.query_one(PassageView)
            while not view.run_choices:  # first passage and its generated queries shown
                await pilot.pause(0.005)
            return time.perf_counter() - opened

    painted = asyncio.run(run())
    print(json.dumps({"imports_s": imported - STARTED, "open_to_paint_s": painted}))


def measure_startup(path: Path, repeats: int, without_pandas: bool) -> list[dict[str, float]]:
    """Startup timings from fresh processes."""
    found = []
    flags = ["--without-pandas"] if without_pandas else []
    for _ in range(repeats):
        begun = time.perf_counter()
        done = subprocess.run(
            [sys.executable, __file__, "--startup-child", "--db", str(path), *flags],
            capture_output=True,
            text=True,
            check=True,
        )
        timing = json.loads(done.stdout.strip().splitlines()[-1])
        timing["process_s"] = time.perf_counter() - begun
        found.append(timing)
    return found


def measure_search(path: Path) -> list[dict[str, float]]:
    """Search round trips on the Search screen, the model loaded first."""
    from textual.widgets import Input, Static

    from xqg_tui.app.app import XQGApp
    from xqg_tui.app.library import Library
    from xqg_tui.app.messages import SearchRendered

    rendered: list[SearchRendered] = []

    def hook(message: Any) -> None:
        if isinstance(message, SearchRendered) and all(message is not m for m in rendered):
            rendered.append(message)

    async def run() -> None:
        app = XQGApp(Library.open(path))
        async with app.run_test(size=SIZE, message_hook=hook) as pilot:
            await pilot.press("2")
            status = app.screen.query_one("#search-status", Static)
            while not str(status.content).startswith("Ready"):
                await pilot.pause(0.01)
            field = app.screen.query_one("#query", Input)
            for number, text in enumerate(QUERIES, start=1):
                field.value = text
                field.focus()
                await pilot.press("enter")
                while len(rendered) < number:
                    await pilot.pause(0.001)

    asyncio.run(run())
    return [
        {
            "total_ms": m.total_ms,
            "encode_ms": m.outcome.encode_ms,
            "search_ms": m.outcome.search_ms,
            "read_ms": m.outcome.read_ms,
            "indexes": len(m.outcome.rankings),
        }
        for m in rendered
    ]


def main() -> None:
    """Build or reuse the database, then report startup and search latency."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=DEFAULT_DB)
    parser.add_argument("--passages", type=int, default=PASSAGES)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--startup-child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--without-pandas", action="store_true", help=argparse.SUPPRESS)
    add_arguments(parser)
    args = parser.parse_args()
    if args.quick and args.db == DEFAULT_DB:  # make bench: a smaller database of its own
        args.db, args.passages, args.repeats = QUICK_DB, QUICK_PASSAGES, 3
    if args.startup_child:
        startup_child(args.db, args.without_pandas)
        return
    if not args.db.exists():
        print(f"building {args.passages:,} passages in {args.db} (once)…", flush=True)
        begun = time.perf_counter()
        build(args.db, args.passages)
        print(f"built in {time.perf_counter() - begun:.0f} s", flush=True)
    startup = {
        label: measure_startup(args.db, args.repeats, without_pandas)
        for label, without_pandas in (("as installed", False), ("without pandas", True))
    }
    searches = measure_search(args.db)
    _report(args.db, startup, searches)
    write_rows(args.rows, _rows(startup["as installed"], searches))


def _rows(startup: list[dict[str, float]], searches: list[dict[str, float]]) -> list[Row]:
    """The table's rows: each measure against its target (there is no other app to run)."""
    paint = statistics.median(row["imports_s"] + row["open_to_paint_s"] for row in startup)
    search = statistics.median(row["total_ms"] for row in searches) / 1000
    return [
        Row(
            benchmark="app: start to first paint",
            xqg=seconds(paint),
            alternative="1.00 s (target)",
            ratio=round(1.0 / paint, 1),
            identical="n/a",
        ),
        Row(
            benchmark="app: search round trip (median)",
            xqg=seconds(search),
            alternative="0.20 s (target)",
            ratio=round(0.2 / search, 1),
            identical="n/a",
        ),
    ]


def _report(
    path: Path, startup: dict[str, list[dict[str, float]]], searches: list[dict[str, float]]
) -> None:
    from store import open_store
    from store.browse import database_summary

    with open_store(path, create=False) as store:
        passages = database_summary(store).passages

    def median(rows: list[dict[str, float]], key: str) -> float:
        return statistics.median(row[key] for row in rows)

    print(f"\ndatabase: {path} ({passages:,} passages)")
    for label, rows in startup.items():
        print(
            f"startup {label} (median of {len(rows)} fresh processes): imports "
            f"{median(rows, 'imports_s'):.2f} s + open to first paint "
            f"{median(rows, 'open_to_paint_s'):.2f} s = "
            f"{median(rows, 'imports_s') + median(rows, 'open_to_paint_s'):.2f} s; "
            f"whole process {median(rows, 'process_s'):.2f} s (target: under 1 s)"
        )
    totals = sorted(row["total_ms"] for row in searches)
    print(
        f"search round trip, {searches[0]['indexes']} indexes x {passages:,} vectors, model "
        f"loaded ({len(searches)} queries): median {statistics.median(totals):.0f} ms, "
        f"max {totals[-1]:.0f} ms (target: under 200 ms)"
    )
    print("  each, in order: " + " ".join(f"{row['total_ms']:.0f}" for row in searches))
    print(
        f"  of which encode {median(searches, 'encode_ms'):.0f} ms, exact search "
        f"{median(searches, 'search_ms'):.0f} ms, reading passages "
        f"{median(searches, 'read_ms'):.0f} ms; the rest is drawing"
    )


if __name__ == "__main__":
    main()
