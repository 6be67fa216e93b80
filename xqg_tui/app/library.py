"""The app's read access to one database, shared by worker threads.

Screens and widgets never write SQL: they pass a :mod:`store.browse` (or other store or
pipeline) function to :meth:`Library.read`, which calls it with the open store. One
connection serves every worker, one call at a time (long reads get a connection of their
own); each call fetches its rows completely, so no read transaction stays open and a
pipeline writing to the same file is never blocked.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Concatenate, ParamSpec, TypeVar

from store import Store, open_store
from store.browse import DatabaseSummary, database_summary
from store.errors import StoreError

P = ParamSpec("P")
T = TypeVar("T")


class Library:
    """An open xqg database for reading, safe to use from several threads."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._lock = threading.Lock()

    @classmethod
    def open(cls, path: str | Path) -> Library:
        """Open an existing xqg database; never creates or converts a file.

        Raises:
            NotFoundError: there is no file at ``path``.
            StoreError: the file is empty, not SQLite, another program's database, or of a
                newer schema than this xqg knows.
        """
        path = Path(path)
        if path.is_file() and path.stat().st_size == 0:
            raise StoreError(
                f"{path}: an empty file, not an xqg database; create one with "
                "`xqg ingest ...` or `xqg demo`"
            )
        return cls(open_store(path, create=False))

    @property
    def path(self) -> Path:
        """The database file."""
        return self._store.path

    def read(
        self, function: Callable[Concatenate[Store, P], T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """Call ``function(store, *args, **kwargs)`` with the lock held."""
        with self._lock:
            return function(self._store, *args, **kwargs)

    def read_apart(
        self, function: Callable[Concatenate[Store, P], T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """Call ``function`` on a connection of its own: for long reads (an evaluation
        report) that must not hold up the short ones."""
        with open_store(self.path, create=False) as store:
            return function(store, *args, **kwargs)

    def summary(self) -> DatabaseSummary:
        """What the database holds."""
        return self.read(database_summary)

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            self._store.close()
