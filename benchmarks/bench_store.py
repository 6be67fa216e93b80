"""Generated queries at scale: SQLite write and read rates through the store API, and
streaming fusion against a plain memory copy.

Synthetic seeded rows (no model): P passages of about 100 words and P x 35 generated queries
(7 languages x 5 positions, about 40 characters each), into a fresh database each time:

- passages through ``collections.add_passages`` (with the passages' word index, as
  ``xqg ingest`` writes them) against a plain ``executemany`` in one transaction into a bare
  copy of the table;
- generated queries through ``generations.add_generation_batch`` (one committed batch of
  64 passages at a time, as ``xqg generate model`` writes them) and ``add_generations`` (one
  call, as imports), against a plain ``executemany`` into a bare copy of the table;
- the trigram index of generated queries (``generations.index_text``, now optional: ``--fts``
  or ``xqg generate fts``): rows/s, and bytes a row with and without it;
- reading them back: ``get_generations`` (every row as a Python object: bytes a row by
  ``tracemalloc``) against ``iter_generations`` (bounded batches in passage-id order);
- fusion: ``pipelines.augment.PassageSums`` (per-passage float64 sums and counts, batch by
  batch) over Q x 35 x 384 float32 query vectors, against ``np.copyto`` of the same bytes
  (the target: at least 0.3 of a memory copy).

Defaults: 20,000 passages (700,000 generated queries) and 100,000 passages for fusion
(3.5M x 384 float32 = 5.4 GB of query vectors would not fit beside other work here, so
fusion streams batches of 65,536 query vectors: the copy gets the same batches).
``--quick`` (``make bench``): 5,000 and 20,000.

Run: ``make bench-store`` (or ``python benchmarks/bench_store.py --passages 20000``).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.table import Row, add_arguments, write_rows  # noqa: E402
from store import collections, generations, runs  # noqa: E402
from store.db import Store, open_store  # noqa: E402
from store.generations import GenerationBatch  # noqa: E402
from store.records import GenerationRecord, PassageRecord  # noqa: E402

SEED = 20241204
LANGUAGES = ("ar", "bn", "fi", "ja", "ko", "ru", "te")
PER_LANGUAGE = 5
BATCH_PASSAGES = 64
WORDS = 100
DIM = 384
FUSE_BATCH = 65_536


def main() -> int:
    """Time every side and print rows/s, bytes a row and the ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--passages", type=int, help="passages (default 20,000; quick 5,000)")
    parser.add_argument(
        "--fuse-passages", type=int, help="passages for fusion (default 100,000; quick 20,000)"
    )
    add_arguments(parser)
    args = parser.parse_args()
    count = args.passages or (5_000 if args.quick else 20_000)
    fuse_count = args.fuse_passages or (20_000 if args.quick else 100_000)
    rng = np.random.default_rng(SEED)
    vocabulary = [_word(rng) for _ in range(5_000)]
    passages = [
        PassageRecord(f"doc{i}", f"Title {i}", " ".join(rng.choice(vocabulary, WORDS)))
        for i in range(count)
    ]
    queries = [" ".join(rng.choice(vocabulary, 6)) + "?" for _ in range(997)]
    print(f"{count:,} passages x {len(LANGUAGES)} languages x {PER_LANGUAGE} queries")
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="bench-store-") as work:
        rows += _passage_rows(Path(work), passages)
        rows += _generation_rows(Path(work), passages, queries)
    rows += _fusion_rows(rng, fuse_count)
    write_rows(args.rows, rows)
    return 0


def _word(rng: np.random.Generator) -> str:
    return "".join(chr(97 + int(c)) for c in rng.integers(0, 26, int(rng.integers(3, 9))))


def _timed(work: Callable[[], Any]) -> tuple[Any, float]:
    start = time.perf_counter()
    result = work()
    return result, time.perf_counter() - start


def _fresh(folder: Path, name: str) -> Store:
    return open_store(folder / f"{name}.db")


def _size(store: Store) -> int:
    """Bytes the database takes (after a checkpoint, so the WAL is in the file)."""
    store.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return store.path.stat().st_size


# Copies of the tables with their columns and no index, key or trigger: what a plain
# ``executemany`` writes into (fixed SQL: no names built into statements).
BARE_TABLES = {
    "passages": (
        "CREATE TABLE bare_passages AS SELECT * FROM passages WHERE 0",
        "INSERT INTO bare_passages (collection_id, docid, title, text) VALUES (?, ?, ?, ?)",
    ),
    "generations": (
        "CREATE TABLE bare_generations AS SELECT * FROM generations WHERE 0",
        "INSERT INTO bare_generations (run_id, passage_id, language, position, text) "
        "VALUES (?, ?, ?, ?, ?)",
    ),
}


def _bare_copy(store: Store, table: str) -> str:
    """Create the bare copy of ``table`` (see ``BARE_TABLES``); returns its INSERT."""
    create, insert = BARE_TABLES[table]
    store.execute(create)
    return insert


def _passage_rows(folder: Path, passages: list[PassageRecord]) -> list[Row]:
    store = _fresh(folder, "passages")
    collection = collections.ensure_collection(store, "bench", "synthetic")
    empty = _size(store)
    _, api_s = _timed(lambda: collections.add_passages(store, collection.id, passages))
    api_bytes = (_size(store) - empty) / len(passages)
    insert = _bare_copy(store, "passages")

    def plain() -> None:
        with store.transaction():
            store.executemany(
                insert,
                ((collection.id, *p) for p in passages),
            )

    _, plain_s = _timed(plain)
    store.close()
    n = len(passages)
    print(
        f"passages   add_passages {n / api_s:>10,.0f} rows/s ({api_bytes:,.0f} bytes a row "
        f"with its word index) | plain executemany {n / plain_s:>10,.0f} rows/s | "
        f"ratio {plain_s / api_s:.2f}"
    )
    return [
        Row(
            benchmark=f"passages written, {n:,} (rows/s)",
            xqg=f"{n / api_s:,.0f}",
            alternative=f"{n / plain_s:,.0f} (plain executemany)",
            ratio=round(plain_s / api_s, 2),
            identical="n/a",
        )
    ]


def _records(passage_ids: list[int], queries: list[str]) -> Iterator[GenerationRecord]:
    at = 0
    for pid in passage_ids:
        for language in LANGUAGES:
            for position in range(PER_LANGUAGE):
                at += 1
                yield GenerationRecord(pid, language, position, queries[at % len(queries)])


def _generation_rows(folder: Path, passages: list[PassageRecord], queries: list[str]) -> list[Row]:
    store = _fresh(folder, "generations")
    collection = collections.ensure_collection(store, "bench", "synthetic")
    collections.add_passages(store, collection.id, passages)
    ids = [int(r[0]) for r in store.execute("SELECT id FROM passages ORDER BY id")]
    total = len(ids) * len(LANGUAGES) * PER_LANGUAGE

    # Records are made before the clocks start: the store's work is timed, not the bench's.
    records = list(_records(ids, queries))
    per_batch = BATCH_PASSAGES * len(LANGUAGES) * PER_LANGUAGE
    chunks = [records[start : start + per_batch] for start in range(0, total, per_batch)]

    def batches(run_id: int) -> None:
        for batch, chunk in enumerate(chunks):
            size = len(chunk) // (len(LANGUAGES) * PER_LANGUAGE)
            info = GenerationBatch(batch, size, len(chunk), len(chunk), 0, 0, 0, 0.0, "1/1", "cpu")
            generations.add_generation_batch(store, run_id, info, chunk)

    empty = _size(store)
    batched = _run(store, collection.id, "batched")
    _, batch_s = _timed(lambda: batches(batched))
    no_fts_bytes = (_size(store) - empty) / total
    _, fts_s = _timed(lambda: generations.index_text(store, batched))
    fts_bytes = (_size(store) - empty) / total - no_fts_bytes
    one = _run(store, collection.id, "one-call")
    _, one_s = _timed(lambda: generations.add_generations(store, one, records))
    insert = _bare_copy(store, "generations")

    def plain() -> None:
        with store.transaction():
            store.executemany(
                insert,
                [(one, *r[:4]) for r in records],
            )

    _, plain_s = _timed(plain)
    read = _read_rows(store, batched, total)
    store.close()
    print(
        f"generations add_generation_batch {total / batch_s:>10,.0f} rows/s "
        f"({no_fts_bytes:,.0f} bytes a row) | add_generations {total / one_s:>10,.0f} rows/s | "
        f"plain executemany {total / plain_s:>10,.0f} rows/s | ratio {plain_s / batch_s:.2f}"
    )
    print(
        f"generations trigram FTS (index_text) {total / fts_s:>10,.0f} rows/s, "
        f"{fts_bytes:,.0f} more bytes a row"
    )
    return [
        Row(
            benchmark=f"generated queries written, {total:,} (rows/s)",
            xqg=f"{total / batch_s:,.0f} ({no_fts_bytes:.0f} B/row)",
            alternative=f"{total / plain_s:,.0f} (plain executemany)",
            ratio=round(plain_s / batch_s, 2),
            identical="n/a",
        ),
        Row(
            benchmark="trigram FTS of generated queries (rows/s)",
            xqg=f"{total / fts_s:,.0f} (+{fts_bytes:.0f} B/row)",
            alternative=f"{total / batch_s:,.0f} (rows written without it)",
            ratio=round(batch_s / fts_s, 2),
            identical="n/a",
        ),
        *read,
    ]


def _run(store: Store, collection_id: int, name: str) -> int:
    return runs.start_run(store, "generate", name, {"bench": name}, collection_id=collection_id).id


def _read_rows(store: Store, run_id: int, total: int) -> list[Row]:
    def whole() -> int:
        return len(generations.get_generations(store, run_id))

    def stream() -> int:
        return sum(len(batch) for batch in generations.iter_generations(store, run_id))

    # Timed without tracemalloc (it slows allocation 2x); its peaks measured in a second run.
    assert _timed(whole)[0] == _timed(stream)[0] == total
    _, whole_s = _timed(whole)
    _, stream_s = _timed(stream)
    tracemalloc.start()
    found = generations.get_generations(store, run_id)
    held = tracemalloc.get_traced_memory()[0]
    del found
    tracemalloc.stop()
    tracemalloc.start()
    stream()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    print(
        f"reading    get_generations {total / whole_s:>10,.0f} rows/s, holds {held / total:,.0f} "
        f"bytes a row ({held * 630e6 / total / 1e9:,.0f} GB at 630M) | iter_generations "
        f"{total / stream_s:>10,.0f} rows/s, peak {peak / 1e6:.1f} MB"
    )
    return [
        Row(
            benchmark="generated queries read (rows/s)",
            xqg=f"{total / stream_s:,.0f} (iter_generations, peak {peak / 1e6:.0f} MB)",
            alternative=f"{total / whole_s:,.0f} (get_generations, {held / 1e6:.0f} MB)",
            ratio=round(whole_s / stream_s, 2),
            identical="yes",
        )
    ]


def _fusion_rows(rng: np.random.Generator, count: int) -> list[Row]:
    """Per-passage sums of 35 vectors a passage, in blocks of ``CHUNK`` passages and batches
    of ``FUSE_BATCH`` vectors as ``augment`` streams them, against copying the same bytes
    batch by batch. The block's memory is allocated once, as ``augment`` reuses it."""
    from pipelines.augment import CHUNK, PassageSums

    per = len(LANGUAGES) * PER_LANGUAGE
    total = count * per
    batch = rng.standard_normal((FUSE_BATCH, DIM), dtype=np.float32)
    rows = np.repeat(np.arange(count, dtype=np.int64), per)
    target = np.empty_like(batch)
    sums = PassageSums(min(CHUNK, count), DIM)

    def copy() -> None:
        for start in range(0, total, FUSE_BATCH):
            size = min(FUSE_BATCH, total - start)
            np.copyto(target[:size], batch[:size])

    def fuse() -> None:
        block, sums.counts = 0, sums.counts[:0]
        for start in range(0, total, FUSE_BATCH):
            part = rows[start : start + FUSE_BATCH]
            while len(part):
                if part[0] >= block + len(sums.counts):  # the next block of passages
                    block += len(sums.counts)
                    sums.reset(min(CHUNK, count - block))
                cut = int(np.searchsorted(part, block + len(sums.counts)))
                sums.add(part[:cut] - block, batch[: len(part)][:cut])
                part = part[cut:]

    _, copy_s = min((_timed(copy) for _ in range(3)), key=lambda r: r[1])
    _, fuse_s = min((_timed(fuse) for _ in range(3)), key=lambda r: r[1])
    gb = total * DIM * 4 / 1e9
    print(
        f"fusion     {count:,} passages x {per} x {DIM} float32 ({gb:.1f} GB in batches of "
        f"{FUSE_BATCH:,}): {gb / fuse_s:.2f} GB/s | memory copy {gb / copy_s:.2f} GB/s | "
        f"fraction of copy {copy_s / fuse_s:.2f} (target >= 0.3)"
    )
    return [
        Row(
            benchmark=f"fusion, {count:,} x {per} x {DIM} (GB/s)",
            xqg=f"{gb / fuse_s:.2f}",
            alternative=f"{gb / copy_s:.2f} (memory copy)",
            ratio=round(copy_s / fuse_s, 2),
            identical="n/a",
        )
    ]


if __name__ == "__main__":
    raise SystemExit(main())
