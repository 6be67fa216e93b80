"""Fenced blocks of the project's Markdown, and the shell commands of console blocks.

The convention (docs/README.md): commands are in ```console blocks, one per ``$ `` line, a
trailing backslash continues it; other lines are output the command must print. The line
before a block may say how it is tested: ``<!-- doc-test: run -->``,
``<!-- doc-test: parse (reason) -->`` or ``<!-- doc-test: file NAME -->``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

FENCE = re.compile(r"^```(\S*)\s*$")
ANNOTATION = re.compile(r"^<!--\s*doc-test:\s*(run|parse|file)\b\s*(.*?)\s*-->$")
ELLIPSIS = "..."


@dataclass(frozen=True)
class Block:
    """One fenced block: where it is, its language, how it is tested, its text."""

    path: Path
    line: int
    language: str
    mode: str | None
    argument: str
    text: str

    @property
    def where(self) -> str:
        """``file:line`` of the opening fence."""
        return f"{self.path.name}:{self.line}"


@dataclass
class Command:
    """One shell command of a console block and the output lines shown under it."""

    text: str
    line: int
    output: list[str] = field(default_factory=list)


def read_blocks(path: Path) -> list[Block]:
    """Every fenced block of a Markdown file, with the doc-test comment just before it."""
    blocks: list[Block] = []
    lines = path.read_text("utf-8").splitlines()
    index = 0
    while index < len(lines):
        opening = FENCE.match(lines[index])
        if opening is None:
            index += 1
            continue
        end = next(
            (j for j in range(index + 1, len(lines)) if lines[j].strip() == "```"), len(lines)
        )
        mode, argument = _annotation(lines[index - 1] if index else "")
        text = "\n".join(lines[index + 1 : end])
        blocks.append(Block(path, index + 1, opening.group(1), mode, argument, text))
        index = end + 1
    return blocks


def _annotation(line: str) -> tuple[str | None, str]:
    match = ANNOTATION.match(line.strip())
    if match is None:
        return None, ""
    return match.group(1), match.group(2).strip()


def read_commands(block: Block) -> list[Command]:
    """The ``$ `` commands of a console block, continuation lines joined, with their output."""
    commands: list[Command] = []
    lines = block.text.splitlines()
    index = 0
    while index < len(lines):
        line = lines[index]
        if line.startswith("$ "):
            parts, start = [line[2:]], index
            while parts[-1].rstrip().endswith("\\") and index + 1 < len(lines):
                index += 1
                parts.append(lines[index])
            commands.append(Command("\n".join(parts), block.line + 1 + start))
        elif line.strip() and line.strip() != ELLIPSIS:
            if not commands:
                raise ValueError(f"{block.where}: output line before any command: {line!r}")
            commands[-1].output.append(line.strip())
        index += 1
    return commands
