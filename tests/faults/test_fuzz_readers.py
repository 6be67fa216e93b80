"""Every reader, fed mutated real files: it reads them or refuses them with an InputError
(exit 2 on the command line), and never raises anything else."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipelines.errors import InputError
from pipelines.generations.imports import read_generations
from pipelines.ingest.beir import read_beir
from pipelines.ingest.jsonl import read_jsonl
from pipelines.ingest.xnli import read_xnli
from pipelines.ingest.xor_tydi import read_xor_tydi
from pipelines.ingest.xquad import read_xquad
from pipelines.trec import read_run_file
from tests.conftest import SHARED_DATA

SCALE = int(os.environ.get("XQG_STRESS_SCALE", "1"))
EXAMPLES = 30 * SCALE


def _head(path: Path, lines: int) -> bytes:
    with path.open("rb") as file:
        return b"".join(file.readline() for _ in range(lines))


def _xnli_seed() -> bytes:
    lines = (SHARED_DATA / "xnli" / "xnli.dev.tsv").read_bytes().splitlines(keepends=True)
    return lines[0] + b"".join([line for line in lines if line.startswith(b"en\t")][:3])


def _xquad_seed() -> bytes:
    document = json.loads((SHARED_DATA / "xquad" / "xquad.en.json").read_text(encoding="utf-8"))
    document["data"] = document["data"][:1]
    document["data"][0]["paragraphs"] = document["data"][0]["paragraphs"][:2]
    return json.dumps(document, ensure_ascii=False, indent=1).encode()


JSONL = (
    b'{"type": "passage", "docid": "d1", "title": "Oslo", "text": "Oslo is in Norway."}\n'
    b'{"type": "query", "qid": "q1", "lang": "fi", "text": "Miss\xc3\xa4 Oslo on?", '
    b'"answers": ["Oslo"], "relevant": {"d1": 1}}\n'
)
RUN = b"q1 Q0 d1 1 2.5 run\nq1 Q0 d2 2 1.5 run\nq2 Q0 d1 1 0.5 run\n"
GENERATIONS = (
    b'{"docid": "d1", "lang": "de", "text": "Wo liegt Oslo?"}\n'
    b'{"docid": "d1", "lang": "fi", "text": "Miss\xc3\xa4 Oslo on?"}\n'
)
BEIR_QRELS = b"query-id\tcorpus-id\tscore\nq1\td1\t1\n"


def _beir(folder: Path, qrels: bytes) -> Path:
    (folder / "qrels").mkdir()
    (folder / "corpus.jsonl").write_text(
        '{"_id": "d1", "title": "Oslo", "text": "Oslo is in Norway."}\n', encoding="utf-8"
    )
    (folder / "queries.jsonl").write_text('{"_id": "q1", "text": "Where?", "lang": "en"}\n')
    (folder / "qrels" / "test.tsv").write_bytes(qrels)
    return folder


def _in(name: str) -> Callable[[Path, bytes], Path]:
    def place(folder: Path, data: bytes) -> Path:
        (folder / name).write_bytes(data)
        return folder / name

    return place


def _xquad_folder(folder: Path, data: bytes) -> Path:
    (folder / "xquad.en.json").write_bytes(data)
    return folder


# reader name -> (seed bytes, where the bytes go, the reader)
READERS: dict[
    str, tuple[Callable[[], bytes], Callable[[Path, bytes], Path], Callable[..., Any]]
] = {
    "jsonl": (lambda: JSONL, _in("data.jsonl"), read_jsonl),
    "xquad": (_xquad_seed, _xquad_folder, read_xquad),
    "xnli": (_xnli_seed, _in("x.tsv"), read_xnli),
    "xor-tydi": (
        lambda: _head(SHARED_DATA / "xor-tydi" / "xor_dev_full_v1_1.jsonl", 3),
        _in("xor.jsonl"),
        read_xor_tydi,
    ),
    "beir": (lambda: BEIR_QRELS, _beir, read_beir),
    "trec run": (lambda: RUN, _in("run.trec"), read_run_file),
    "generations": (lambda: GENERATIONS, _in("gen.jsonl"), read_generations),
}

NASTY = st.sampled_from(
    [b"", b"\x00", b"\xff\xfe", b"\n", b"\t", b'"', b"{", b"}", b"[", b"]", b":", b",",
     b"\r\n", b"\xef\xbb\xbf", b"1e999", b"-1", b"99999999999999999999999", b"null", b"\\u0000",
     b"[" * 5000, b"x" * 200_000, "\u202e".encode()]
)  # fmt: skip


@st.composite
def mutations(draw: st.DrawFn, seed: bytes) -> bytes:
    """The seed with a few cuts, insertions and overwrites."""
    data = bytearray(seed)
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(data)))
        kind = draw(st.sampled_from(["cut", "insert", "overwrite", "truncate"]))
        piece = draw(st.one_of(NASTY, st.binary(max_size=12), st.text(max_size=8).map(str.encode)))
        if kind == "cut":
            del data[at : at + draw(st.integers(1, 40))]
        elif kind == "insert":
            data[at:at] = piece
        elif kind == "overwrite":
            data[at : at + len(piece)] = piece
        else:
            del data[at:]
    return bytes(data)


@pytest.mark.parametrize("reader", READERS)
def test_readers_read_or_refuse_with_an_input_error(reader: str) -> None:
    seed, place, read = READERS[reader]
    original = seed()

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(data=mutations(original))
    def reads_or_refuses(data: bytes) -> None:
        with tempfile.TemporaryDirectory() as folder:
            try:
                read(place(Path(folder), data))
            except InputError as error:
                assert str(error) and len(str(error)) <= 4_200

    with tempfile.TemporaryDirectory() as folder:
        read(place(Path(folder), original))  # the seed itself reads
    reads_or_refuses()
