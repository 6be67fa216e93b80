"""Fixtures for the training tests: a tiny BERT built here and a small real XQuAD database.

No model hub is needed: a WordPiece tokenizer is trained on real XQuAD text (en, de, es), a
2-layer BERT is initialised with a fixed seed and saved with ``save_pretrained``. The
database holds the first 40 XQuAD paragraphs with their questions in three languages, and
a baseline index of them built with the tiny model (for hard negatives).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch

from pipelines.encoders.base import EncoderConfig
from pipelines.index import build_index
from pipelines.ingest import ingest, read_xquad
from store import Store, open_store
from tests.pipelines.encoders.tiny_bert import train_wordpiece

COLLECTION = "xq"
LANGUAGES = ("en", "de", "es")


@pytest.fixture(autouse=True)
def one_torch_thread() -> Iterator[None]:
    """One intra-op thread: tiny matrices gain nothing from more, and with the CPU shared by
    other test processes, threads that wait for each other make each step 10x slower."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="session")
def tiny_model(small_xquad: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 2-layer BERT (hidden 32) and a WordPiece tokenizer trained on XQuAD text."""
    from transformers import BertConfig, BertModel

    corpus = []
    for lang in LANGUAGES:
        document = json.loads((small_xquad / f"xquad.{lang}.json").read_text("utf-8"))
        for article in document["data"]:
            for paragraph in article["paragraphs"]:
                corpus += [paragraph["context"], *(qa["question"] for qa in paragraph["qas"])]
    tokenizer = train_wordpiece(corpus, 2000)
    torch.manual_seed(7)
    config = BertConfig(
        vocab_size=len(tokenizer),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=256,
    )
    folder = tmp_path_factory.mktemp("tiny-bert")
    tokenizer.save_pretrained(folder)
    BertModel(config).save_pretrained(folder)
    return folder


@pytest.fixture
def xquad_store(
    db_path: Path, small_xquad: Path, tiny_model: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Store]:
    """40 XQuAD paragraphs, their questions in en/de/es, and a tiny-model index ``base``."""
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with open_store(db_path) as store:
        ingest(store, read_xquad(small_xquad, list(LANGUAGES)), COLLECTION)
        build_index(
            store,
            COLLECTION,
            EncoderConfig(name=f"hf:{tiny_model}", pooling="cls", device="cpu"),
            name="base",
        )
        yield store
