"""Errors a user can act on. The command line maps InputError to exit code 2."""

from __future__ import annotations

from pathlib import Path


class InputError(Exception):
    """Bad input: says which file, which line, what was expected and what to do."""

    def __init__(
        self, message: str, path: str | Path | None = None, line: int | None = None
    ) -> None:
        self.path = None if path is None else str(path)
        self.line = line
        self.message = message
        where = "" if path is None else f"{path}:{line}: " if line else f"{path}: "
        super().__init__(f"{where}{message}")


class StepError(Exception):
    """A step that cannot run as asked (missing model, missing parent run, ...)."""
