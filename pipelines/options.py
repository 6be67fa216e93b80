"""The option sets and defaults of the steps, each written once.

A ``Literal`` types the option for mypy; the tuple beside it (read from the ``Literal``) gives
the command line its ``choices`` and the steps their checks. This module imports nothing
heavy, so the ``xqg`` command line reads it without slowing ``xqg --help``.
"""

from __future__ import annotations

from typing import Literal, get_args

# xQG fusion: how a passage's generated-query vectors are combined, and their weight.
Aggregation = Literal["sum", "mean"]
AGGREGATIONS: tuple[Aggregation, ...] = get_args(Aggregation)
DEFAULT_ALPHA = 0.01  # the paper's fusion weight
SWEEP_ALPHAS = (0.0, 0.005, 0.01, 0.02, 0.05)

# Encoders.
Pooling = Literal["cls", "mean"]
POOLINGS: tuple[Pooling, ...] = get_args(Pooling)
# What an hf: encoder computes in: ``auto`` is bfloat16 where the hardware runs it fast
# (CPUs with AMX or AVX-512-bf16, CUDA devices with bf16), float32 elsewhere.
EncoderPrecision = Literal["auto", "fp32", "bf16"]
ENCODER_PRECISIONS: tuple[EncoderPrecision, ...] = get_args(EncoderPrecision)

# Encoder training.
Similarity = Literal["dot", "cos"]
SIMILARITIES: tuple[Similarity, ...] = get_args(Similarity)
Precision = Literal["auto", "fp32", "fp16", "bf16"]
PRECISIONS: tuple[Precision, ...] = get_args(Precision)

# Query generation.
EngineName = Literal["local", "ray"]
ENGINES: tuple[EngineName, ...] = get_args(EngineName)
DType = Literal["auto", "float32", "bfloat16", "float16"]
DTYPES: tuple[DType, ...] = get_args(DType)
Layout = Literal["official", "flat"]
LAYOUTS: tuple[Layout, ...] = get_args(Layout)

# Imported TREC runs: how equal scores are ordered. "trec_eval": by docno, descending (as
# trec_eval sorts); "rank": by the file's rank column, then its line order.
Ties = Literal["trec_eval", "rank"]
TIE_ORDERS: tuple[Ties, ...] = get_args(Ties)

# Significance tests of reports.
Test = Literal["t", "wilcoxon", "permutation"]
TEST_NAMES: tuple[Test, ...] = get_args(Test)
Correction = Literal["holm", "bh", "none"]
CORRECTION_NAMES: tuple[Correction, ...] = get_args(Correction)
SIGNIFICANCE_LEVEL = 0.05


# How vector sets are stored (store.vector_files.DTYPES) and HNSW graph parameters when a
# graph is asked for without its own (chosen with benchmarks/bench_search.py; docs/vectors.md).
VECTOR_DTYPES = ("f32", "f16", "bf16")
SHARD_SIZE = 1_000_000
# The scalar type of an HNSW graph's copy of the vectors (store.graphs.GRAPH_DTYPES): int8
# is the fastest to search, and candidates are rescored exactly, so it costs no accuracy
# in the scores.
GraphDType = Literal["i8", "f16", "f32"]
GRAPH_DTYPES: tuple[GraphDType, ...] = get_args(GraphDType)
HNSW_GRAPH_DTYPE: GraphDType = "i8"
# Measured at 1M x 384 with int8 graphs (docs/vectors.md#hnsw-when-asked): connectivity 32
# finds 0.997 of the exact top 100 at expansion_search 128, at 11.1x the exact speed (16
# finds 0.934), for 12% more build time; 128 candidates leave room above a depth of 100 for
# the exact rescoring to undo the int8 rounding (100 candidates: 0.973).
HNSW_CONNECTIVITY = 32
HNSW_EXPANSION_ADD = 128
HNSW_EXPANSION_SEARCH = 128
