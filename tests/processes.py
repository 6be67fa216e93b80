"""Real ``xqg`` processes for tests that stop them (kill -9, Ctrl-C) or run them side by side."""

from __future__ import annotations

import signal
import sys
from pathlib import Path


def xqg_command() -> list[str]:
    """The ``xqg`` entry point of this environment, or ``python -m xqg_tui``."""
    script = Path(sys.executable).with_name("xqg")
    return [str(script)] if script.exists() else [sys.executable, "-m", "xqg_tui"]


def default_sigint() -> None:
    """Ctrl-C reaches the child even when the tests run where SIGINT is ignored (background)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
