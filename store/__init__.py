"""Persistence for xqg: the SQLite schema, run records and usearch vector files.

Modules: :mod:`store.db` opens the database, :mod:`store.collections` holds passages and
queries, :mod:`store.runs` run records, :mod:`store.lifecycle` the one life of a step's run (claim,
reuse, resume, replace, finish, stale runs, gc) and :mod:`store.owners` the processes that
own running runs, :mod:`store.generations` generated queries,
:mod:`store.vectors` vector files, :mod:`store.results` rankings and metric values.
"""

from store.db import Store, open_store
from store.errors import ConflictError, NotFoundError, StoreError

__all__ = ["ConflictError", "NotFoundError", "Store", "StoreError", "open_store"]
