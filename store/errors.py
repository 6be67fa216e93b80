"""Errors the store raises; the command line turns them into messages and exit codes."""

from __future__ import annotations


class StoreError(Exception):
    """A database or vector file that cannot be used as asked."""


class ConflictError(StoreError):
    """Incoming data contradicts what the store already holds (same id, other content).

    ``what`` names the kind of row (``passage``, ``query``, ...) and ``keys`` the ids in
    question, so that a reader that knows where each id came from can name the file and line.
    """

    def __init__(self, message: str, what: str = "", keys: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.what = what
        self.keys = keys


class NotFoundError(StoreError):
    """A run, collection or file that the caller named does not exist."""
