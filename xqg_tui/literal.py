"""Untrusted text shown literally: never read as markup, never reaching the terminal raw.

Passages, titles, queries, generations, run names, ids, file names and error details come
from data or from users. Given to Rich or Textual as a plain string, ``[@click=app.quit]``
would run an action, ``[link=...]`` would render a link and ``[/]`` would crash; an ESC
sequence would clear the screen, set the window title or hide a link (OSC 8), and a bidi
override would reorder what the reader sees. Every such text goes through this module:
:func:`visible` makes control characters visible as escapes (``\\x1b``, ``\\u202e``), and
:func:`literal` returns a :class:`rich.text.Text`, which neither library parses as markup.
"""

from __future__ import annotations

import re
from typing import Any

from rich.style import Style
from rich.text import Text

# C0 controls (but tab and newline), DEL, C1 controls, and the characters that reorder or
# hide text: bidi marks, embeddings, overrides and isolates, and the Arabic letter mark.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_ONE_LINE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def visible(text: object, *, one_line: bool = False) -> str:
    """``text`` as a string whose control characters are shown as escapes.

    Tabs and newlines are kept unless ``one_line``, where they become ``\\x09``/``\\x0a``
    too (table cells, titles and progress lines hold one line).
    """
    return (_ONE_LINE if one_line else _CONTROL).sub(_escape, str(text))


def visible_each(texts: list[str]) -> list[str]:
    """Each of ``texts`` on one line with its control characters visible (chart labels: plotext
    draws them as they are)."""
    return [visible(text, one_line=True) for text in texts]


def literal(
    text: object, style: str | Style = "", *, one_line: bool = False, **options: Any
) -> Text:
    """A :class:`~rich.text.Text` showing ``text`` literally, with an optional style
    (``options`` as for :class:`~rich.text.Text`, e.g. ``justify``)."""
    return Text(visible(text, one_line=one_line), style=style, **options)
