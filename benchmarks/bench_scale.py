"""Every vector step at scale on synthetic seeded vectors (no model), then a projection to
the paper's 18M passages / 630M generated queries / 768 dimensions.

Per dimension (384 at ``--passages``, 768 at ``--passages-768``), each step in a child
process of its own so that its peak RSS (``resource.getrusage``, ``ru_maxrss``) is its own:

- ``passages``: N clustered unit vectors (as ``bench_search.py`` makes them), written in
  blocks of 65,536 through ``store.vectors.vector_writer`` (the index step's writer) into a
  real database, in shards of ``--shard-size`` (250,000) and once more as one shard;
- ``queries``: generated-query vectors written the same way as a ``generations`` vector set
  (what ``augment`` stores without ``--stream``): ``--stored-queries`` of them, not N x 35,
  as 35M x 384 float32 are 54 GB and the disk here is shared; rate and bytes a vector;
- ``search``: exact top-100 (``pipelines.search.rank``) of ``--queries`` queries over the
  sharded set and over the one shard (ids and scores identical?), and FAISS ``IndexFlatIP``
  on the same vectors in its own process (top-100 identical? speed ratio);
- ``fusion``: ``augment``'s own fusion (``pipelines.augment._Fusion``: per-passage float64
  sums block by block, the fused vectors written through a real vector writer, the baseline
  read from the sharded set) over N x 35 generated-query vectors arriving in passage order
  in batches of 65,536, as ``augment --stream`` receives them from the encoder (here a
  seeded pool of 65,536 vectors, cycled); against a memory copy of the same bytes in the
  same batches;
- SQLite: generated-query rows through the store API (``bench_store.py``'s own measure,
  ``--sqlite-passages`` passages x 35), rows/s and bytes a row.

Then a projection table for 18M passages / 630M generated queries / 768 dimensions: RAM,
disk and hours per step, from the rates measured here (one process on this machine's CPUs)
and, for encoding, an assumed per-GPU rate (``--gpu-passages``, ``--gpu-queries``: an
assumption, not a measurement) on ``--gpus`` GPUs.

Defaults: 1,000,000 passages at 384 and 250,000 at 768, shards of 250,000, 200 queries
(about 7 minutes on 2 shared cores). ``--passages 10000000`` for 10M: about 40 minutes,
50 GB of scratch disk (the passages twice, sharded and as one shard, and the fused set) and
15 GB of memory for FAISS's copy of the vectors. ``--quick`` (``make bench``): 100,000 and
50,000 (about a minute). ``--work`` puts the scratch files elsewhere.

Run: ``make bench-scale`` (or ``python benchmarks/bench_scale.py --passages 1000000``).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.bench_search import _around, _same_sets  # noqa: E402
from benchmarks.table import Row, add_arguments, seconds, write_rows  # noqa: E402

SEED, DEPTH, PER_PASSAGE, BLOCK, CLUSTERS = 20241204, 100, 35, 65_536, 1000
PAPER_PASSAGES, PAPER_QUERIES, PAPER_DIM = 18_000_000, 630_000_000, 768
TARGET_RSS = 2e9


def main() -> int:
    """Run every step of every dimension in a child process; print and record the rows."""
    args = _parser().parse_args()
    if args.step:
        print(json.dumps(STEPS[args.step](args)))
        return 0
    sizes = {384: args.passages or (100_000 if args.quick else 1_000_000)}
    sizes[768] = args.passages_768 or (50_000 if args.quick else 250_000)
    rows: list[Row] = []
    found: dict[int, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-scale-", dir=args.work) as work:
        sqlite = _child(args, "sqlite", Path(work), 0, 0)
        for dim, count in sizes.items():
            print(f"\n{count:,} passages x {PER_PASSAGE} generated queries x {dim} float32")
            found[dim] = _measure(args, Path(work) / str(dim), dim, count)
            rows += _rows(dim, count, found[dim])
    rows += _projection(args, found[PAPER_DIM], sqlite)
    write_rows(args.rows, rows)
    met = _targets(found[384], sizes[384])
    return 0 if met else 1


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--passages", type=int, help="passages at 384 dims (default 1,000,000)")
    parser.add_argument("--passages-768", type=int, help="passages at 768 (default 250,000)")
    parser.add_argument("--shard-size", type=int, default=250_000)
    parser.add_argument("--queries", type=int, default=200, help="search queries")
    parser.add_argument(
        "--stored-queries", type=int, default=1_000_000, help="generated-query vectors stored"
    )
    parser.add_argument("--sqlite-passages", type=int, default=10_000)
    parser.add_argument("--gpus", type=int, default=8, help="GPUs for the projection")
    parser.add_argument(
        "--gpu-passages", type=float, default=1_000, help="ASSUMED passages/s one GPU encodes"
    )
    parser.add_argument(
        "--gpu-queries", type=float, default=10_000, help="ASSUMED queries/s one GPU encodes"
    )
    parser.add_argument("--eval-queries", type=int, default=2_000, help="queries to search")
    parser.add_argument("--work", type=Path, help="scratch folder (default: the system's)")
    parser.add_argument("--step", choices=sorted(STEPS), help=argparse.SUPPRESS)
    parser.add_argument("--dim", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--count", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--folder", type=Path, help=argparse.SUPPRESS)
    add_arguments(parser)
    return parser


def _measure(args: argparse.Namespace, folder: Path, dim: int, count: int) -> dict[str, Any]:
    folder.mkdir(parents=True)
    found = {
        step: _child(args, step, folder, dim, count)
        for step in ("passages", "queries", "search", "faiss", "fusion")
    }
    xqg, flat = (np.load(folder / f"{name}.npz") for name in ("sharded", "faiss"))
    one = np.load(folder / "one.npz")
    found["search"]["one_vs_many"] = bool(
        np.array_equal(xqg["ids"], one["ids"])
        and np.abs(xqg["scores"] - one["scores"]).max() <= 1e-6
    )
    found["search"]["vs_faiss"] = _same_sets(xqg["ids"], flat["ids"])
    return {**found, "count": count}


def _child(
    args: argparse.Namespace, step: str, folder: Path, dim: int, count: int
) -> dict[str, Any]:
    """One step in its own process: its own peak RSS, and what it measured."""
    command = [sys.executable, __file__, "--step", step, "--dim", str(dim), "--count", str(count)]
    command += ["--folder", str(folder), "--shard-size", str(args.shard_size)]
    command += ["--queries", str(args.queries), "--stored-queries", str(args.stored_queries)]
    command += ["--sqlite-passages", str(args.sqlite_passages)]
    done = subprocess.run(command, cwd=ROOT, check=True, stdout=subprocess.PIPE, text=True)
    result: dict[str, Any] = json.loads(done.stdout.splitlines()[-1])
    print(f"  {step:<9} " + ", ".join(f"{k} {v}" for k, v in result.items()), flush=True)
    return result


def _rss() -> int:
    """This process's peak resident memory so far, in bytes (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _passage_blocks(dim: int, count: int) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """(keys, unit vectors) of the passages, block by block, the same in every process."""
    centers = np.random.default_rng(SEED).standard_normal((CLUSTERS, dim), dtype=np.float32)
    for block, start in enumerate(range(0, count, BLOCK)):
        rng = np.random.default_rng((SEED, dim, block))
        size = min(BLOCK, count - start)
        yield np.arange(start, start + size), _around(rng, centers, size)


def _queries(dim: int, count: int) -> np.ndarray:
    centers = np.random.default_rng(SEED).standard_normal((CLUSTERS, dim), dtype=np.float32)
    return _around(np.random.default_rng((SEED, dim, 1 << 30)), centers, count)


def _open(folder: Path) -> Any:
    from store.db import open_store

    return open_store(folder / "xqg.db")


def _write_set(
    store: Any, name: str, kind: str, dim: int, shard_size: int, blocks: Any
) -> tuple[Any, float, int]:
    """A vector set written through the store's writer: (set, seconds, bytes of its files)."""
    from store import runs, vectors
    from store.collections import ensure_collection

    collection = ensure_collection(store, "bench", "synthetic")
    run = runs.start_run(store, "index", name, {}, collection_id=collection.id)
    took = 0.0  # the writer's time only, not the making of the synthetic vectors
    with vectors.vector_writer(
        store,
        run_id=run.id,
        kind=kind,
        collection_id=collection.id,
        encoder="synthetic",
        encoder_config={},
        dim=dim,
        shard_size=shard_size,
    ) as writer:
        for keys, rows in blocks:
            started = time.perf_counter()
            writer.add(keys, rows)
            took += time.perf_counter() - started
        started = time.perf_counter()
    took += time.perf_counter() - started  # the last shard's close and registration
    runs.finish_run(store, run.id, {})
    written = vectors.run_vector_set(store, run.id, kind)
    size = sum(path.stat().st_size for path in vectors.run_files(store, run.id))
    return written, took, size


def _step_passages(args: argparse.Namespace) -> dict[str, Any]:
    with _open(args.folder) as store:
        blocks = _passage_blocks(args.dim, args.count)
        _, took, size = _write_set(store, "sharded", "passages", args.dim, args.shard_size, blocks)
        rss = _rss()
        blocks = _passage_blocks(args.dim, args.count)
        _write_set(store, "one", "passages", args.dim, args.count, blocks)
    return {"per_s": round(args.count / took), "rss": rss, "bytes_each": size / args.count}


def _pool(dim: int) -> np.ndarray:
    """The seeded generated-query vectors cycled as the encoder's output."""
    rng = np.random.default_rng((SEED, dim, 1 << 31))
    return rng.standard_normal((BLOCK, dim), dtype=np.float32)


def _step_queries(args: argparse.Namespace) -> dict[str, Any]:
    pool, total = _pool(args.dim), args.stored_queries
    blocks = (
        (np.arange(start, min(start + BLOCK, total)), pool[: min(BLOCK, total - start)])
        for start in range(0, total, BLOCK)
    )
    with _open(args.folder) as store:
        _, took, size = _write_set(
            store, "generated", "generations", args.dim, args.shard_size, blocks
        )
    return {"count": total, "per_s": round(total / took), "rss": _rss(), "bytes_each": size / total}


def _step_search(args: argparse.Namespace) -> dict[str, Any]:
    from pipelines.search import rank
    from store import runs, vectors

    queries = _queries(args.dim, args.queries)
    found: dict[str, Any] = {}
    with _open(args.folder) as store:
        for name in ("sharded", "one"):  # sharded first: its peak is the one reported
            run = runs.get_run(store, name, kind="index")
            index = vectors.open_index(store, vectors.run_vector_set(store, run.id, "passages"))
            started = time.perf_counter()
            ids, scores = rank(index, queries, DEPTH)
            found[f"{name}_s"] = round(time.perf_counter() - started, 3)
            found.setdefault("rss", _rss())
            found["shards" if name == "sharded" else "_"] = len(index.shards)
            np.savez(args.folder / f"{name}.npz", ids=ids, scores=scores)
    found.pop("_")
    return found


def _step_faiss(args: argparse.Namespace) -> dict[str, Any]:
    import faiss

    flat = faiss.IndexFlatIP(args.dim)
    for _, rows in _passage_blocks(args.dim, args.count):
        flat.add(rows)
    queries = _queries(args.dim, args.queries)
    started = time.perf_counter()
    scores, ids = flat.search(queries, DEPTH)
    took = time.perf_counter() - started
    np.savez(args.folder / "faiss.npz", ids=ids, scores=scores)
    return {"faiss_s": round(took, 3), "rss": _rss()}


def _step_fusion(args: argparse.Namespace) -> dict[str, Any]:
    """``augment``'s fusion over N x 35 vectors, then a memory copy of the same bytes."""
    from store import runs, vectors
    from store.collections import ensure_collection

    pool, total, _Timed = _pool(args.dim), args.count * PER_PASSAGE, _timed_fusion()
    with _open(args.folder) as store:
        base = vectors.run_vector_set(store, runs.get_run(store, "sharded").id, "passages")
        baseline = vectors.open_index(store, base)
        passage_ids = np.sort(np.asarray(baseline.keys, dtype=np.int64))
        collection = ensure_collection(store, "bench", "synthetic")
        run = runs.start_run(store, "augment", "fused", {}, collection_id=collection.id)
        params = {"alpha": 0.01, "aggregation": "sum", "center": False}
        started = time.perf_counter()
        with (
            vectors.vector_writer(
                store,
                run_id=run.id,
                kind="passages",
                collection_id=collection.id,
                encoder="synthetic",
                encoder_config={},
                dim=args.dim,
                shard_size=args.shard_size,
            ) as writer,
            _Timed(store, run, writer, baseline, passage_ids, params) as fusion,
        ):
            for start in range(0, total, BLOCK):
                size = min(BLOCK, total - start)
                rows = np.arange(start, start + size) // PER_PASSAGE
                fusion.add(rows, pool[:size])
            counts = fusion.close()
        took = time.perf_counter() - started
    assert (counts == PER_PASSAGE).all()
    rss, copy_s = _rss(), _copy_seconds(pool, total)
    gigabytes = total * args.dim * 4 / 1e9
    return {
        "gb": round(gigabytes, 2),
        "fusion_s": round(took, 2),
        "adding_s": round(took - fusion.write_s, 2),
        "copy_s": round(copy_s, 2),
        "rss": rss,
    }


def _timed_fusion() -> Any:
    """``augment``'s ``_Fusion``, also counting the seconds spent writing fused blocks (the
    baseline read, the combination and the shard write): the rest is the adding."""
    from pipelines.augment import _Fusion

    class Timed(_Fusion):
        write_s = 0.0

        def _write(self, ids: np.ndarray, totals: np.ndarray, counts: np.ndarray) -> None:
            started = time.perf_counter()
            super()._write(ids, totals, counts)
            self.write_s += time.perf_counter() - started

    return Timed


def _copy_seconds(pool: np.ndarray, total: int) -> float:
    target = np.empty_like(pool)
    started = time.perf_counter()
    for start in range(0, total, BLOCK):
        size = min(BLOCK, total - start)
        np.copyto(target[:size], pool[:size])
    return time.perf_counter() - started


def _step_sqlite(args: argparse.Namespace) -> dict[str, Any]:
    """``bench_store.py``'s generated-query rows through the store API; its numbers back."""
    from benchmarks import bench_store
    from store.records import PassageRecord

    rng = np.random.default_rng(SEED)
    vocabulary = [bench_store._word(rng) for _ in range(5_000)]
    passages = [
        PassageRecord(f"doc{i}", f"Title {i}", " ".join(rng.choice(vocabulary, 100)))
        for i in range(args.sqlite_passages)
    ]
    queries = [" ".join(rng.choice(vocabulary, 6)) + "?" for _ in range(997)]
    with tempfile.TemporaryDirectory(dir=args.folder) as work:
        written, fts = bench_store._generation_rows(Path(work), passages, queries)[:2]
    rate, row_bytes = _numbers(written["xqg"])
    fts_rate, fts_bytes = _numbers(fts["xqg"])
    return {"rows_s": rate, "bytes_row": row_bytes, "fts_rows_s": fts_rate, "fts_bytes": fts_bytes}


def _numbers(cell: str) -> list[float]:
    """The numbers of a table cell such as '320,000 (79 B/row)'."""
    import re

    return [float(x.replace(",", "")) for x in re.findall(r"[\d,]*\d(?:\.\d+)?", cell)][:2]


STEPS = {
    "passages": _step_passages,
    "queries": _step_queries,
    "search": _step_search,
    "faiss": _step_faiss,
    "fusion": _step_fusion,
    "sqlite": _step_sqlite,
}


def _rows(dim: int, count: int, found: dict[str, Any]) -> list[Row]:
    """The table rows of one dimension (printed as ``make bench`` prints them)."""
    from benchmarks.bench_all import _table

    written, stored = found["passages"], found["queries"]
    search, flat, fusion = found["search"], found["faiss"], found["fusion"]
    size = f"{count:,} x {dim}"
    rows = [
        Row(
            benchmark=f"passage shards written, {size} (vectors/s)",
            xqg=f"{written['per_s']:,} ({_gb(written['rss'])} peak)",
            alternative=f"{written['bytes_each']:,.0f} bytes a vector on disk",
            ratio=float("nan"),
            identical="-",
        ),
        Row(
            benchmark=f"generated-query vectors stored, {stored['count']:,} x {dim}",
            xqg=f"{stored['per_s']:,} ({_gb(stored['rss'])} peak)",
            alternative=f"{stored['bytes_each']:,.0f} bytes a vector on disk",
            ratio=float("nan"),
            identical="-",
        ),
        Row(
            benchmark=f"exact search {size}, {search['shards']} shards vs FAISS IndexFlatIP",
            xqg=f"{seconds(search['sharded_s'])} ({_gb(search['rss'])} peak)",
            alternative=f"{seconds(flat['faiss_s'])} ({_gb(flat['rss'])} peak)",
            ratio=round(flat["faiss_s"] / search["sharded_s"], 2),
            identical=search["vs_faiss"],
        ),
        Row(
            benchmark=f"exact search {size}, {search['shards']} shards vs 1",
            xqg=seconds(search["sharded_s"]),
            alternative=f"{seconds(search['one_s'])} (1 shard)",
            ratio=round(search["one_s"] / search["sharded_s"], 2),
            identical="yes" if search["one_vs_many"] else "NO",
        ),
        Row(
            benchmark=f"fusion {size} x {PER_PASSAGE}, adding (GB/s; with writes)",
            xqg=(
                f"{fusion['gb'] / fusion['adding_s']:.2f} ({fusion['gb'] / fusion['fusion_s']:.2f}"
                f"; {_gb(fusion['rss'])} peak)"
            ),
            alternative=f"{fusion['gb'] / fusion['copy_s']:.2f} (memory copy)",
            ratio=round(fusion["copy_s"] / fusion["adding_s"], 2),
            identical="n/a",
        ),
    ]
    print("\n".join(_table(rows)))
    return rows


def _gb(value: float) -> str:
    return f"{value / 1e9:.2f} GB"


def _projection(
    args: argparse.Namespace, found: dict[str, Any], sqlite: dict[str, Any]
) -> list[Row]:
    """RAM, disk and hours of every step at 18M / 630M / 768 from the 768 rates measured."""
    gpus, hour = args.gpus, 3600.0
    written, stored, fusion = found["passages"], found["queries"], found["fusion"]
    search = found["search"]
    dots = found["count"] * args.queries / search["sharded_s"]  # query x passage a second
    fusion_bytes = PAPER_QUERIES * PAPER_DIM * 4
    table = [
        (
            "encode passages",
            f"GPU x {gpus}, ASSUMED {args.gpu_passages:,.0f}/s each",
            "-",
            "-",
            PAPER_PASSAGES / (args.gpu_passages * gpus),
        ),
        (
            "write passage shards",
            "CPU, measured",
            _gb(written["rss"]),
            _gb(PAPER_PASSAGES * written["bytes_each"]),
            PAPER_PASSAGES / written["per_s"],
        ),
        (
            "store generated-query rows (SQLite)",
            "CPU, measured",
            "-",
            _gb(PAPER_QUERIES * sqlite["bytes_row"]),
            PAPER_QUERIES / sqlite["rows_s"],
        ),
        (
            "  their trigram FTS (optional)",
            "CPU, measured",
            "-",
            _gb(PAPER_QUERIES * sqlite["fts_bytes"]),
            PAPER_QUERIES / sqlite["fts_rows_s"],
        ),
        (
            "encode generated queries",
            f"GPU x {gpus}, ASSUMED {args.gpu_queries:,.0f}/s each",
            "-",
            "-",
            PAPER_QUERIES / (args.gpu_queries * gpus),
        ),
        (
            "  store their vectors (not with --stream)",
            "CPU, measured",
            _gb(stored["rss"]),
            _gb(PAPER_QUERIES * stored["bytes_each"]),
            PAPER_QUERIES / stored["per_s"],
        ),
        (
            "fuse (augment)",
            "CPU, measured",
            _gb(fusion["rss"]),
            _gb(PAPER_PASSAGES * written["bytes_each"]),
            fusion_bytes / (fusion["gb"] * 1e9 / fusion["fusion_s"]),
        ),
        (
            f"exact search, {args.eval_queries:,} queries",
            "CPU, measured",
            _gb(search["rss"]),
            "-",
            args.eval_queries * PAPER_PASSAGES / dots,
        ),
    ]
    print(
        f"\nProjection: {PAPER_PASSAGES / 1e6:.0f}M passages, {PAPER_QUERIES / 1e6:.0f}M "
        f"generated queries, {PAPER_DIM} dims float32, shards of {args.shard_size:,}; CPU "
        f"rates measured here at {found['count']:,} x {PAPER_DIM} on one process; GPU "
        "rates are ASSUMPTIONS (--gpu-passages, --gpu-queries)"
    )
    header = ("step", "where, rate", "peak RAM", "disk", "hours")
    cells = [header] + [(s, w, r, d, f"{h / hour:,.2f}") for s, w, r, d, h in table]
    widths = [max(len(c[i]) for c in cells) for i in range(len(header))]
    for line in cells:
        print("| " + " | ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)) + " |")
    return []


def _targets(found: dict[str, Any], count: int) -> bool:
    """Issue 12's targets at this size (1M x 384 by default); prints each."""
    search, flat, fusion = found["search"], found["faiss"], found["fusion"]
    checks = {
        f"search peak RSS < 2 GB ({_gb(search['rss'])})": search["rss"] < TARGET_RSS,
        f"augment fusion peak RSS < 2 GB ({_gb(fusion['rss'])})": fusion["rss"] < TARGET_RSS,
        "1 shard vs many shards identical": search["one_vs_many"],
        f"exact search >= 0.8x FAISS ({flat['faiss_s'] / search['sharded_s']:.2f}x), "
        f"top-{DEPTH} identical ({search['vs_faiss']})": flat["faiss_s"] / search["sharded_s"]
        >= 0.8
        and search["vs_faiss"] == "yes",
        f"fusion (adding) >= 0.3 of memory copy ({fusion['copy_s'] / fusion['adding_s']:.2f}; "
        f"{fusion['copy_s'] / fusion['fusion_s']:.2f} with the fused blocks' writes)": fusion[
            "copy_s"
        ]
        / fusion["adding_s"]
        >= 0.3,
    }
    print(f"\nTargets at {count:,} x 384:")
    for what, met in checks.items():
        print(f"  {'met    ' if met else 'NOT met'} {what}")
    return all(checks.values())


if __name__ == "__main__":
    sys.exit(main())
