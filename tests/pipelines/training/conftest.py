"""Fixtures for the training tests: a tiny BERT and a tiny T5 built here, a small real XQuAD
database, and a progress that interrupts training.

No model hub is needed: a WordPiece (BERT) or Unigram (T5) tokenizer is trained on real
XQuAD text (en, de, es), a 2-layer model is initialised with a fixed seed and saved with
``save_pretrained``. The database holds the first 40 XQuAD paragraphs with their questions
in three languages, and a baseline index of them built with the tiny BERT (for hard
negatives).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import torch

from pipelines.encoders.base import EncoderConfig
from pipelines.index import build_index
from pipelines.ingest import ingest, read_xquad
from pipelines.progress import Advance
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


def xquad_texts(folder: Path) -> list[str]:
    """Every paragraph and question of the XQuAD files of LANGUAGES, to train tokenizers on."""
    texts: list[str] = []
    for lang in LANGUAGES:
        document = json.loads((folder / f"xquad.{lang}.json").read_text("utf-8"))
        for article in document["data"]:
            for paragraph in article["paragraphs"]:
                texts += [paragraph["context"], *(qa["question"] for qa in paragraph["qas"])]
    return texts


@pytest.fixture(scope="session")
def tiny_model(small_xquad: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 2-layer BERT (hidden 32) and a WordPiece tokenizer trained on XQuAD text."""
    from transformers import BertConfig, BertModel

    tokenizer = train_wordpiece(xquad_texts(small_xquad), 2000)
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


@pytest.fixture(scope="session")
def tiny_t5(small_xquad: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 2-layer T5 (d_model 32) with a Unigram tokenizer trained on XQuAD prompts."""
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors
    from tokenizers.trainers import UnigramTrainer
    from transformers import PreTrainedTokenizerFast, T5Config, T5ForConditionalGeneration

    corpus = ["Generate a German Spanish English question for this passage:"]
    corpus += xquad_texts(small_xquad)
    raw = Tokenizer(models.Unigram())
    raw.normalizer = normalizers.NFKC()
    raw.pre_tokenizer = pre_tokenizers.Metaspace()
    raw.decoder = decoders.Metaspace()
    trainer = UnigramTrainer(
        vocab_size=1500, special_tokens=["<pad>", "</s>", "<unk>"], unk_token="<unk>"
    )
    raw.train_from_iterator(corpus, trainer)
    raw.post_processor = processors.TemplateProcessing(
        single="$A </s>", special_tokens=[("</s>", 1)]
    )
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=raw, pad_token="<pad>", eos_token="</s>", unk_token="<unk>"
    )
    torch.manual_seed(11)
    config = T5Config(
        vocab_size=raw.get_vocab_size(),
        d_model=32,
        d_kv=16,
        d_ff=64,
        num_layers=2,
        num_decoder_layers=2,
        num_heads=2,
        decoder_start_token_id=0,
        pad_token_id=0,
        eos_token_id=1,
    )
    folder = tmp_path_factory.mktemp("tiny-t5")
    tokenizer.save_pretrained(folder)
    T5ForConditionalGeneration(config).save_pretrained(folder)
    return folder


class StopAfter:
    """Progress that interrupts training (as Ctrl-C would) once ``steps`` steps are done."""

    def __init__(self, steps: int) -> None:
        self.steps = steps
        self.done = 0

    @contextmanager
    def task(self, description: str, total: int) -> Iterator[Advance]:
        def advance(n: int) -> None:
            if description.startswith("training"):
                self.done += n
                if self.done >= self.steps:
                    raise KeyboardInterrupt

        yield advance

    def note(self, message: str) -> None:
        """Ignore notes."""
