"""Errors a user can act on. The command line maps InputError to exit code 2."""

from __future__ import annotations

from pathlib import Path

# How much of a value from a file a message or a run summary quotes: a 50 MB "docid" is
# data, not something to print twice and store in every summary.
QUOTED = 120
# The longest message an error carries, whatever it quotes.
MESSAGE = 4_000


def shorten(value: object, limit: int = QUOTED) -> str:
    """``value`` as text of at most about ``limit`` characters, saying how long it was."""
    text = str(value)
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… ({len(text):,} characters)"


class InputError(Exception):
    """Bad input: says which file, which line, what was expected and what to do."""

    def __init__(
        self, message: str, path: str | Path | None = None, line: int | None = None
    ) -> None:
        self.path = None if path is None else str(path)
        self.line = line
        self.message = message = shorten(message, MESSAGE)
        where = "" if path is None else f"{path}:{line}: " if line else f"{path}: "
        super().__init__(f"{where}{message}")


class StepError(Exception):
    """A step that cannot run as asked (missing model, missing parent run, ...)."""
