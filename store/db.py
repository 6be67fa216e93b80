"""The one place that opens an xqg database.

SQLite in WAL mode (readers never block the writer), foreign keys enforced, schema migrated
on open. Writes go through :meth:`Store.transaction` so that a step's outputs land together
or not at all.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from store.errors import NotFoundError, StoreError
from store.schema import APPLICATION_ID, MIGRATIONS, SCHEMA_VERSION

BUSY_TIMEOUT_S = 30.0
# PRAGMAs take no parameters: their statements are built once, from this package's integers.
APPLICATION_ID_PRAGMA = f"PRAGMA application_id = {int(APPLICATION_ID)}"
USER_VERSION_PRAGMA = f"PRAGMA user_version = {int(SCHEMA_VERSION)}"


class Store:
    """An open xqg database and the folder that holds its vector files."""

    def __init__(self, path: Path, conn: sqlite3.Connection) -> None:
        self.path = path
        self.conn = conn
        self._depth = 0

    @property
    def db(self) -> Any:
        """The connection as a ``sqlite_utils.Database`` (imported on first use: it pulls in
        pandas when that is installed, which would slow every command's start)."""
        import sqlite_utils

        return sqlite_utils.Database(self.conn)

    @property
    def vectors_dir(self) -> Path:
        """Folder for the usearch files of this database (``xqg.db`` -> ``xqg.vectors/``)."""
        return self.path.with_suffix(".vectors")

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Run the block in one write transaction; nested blocks join the outer one."""
        if self._depth:
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
            return
        self.conn.execute("BEGIN IMMEDIATE")
        self._depth = 1
        try:
            yield
            self.conn.execute("COMMIT")
        except BaseException:
            # SQLite may have rolled back already (a full disk, an I/O error): a second
            # ROLLBACK would hide the real cause behind "no transaction is active".
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            raise
        finally:
            self._depth = 0

    def execute(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> sqlite3.Cursor:
        """Execute one parameterised statement."""
        return self.conn.execute(sql, params)

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> sqlite3.Cursor:
        """Execute one parameterised statement for many rows."""
        return self.conn.executemany(sql, rows)

    def rows(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[dict[str, Any]]:
        """Rows of a parameterised SELECT as dicts."""
        cursor = self.conn.execute(sql, params)
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def scalar(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> Any:
        """The first column of the first row, or None."""
        row = self.conn.execute(sql, params).fetchone()
        return None if row is None else row[0]

    def close(self) -> None:
        """Close the connection."""
        self.conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_store(path: str | Path, *, create: bool = True) -> Store:
    """Open (and when asked, create) the database at ``path`` and migrate it to this schema.

    Raises:
        NotFoundError: the file does not exist and ``create`` is false.
        StoreError: the file is not SQLite, belongs to another program, or was written by a
            newer xqg.
    """
    path = Path(path)
    if path.is_dir():
        raise StoreError(f"{path}: is a folder; give the path of a database file (e.g. xqg.db)")
    if path.exists() and not (os.access(path, os.W_OK) and os.access(path.parent, os.W_OK)):
        return _open_read_only(path)
    if not path.exists():
        if not create:
            raise NotFoundError(f"{path}: no such database; run `xqg ingest ...` to create one")
        path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(
        path, isolation_level=None, timeout=BUSY_TIMEOUT_S, check_same_thread=False
    )
    try:
        _check(conn, path, create=create)  # before anything is written to the file
        _configure(conn, path)
        _migrate(conn, path)
    except BaseException:
        conn.close()
        raise
    return Store(path, conn)


def _open_read_only(path: Path) -> Store:
    """A database on a read-only file system, or a read-only file: it can be read, not
    written. Where no -shm file can be made beside it, SQLite reads it as immutable."""
    from urllib.parse import quote

    immutable = "" if os.access(path.parent, os.W_OK) else "&immutable=1"
    uri = f"file:{quote(str(path.resolve()))}?mode=ro{immutable}"
    conn = sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT_S, check_same_thread=False)
    conn.isolation_level = None
    try:
        _check(conn, path, create=False)
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version < SCHEMA_VERSION:
            raise StoreError(
                f"{path}: written by an older xqg (schema {version}, this one reads "
                f"{SCHEMA_VERSION}) and read-only here; open it once where it can be written "
                "so that it is migrated"
            )
        conn.execute("PRAGMA foreign_keys = ON")
    except BaseException:
        conn.close()
        raise
    return Store(path, conn)


def _check(conn: sqlite3.Connection, path: Path, *, create: bool) -> None:
    """Refuse, without touching it, a file that is not SQLite, another program's database,
    one of a newer schema, or (unless ``create``) an SQLite file that is not yet ours."""
    try:
        app_id = conn.execute("PRAGMA application_id").fetchone()[0]
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        tables = conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
    except sqlite3.DatabaseError as error:
        raise StoreError(f"{path}: not an SQLite database ({error})") from error
    if app_id != APPLICATION_ID and tables:
        raise StoreError(
            f"{path}: an SQLite database of another program, not an xqg database; "
            "give a new path or an xqg database"
        )
    if version > SCHEMA_VERSION:
        raise StoreError(
            f"{path}: schema version {version} is newer than this xqg knows "
            f"({SCHEMA_VERSION}); upgrade xqg"
        )
    if app_id != APPLICATION_ID and not create and path.stat().st_size:
        raise StoreError(
            f"{path}: an empty SQLite file, not an xqg database yet; create one with "
            "`xqg ingest ...` or `xqg demo`"
        )


def _configure(conn: sqlite3.Connection, path: Path) -> None:
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA synchronous = NORMAL")


def _migrate(conn: sqlite3.Connection, path: Path) -> None:
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version == SCHEMA_VERSION:
        return
    # Foreign keys off while tables are rebuilt (SQLite's own recipe: a DROP would cascade),
    # and every reference checked before the migration commits.
    conn.execute("PRAGMA foreign_keys = OFF")
    try:
        _apply(conn, path)
    finally:
        conn.execute("PRAGMA foreign_keys = ON")


def _apply(conn: sqlite3.Connection, path: Path) -> None:
    conn.execute("BEGIN IMMEDIATE")
    try:
        # Read again under the write lock: another process may have migrated meanwhile.
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        for number in range(version, SCHEMA_VERSION):
            migration = MIGRATIONS[number]
            if callable(migration):
                migration(conn)
                continue
            for statement in _statements(migration):
                conn.execute(statement)
        broken = conn.execute("PRAGMA foreign_key_check").fetchall()
        if broken:
            raise StoreError(f"{path}: the migration would break references: {broken[:3]}")
        conn.execute(APPLICATION_ID_PRAGMA)
        conn.execute(USER_VERSION_PRAGMA)
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def _statements(script: str) -> Iterator[str]:
    """Split a migration into statements (``executescript`` would commit mid-way)."""
    buffer = ""
    for line in script.splitlines(keepends=True):
        if line.lstrip().startswith("--"):
            continue
        buffer += line
        if sqlite3.complete_statement(buffer):
            yield buffer.strip()
            buffer = ""
    if buffer.strip():
        raise StoreError(f"incomplete statement in migration: {buffer.strip()[:60]}")
