"""Committing finished batches on a thread of its own, so the model never waits for SQLite.

Inserting a generated query costs about 0.1 ms, most of it in the trigram full-text index:
as much as a GPU takes to generate it. The writer thread has its own connection and commits
one transaction per batch (the batch's rows and its ``generation_batches`` record), while
the model already works on the next batches; a short queue keeps memory bounded.
"""

from __future__ import annotations

import queue
import threading
from pathlib import Path
from types import TracebackType
from typing import NamedTuple

from pipelines.generations.detection import with_detected
from pipelines.generations.generator import BatchOutput
from pipelines.generations.plan import Batch
from store import generations
from store.db import Store, open_store
from store.generations import GenerationBatch

QUEUE_BATCHES = 4
POLL_S = 0.1


class _Finished(NamedTuple):
    batch: Batch
    output: BatchOutput


class BatchWriter:
    """Writes batches of one run and shard in the background; use as a context manager.

    Both sides wait with timeouts: Ctrl-C can interrupt the main thread inside a queue
    operation and lose a wake-up, which must not leave either thread asleep for good.
    """

    def __init__(self, path: Path, run_id: int, shard: str) -> None:
        self.run_id, self.shard = run_id, shard
        self._queue: queue.Queue[_Finished] = queue.Queue(maxsize=QUEUE_BATCHES)
        self._closing = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._write_all, args=(path,), daemon=True)
        self._thread.start()

    def put(self, batch: Batch, output: BatchOutput) -> None:
        """Queue a finished batch (waits while the queue is full)."""
        finished = _Finished(batch, output)
        while True:
            self._raise_error()
            try:
                self._queue.put(finished, timeout=POLL_S)
                return
            except queue.Full:
                continue

    def close(self) -> None:
        """Write what is queued, stop the thread, and raise its error if it had one."""
        self._closing.set()
        self._thread.join()
        self._raise_error()

    def __enter__(self) -> BatchWriter:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        # On Ctrl-C too, batches already generated are committed before the run stops;
        # the step's own error wins over one of the writer.
        if error is None:
            self.close()
            return
        self._closing.set()
        self._thread.join()

    def _raise_error(self) -> None:
        if self._error is not None:
            raise self._error

    def _write_all(self, path: Path) -> None:
        with open_store(path, create=False) as store:
            while True:
                try:
                    finished = self._queue.get(timeout=POLL_S)
                except queue.Empty:
                    if self._closing.is_set():
                        return
                    continue
                if self._error is None:
                    try:
                        self._write(store, finished)
                    except BaseException as error:  # reported by the next put() or close()
                        self._error = error

    def _write(self, store: Store, finished: _Finished) -> None:
        batch, output = finished
        counts = output.counts
        record = GenerationBatch(
            batch.number,
            len(batch.passage_ids),
            output.samples,
            len(output.records),
            counts.empty,
            counts.copies,
            counts.duplicates,
            round(output.seconds, 4),
            self.shard,
            output.device,
        )
        generations.add_generation_batch(store, self.run_id, record, with_detected(output.records))
