"""Errors the store raises; the command line turns them into messages and exit codes."""

from __future__ import annotations


class StoreError(Exception):
    """A database or vector file that cannot be used as asked."""


class ConflictError(StoreError):
    """Incoming data contradicts what the store already holds (same id, other content)."""


class NotFoundError(StoreError):
    """A run, collection or file that the caller named does not exist."""
