"""Every text of the shared data, for the checks that R@kt's shortcuts hold on all of it."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def shared_texts(shared_data: Path) -> list[str]:
    """The distinct paragraphs, questions and answers of XQuAD (12 languages), XNLI dev
    sentences (15 languages) and XOR-TyDi dev questions and answers."""
    texts = list(dict.fromkeys(_shared_texts(shared_data)))
    assert len(texts) > 80_000
    return texts


def _shared_texts(shared_data: Path) -> Iterator[str]:
    for path in sorted((shared_data / "xquad").glob("xquad.*.json")):
        for article in json.loads(path.read_text("utf-8"))["data"]:
            for paragraph in article["paragraphs"]:
                yield paragraph["context"]
                for qa in paragraph["qas"]:
                    yield qa["question"]
                    yield from (answer["text"] for answer in qa["answers"])
    with (shared_data / "xnli" / "xnli.dev.tsv").open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE):
            yield row["sentence1"]
            yield row["sentence2"]
    path = shared_data / "xor-tydi" / "xor_dev_retrieve_eng_span_v1_1.jsonl"
    for line in path.read_text("utf-8").splitlines():
        question = json.loads(line)
        yield question["question"]
        yield from question["answers"]
