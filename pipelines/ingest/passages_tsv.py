"""The DPR / XOR-TyDi passage corpus: ``psgs_w100.tsv`` (``id<TAB>text<TAB>title``, a header
line, 21M lines, several GB), plain or gzipped, streamed.

Memory stays flat in the file size: the file is read twice, line by line, once to check
every line (a bad line stops with its file:line before anything is written) and once to
store the passages a batch at a time, each batch its own transaction. A re-run, after a
kill or with more lines, re-reads the file and adds only what is not stored yet (a passage
stored with identical text is skipped, never added twice); a docid that comes back with
other text stops at its line. At 18M passages SQLite grows by about the file's size
(plus its full-text index); memory holds one batch.
"""

from __future__ import annotations

import gzip
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from pipelines.errors import InputError
from pipelines.ingest.records import require_file
from pipelines.progress import SILENT, Progress
from pipelines.steps import run_step
from store import collections, runs
from store.db import Store
from store.errors import ConflictError
from store.records import PassageRecord, Run

HEADER = ("id", "text", "title")
BATCH = 10_000
SOURCE = "dpr-tsv"


@contextmanager
def _open(path: Path) -> Iterator[tuple[Iterable[bytes], IO[bytes]]]:
    """(the file's bytes, gunzipped when it is gzip by its magic number; the file on disk,
    whose position tells the progress)."""
    with open(path, "rb") as raw:
        gzipped = raw.read(2) == b"\x1f\x8b"
        raw.seek(0)
        if not gzipped:
            yield raw, raw
            return
        with gzip.open(raw) as unzipped:
            yield unzipped, raw


def iter_passages_tsv(path: str | Path) -> Iterator[tuple[int, int, PassageRecord]]:
    """(line number, bytes read of the file on disk, passage) for every passage line.

    Raises:
        InputError: a missing file, a missing header, a line without three tab-separated
            fields, an empty id or text, bytes that are not UTF-8 (each with file:line).
    """
    path = Path(path)
    require_file(path, "no such passage file; give a DPR/XOR-TyDi passage TSV (id, text, title)")
    with _open(path) as (handle, disk):
        try:
            for number, raw in enumerate(handle, start=1):
                fields = _fields(raw, path, number)
                if number == 1:
                    if tuple(f.strip().lower() for f in fields) != HEADER:
                        raise InputError(
                            f"the first line is {'|'.join(fields)!r}; expected the header "
                            "id<TAB>text<TAB>title",
                            path,
                            number,
                        )
                    continue
                passage = _passage(fields, path, number)
                if passage is not None:
                    yield number, disk.tell(), passage
        except (OSError, EOFError) as error:  # a truncated or corrupt gzip stream
            raise InputError(f"cannot be read to its end ({error})", path) from None


def _fields(raw: bytes, path: Path, number: int) -> list[str]:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise InputError(
            f"not UTF-8 text (byte 0x{raw[error.start]:02x} at column {error.start + 1})",
            path,
            number,
        ) from None
    if number == 1:
        text = text.removeprefix("\ufeff")
    return text.rstrip("\r\n").split("\t")


def _passage(fields: list[str], path: Path, number: int) -> PassageRecord | None:
    if fields == [""]:
        return None  # a blank line
    if len(fields) != 3:
        raise InputError(
            f"found {len(fields)} tab-separated fields; expected 3 (id, text, title)",
            path,
            number,
        )
    docid, text, title = (field.strip() for field in fields)
    if not docid or not text:
        raise InputError(f"empty {'id' if not docid else 'text'}", path, number)
    return PassageRecord(docid, title, text)


def check_passages_tsv(path: str | Path, progress: Progress = SILENT) -> int:
    """Read every line once and count the passages; a bad line stops here."""
    size = Path(path).stat().st_size
    count = 0
    with progress.task(f"checking {Path(path).name}", size) as advance:
        done = 0
        for _, position, _ in iter_passages_tsv(path):
            count += 1
            if count % BATCH == 0:
                advance(position - done)
                done = position
        advance(size - done)
    if count == 0:
        raise InputError("the passage file holds no passages", path)
    return count


def ingest_passages_tsv(
    store: Store,
    path: str | Path,
    collection: str = "xor-tydi",
    *,
    name: str | None = None,
    batch: int = BATCH,
    checked: int | None = None,
    progress: Progress = SILENT,
) -> Run:
    """Add a passage TSV to a collection, a batch at a time (see the module doc).

    ``checked``: the passage count :func:`check_passages_tsv` gave, when the caller checked
    the file before opening the store; else the file is checked here first.
    """
    path = Path(path)
    total = checked if checked is not None else check_passages_tsv(path, progress)
    params = {"source": SOURCE, "collection": collection, "file": str(path.resolve())}

    def body(run: Run) -> dict[str, Any]:
        target = collections.ensure_collection(store, collection, SOURCE)
        runs.set_collection(store, run.id, target.id)
        added = 0
        with progress.task(f"storing {path.name}", total) as advance:
            for chunk in _batches(path, batch):
                added += _store_batch(store, target.id, chunk, path)
                advance(len(chunk))
        added_rows = {"passages": added, "queries": 0, "qrels": 0, "answers": 0}
        return {"files": [str(path)], "passages": total, "added": added_rows}

    return run_step(
        store,
        "ingest",
        params,
        body,
        name=name,
        default_name=f"ingest-{collection}-passages",
        progress=progress,
    )


def _batches(path: Path, size: int) -> Iterator[dict[str, tuple[int, PassageRecord]]]:
    """Passages by docid, ``size`` lines at a time (a docid repeated in a batch: first wins;
    a repeat with other text is refused when it is stored)."""
    chunk: dict[str, tuple[int, PassageRecord]] = {}
    for number, _, passage in iter_passages_tsv(path):
        first = chunk.setdefault(passage.docid, (number, passage))
        if first[1] != passage:
            raise InputError(
                f"passage id {passage.docid!r} appears again with different text (first at "
                f"line {first[0]}); ids must be unique",
                path,
                number,
            )
        if len(chunk) >= size:
            yield chunk
            chunk = {}
    if chunk:
        yield chunk


def _store_batch(
    store: Store, collection_id: int, chunk: dict[str, tuple[int, PassageRecord]], path: Path
) -> int:
    try:
        return collections.add_passages(store, collection_id, [p for _, p in chunk.values()])
    except ConflictError as error:
        line = next((chunk[key][0] for key in error.keys if key in chunk), None)
        raise InputError(f"{error.message} (stored earlier with other text)", path, line) from None
