"""A query's ranking packed into two byte strings, one row per (search run, query).

Passage ids are big-endian unsigned 32-bit integers, 0 standing for a docid the collection
does not hold (an imported run's unknown docid; stored ids start at 1); scores are
big-endian IEEE doubles, NaN where none is known. Rank = position + 1. 12 bytes a ranked
passage, where a row per passage with its indexes took about 44. Big-endian so that the
``results`` view can read them back in plain SQL (:data:`RESULTS_VIEW`).
"""

from __future__ import annotations

import math
import struct
from collections.abc import Sequence

MAX_PASSAGE_ID = 2**32 - 1
# 2**-1074 (the smallest subnormal) to 2**971: the powers a double's bits are scaled by
POWERS = range(-1074, 972)


def pack(ranked: Sequence[tuple[int | None, float | None]]) -> tuple[bytes, bytes]:
    """(passage ids, scores) of a ranking, best first; None: unknown passage or score."""
    ids = [passage or 0 for passage, _ in ranked]
    if ids and max(ids) > MAX_PASSAGE_ID:
        raise ValueError(f"passage id {max(ids)} does not fit in 32 bits")
    scores = [math.nan if score is None else score for _, score in ranked]
    return struct.pack(f">{len(ids)}I", *ids), struct.pack(f">{len(scores)}d", *scores)


def unpack(
    passages: bytes, scores: bytes, depth: int | None = None
) -> list[tuple[int | None, float | None]]:
    """The ranking :func:`pack` packed, its first ``depth`` ranks (all when None)."""
    count = len(passages) // 4 if depth is None else min(depth, len(passages) // 4)
    ids = struct.unpack_from(f">{count}I", passages)
    values = struct.unpack_from(f">{count}d", scores)
    return [
        (passage or None, None if math.isnan(score) else score)
        for passage, score in zip(ids, values, strict=True)
    ]


def _hex_integer(hex_text: str, first: int, digits: int) -> str:
    """SQL: the integer spelt by ``digits`` hex digits of ``hex_text`` from ``first``."""
    value = "0"
    for position in range(first, first + digits):
        digit = f"(instr('0123456789ABCDEF', substr({hex_text}, {position}, 1)) - 1)"
        value = f"({value} * 16 + {digit})"
    return value


# One row per ranked passage, in plain SQL (no math functions): the positions of the
# longest ranking, each row's bytes at a position as hex, a double rebuilt from its sign,
# exponent and mantissa with the power of two from ``powers_of_two``.
RESULTS_VIEW = f"""
CREATE VIEW results (run_id, query_id, rank, passage_id, score) AS
WITH RECURSIVE positions (n) AS (
    SELECT 0 UNION ALL SELECT n + 1 FROM positions
    WHERE n + 1 < (SELECT max(length(passages)) / 4 FROM rankings)
),
cells AS (
    SELECT r.run_id, r.query_id, n + 1 AS rank,
        {_hex_integer("hex(substr(r.passages, 4 * n + 1, 4))", 1, 8)} AS passage_id,
        {_hex_integer("hex(substr(r.scores, 8 * n + 1, 8))", 1, 3)} AS top,
        {_hex_integer("hex(substr(r.scores, 8 * n + 1, 8))", 4, 13)} AS mantissa
    FROM rankings AS r JOIN positions ON n < length(r.passages) / 4
)
SELECT c.run_id, c.query_id, c.rank, c.passage_id,
    CASE WHEN c.top % 2048 = 2047 THEN NULL
    ELSE (1 - 2 * (c.top / 2048))
        * (CASE WHEN c.top % 2048 = 0 THEN c.mantissa ELSE c.mantissa + 4503599627370496 END)
        * p.value
    END
FROM cells AS c JOIN powers_of_two AS p
    ON p.exponent = CASE WHEN c.top % 2048 = 0 THEN -1074 ELSE c.top % 2048 - 1075 END
WHERE c.passage_id > 0
"""
