"""The Hugging Face encoder, on a tiny BERT built here from real multilingual XQuAD text.

No model hub is needed: a WordPiece tokenizer is trained on XQuAD contexts and questions, a
2-layer BERT is initialised with a fixed seed, and both are saved with ``save_pretrained``
(safetensors) into a folder that the encoder loads through ``load_encoder("hf:<folder>")``.
Reference values come from a second, independent path: the raw ``tokenizers`` tokenizer
and a ``BertModel`` filled from the safetensors file.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from pipelines.encoders.base import EncoderConfig, load_encoder
from pipelines.encoders.hf import HFEncoder
from pipelines.errors import InputError, StepError
from pipelines.index import build_index
from pipelines.ingest import ingest, read_jsonl
from pipelines.search import search
from store import collections, runs, vectors
from store.db import Store
from tests.pipelines.encoders.tiny_bert import (
    HIDDEN,
    LANGUAGES,
    Xquad,
    build_tiny_bert,
    xquad_articles,
)

ATOL = 1e-5

Reference = Callable[[list[str], int], tuple[torch.Tensor, torch.Tensor]]


@pytest.fixture(scope="module")
def xquad(shared_data: Path) -> Xquad:
    """Language -> XQuAD articles (title, paragraphs with context and qas)."""
    return xquad_articles(shared_data / "xquad")


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory, xquad: Xquad) -> Path:
    """A tiny BERT and a WordPiece tokenizer trained on XQuAD, saved as a local HF folder."""
    folder = build_tiny_bert(tmp_path_factory.mktemp("tiny-bert"), xquad)
    assert (folder / "model.safetensors").exists()
    assert (folder / "tokenizer.json").exists()
    return folder


@pytest.fixture(scope="module")
def reference(model_dir: Path) -> Reference:
    """(last_hidden_state, attention_mask) computed without the encoder or AutoModel."""
    from safetensors.torch import load_file
    from tokenizers import Tokenizer
    from transformers import BertConfig, BertModel

    model = BertModel(BertConfig.from_pretrained(model_dir))
    model.load_state_dict(load_file(model_dir / "model.safetensors"), strict=True)
    model.eval()

    def forward(texts: list[str], max_length: int) -> tuple[torch.Tensor, torch.Tensor]:
        tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        tokenizer.enable_truncation(max_length)
        tokenizer.enable_padding(pad_id=tokenizer.token_to_id("[PAD]"), pad_token="[PAD]")
        encodings = tokenizer.encode_batch(texts)
        ids = torch.tensor([e.ids for e in encodings])
        mask = torch.tensor([e.attention_mask for e in encodings])
        types = torch.tensor([e.type_ids for e in encodings])
        with torch.inference_mode():
            hidden = model(input_ids=ids, attention_mask=mask, token_type_ids=types)
        return hidden.last_hidden_state, mask

    return forward


@pytest.fixture(scope="module")
def make(model_dir: Path) -> Callable[..., HFEncoder]:
    """Build an encoder for the tiny model through the real loading path (float32 unless
    told otherwise: the references are float32)."""

    def build(**options: Any) -> HFEncoder:
        options.setdefault("device", "cpu")
        options.setdefault("precision", "fp32")
        encoder = load_encoder(EncoderConfig(name=f"hf:{model_dir}", **options))
        assert isinstance(encoder, HFEncoder)
        return encoder

    return build


@pytest.fixture(scope="module")
def samples(xquad: Xquad) -> list[str]:
    """Questions in five languages and two contexts, deliberately not sorted by length."""
    texts = []
    for lang in LANGUAGES:
        paragraph = xquad[lang][20]["paragraphs"][1]
        texts += [paragraph["qas"][0]["question"], paragraph["qas"][1]["question"]]
    texts.insert(3, xquad["en"][30]["paragraphs"][0]["context"])
    texts.insert(7, xquad["de"][30]["paragraphs"][0]["context"])
    lengths = [len(t) for t in texts]
    assert lengths != sorted(lengths)
    return texts


def test_encodes_float32_vectors_of_the_model_width(
    make: Callable[..., HFEncoder], samples: list[str]
) -> None:
    encoder = make()
    queries = encoder.encode_queries(samples)
    passages = encoder.encode_passages(["Title"] * len(samples), samples)
    assert encoder.dim == HIDDEN
    for vectors_ in (queries, passages):
        assert vectors_.shape == (len(samples), HIDDEN)
        assert vectors_.dtype == np.float32
        assert np.isfinite(vectors_).all()
    assert encoder.encode_queries([]).shape == (0, HIDDEN)
    # Different texts give different vectors (the tokenizer knows the words).
    assert len({row.tobytes() for row in queries}) == len(samples)


def test_cls_pooling_is_the_first_hidden_state(
    make: Callable[..., HFEncoder], reference: Reference, samples: list[str]
) -> None:
    got = make(pooling="cls", query_max_length=32).encode_queries(samples)
    hidden, _ = reference(samples, 32)
    np.testing.assert_allclose(got, hidden[:, 0].numpy(), atol=ATOL, rtol=ATOL)


def test_mean_pooling_is_the_masked_mean(
    make: Callable[..., HFEncoder], reference: Reference, samples: list[str]
) -> None:
    got = make(pooling="mean", passage_max_length=64, passage_title=False).encode_passages(
        [""] * len(samples), samples
    )
    hidden, mask = reference(samples, 64)
    assert (mask.sum(dim=1) < mask.shape[1]).any(), "some rows must be padded"
    expected = np.stack(
        [hidden[row, : int(mask[row].sum())].numpy().mean(axis=0) for row in range(len(samples))]
    )
    np.testing.assert_allclose(got, expected, atol=ATOL, rtol=ATOL)
    assert not np.allclose(got, hidden[:, 0].numpy(), atol=1e-3)


@pytest.mark.parametrize("pooling", ["cls", "mean"])
def test_normalize_gives_unit_vectors_in_the_same_direction(
    make: Callable[..., HFEncoder], samples: list[str], pooling: str
) -> None:
    raw = make(pooling=pooling).encode_queries(samples)
    unit = make(pooling=pooling, normalize=True).encode_queries(samples)
    np.testing.assert_allclose(np.linalg.norm(unit, axis=1), 1.0, atol=1e-5)
    assert not np.allclose(np.linalg.norm(raw, axis=1), 1.0, atol=1e-2)
    np.testing.assert_allclose(
        unit, raw / np.linalg.norm(raw, axis=1, keepdims=True), atol=ATOL, rtol=ATOL
    )


def test_prefixes_are_prepended_on_their_own_side(
    make: Callable[..., HFEncoder], xquad: Xquad
) -> None:
    paragraph = xquad["es"][5]["paragraphs"][0]
    questions = [qa["question"] for qa in paragraph["qas"][:3]]
    titles = ["Río Rin", "", "Universidad de Oxford"]
    texts = [q["question"] for q in xquad["en"][5]["paragraphs"][0]["qas"][:3]]
    prefixed = make(query_prefix="query: ", passage_prefix="passage: ")
    plain = make()

    np.testing.assert_allclose(
        prefixed.encode_queries(questions),
        plain.encode_queries([f"query: {q}" for q in questions]),
        atol=ATOL,
        rtol=ATOL,
    )
    joined = [
        f"passage: {t} {x}" if t else f"passage: {x}" for t, x in zip(titles, texts, strict=True)
    ]
    np.testing.assert_allclose(
        prefixed.encode_passages(titles, texts),
        plain.encode_passages([""] * 3, joined),
        atol=ATOL,
        rtol=ATOL,
    )
    # The prefix changes the vectors, and only on its own side.
    assert not np.allclose(prefixed.encode_queries(questions), plain.encode_queries(questions))
    query_only = make(query_prefix="query: ")
    np.testing.assert_allclose(
        query_only.encode_passages(titles, texts),
        plain.encode_passages(titles, texts),
        atol=ATOL,
        rtol=ATOL,
    )


def test_max_lengths_truncate_queries_and_passages(
    make: Callable[..., HFEncoder], model_dir: Path, xquad: Xquad
) -> None:
    from tokenizers import Tokenizer

    long = xquad["en"][12]["paragraphs"][2]["context"]
    limit = 12
    raw = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
    full = raw.encode(long)
    assert len(full.ids) > 100
    # Cut the text right after the last token that fits beside [CLS] and [SEP].
    truncated = long[: full.offsets[limit - 2][1]]
    assert raw.encode(truncated).ids == [*full.ids[: limit - 1], full.ids[-1]]

    short_queries = make(query_max_length=limit)
    np.testing.assert_allclose(
        short_queries.encode_queries([long]),
        short_queries.encode_queries([truncated]),
        atol=ATOL,
        rtol=ATOL,
    )
    assert not np.allclose(
        make(query_max_length=512).encode_queries([long]),
        short_queries.encode_queries([truncated]),
        atol=1e-3,
    )
    # Passages follow passage_max_length, not query_max_length.
    np.testing.assert_allclose(
        make(passage_max_length=limit).encode_passages([""], [long]),
        short_queries.encode_queries([truncated]),
        atol=ATOL,
        rtol=ATOL,
    )
    assert not np.allclose(
        short_queries.encode_passages([""], [long]),
        short_queries.encode_queries([truncated]),
        atol=1e-3,
    )


@pytest.mark.parametrize("pooling", ["cls", "mean"])
def test_length_sorted_batches_keep_the_input_order(
    make: Callable[..., HFEncoder], samples: list[str], pooling: str
) -> None:
    encoder = make(pooling=pooling, batch_size=3, query_max_length=64)
    steps: list[int] = []
    batched = encoder.encode_queries(samples, steps.append)
    alone = np.concatenate([encoder.encode_queries([text]) for text in samples])
    np.testing.assert_allclose(batched, alone, atol=ATOL, rtol=ATOL)
    assert steps == [3, 3, 3, 3]
    one_batch = make(pooling=pooling, batch_size=64, query_max_length=64)
    np.testing.assert_allclose(one_batch.encode_queries(samples), alone, atol=ATOL, rtol=ATOL)


def test_passage_title_is_joined_before_the_text(
    make: Callable[..., HFEncoder], xquad: Xquad
) -> None:
    article = xquad["en"][3]
    title = article["title"].replace("_", " ")
    texts = [p["context"] for p in article["paragraphs"][:3]]
    titles = [title, title, ""]
    with_title = make(passage_title=True).encode_passages(titles, texts)
    without = make(passage_title=False)
    joined = [f"{t} {x}" if t else x for t, x in zip(titles, texts, strict=True)]
    np.testing.assert_allclose(
        with_title, without.encode_passages(titles, joined), atol=ATOL, rtol=ATOL
    )
    untitled = without.encode_passages(titles, texts)
    assert not np.allclose(with_title[:2], untitled[:2], atol=1e-3)
    np.testing.assert_allclose(with_title[2], untitled[2], atol=ATOL, rtol=ATOL)


def test_identity_keeps_only_what_shapes_the_vectors() -> None:
    config = EncoderConfig(
        name="hf:/models/tiny",
        pooling="mean",
        normalize=True,
        query_prefix="q: ",
        batch_size=7,
        device="cpu",
        trust_remote_code=True,
        precision="bf16",
    )
    identity = config.identity()
    assert identity == {
        "name": "hf:/models/tiny",
        "pooling": "mean",
        "normalize": True,
        "query_prefix": "q: ",
        "passage_prefix": "",
        "query_max_length": 32,
        "passage_max_length": 128,
        "passage_title": True,
        "precision": "bf16",
    }
    assert (
        identity
        == EncoderConfig(
            name="hf:/models/tiny",
            pooling="mean",
            normalize=True,
            query_prefix="q: ",
            precision="bf16",
        ).identity()
    )
    assert identity != EncoderConfig(name="hf:/models/tiny", normalize=True).identity()
    fp32 = EncoderConfig(name="hf:/models/tiny", pooling="mean", normalize=True, query_prefix="q: ")
    assert identity != replace(fp32, precision="fp32").identity()
    assert config.runtime() == {"batch_size": 7, "device": "cpu", "trust_remote_code": True}
    rebuilt = EncoderConfig.from_identity(
        json.loads(json.dumps(identity)), json.loads(json.dumps(config.runtime()))
    )
    assert rebuilt == config


def test_pytorch_bin_only_folder_is_refused(model_dir: Path, tmp_path: Path) -> None:
    from safetensors.torch import load_file

    folder = tmp_path / "bin-only"
    folder.mkdir()
    for name in ("config.json", "tokenizer.json", "tokenizer_config.json"):
        shutil.copy(model_dir / name, folder / name)
    torch.save(load_file(model_dir / "model.safetensors"), folder / "pytorch_model.bin")
    with pytest.raises(StepError, match=r"model\.safetensors") as raised:
        load_encoder(EncoderConfig(name=f"hf:{folder}", device="cpu"))
    assert str(folder) in str(raised.value)
    assert isinstance(raised.value.__cause__, OSError)


def test_missing_folder_is_refused(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-model"
    with pytest.raises(InputError, match="no such folder") as raised:
        load_encoder(EncoderConfig(name=f"hf:{missing}", device="cpu"))
    assert str(missing) in str(raised.value)
    assert "config.json, *.safetensors and the tokenizer" in str(raised.value)


def test_folder_without_tokenizer_is_refused(model_dir: Path, tmp_path: Path) -> None:
    # transformers 5 builds an empty-vocabulary tokenizer from config.json alone; every
    # word would become [UNK] and all texts would get nearly the same vector.
    folder = tmp_path / "no-tokenizer"
    folder.mkdir()
    for name in ("config.json", "model.safetensors"):
        shutil.copy(model_dir / name, folder / name)
    with pytest.raises(StepError, match="tokenizer") as raised:
        load_encoder(EncoderConfig(name=f"hf:{folder}", device="cpu"))
    assert str(folder) in str(raised.value)


def test_truncated_safetensors_file_is_refused(model_dir: Path, tmp_path: Path) -> None:
    folder = tmp_path / "truncated"
    shutil.copytree(model_dir, folder)
    weights = (model_dir / "model.safetensors").read_bytes()
    (folder / "model.safetensors").write_bytes(weights[: len(weights) // 2])
    with pytest.raises(StepError, match="cannot load encoder") as raised:
        load_encoder(EncoderConfig(name=f"hf:{folder}", device="cpu"))
    assert str(folder) in str(raised.value)


def _write_collection(xquad: Xquad, path: Path) -> tuple[int, int]:
    """English XQuAD paragraphs as passages, their German and Spanish questions as queries."""
    questions = {
        lang: {
            qa["id"]: qa["question"]
            for article in xquad[lang]
            for paragraph in article["paragraphs"]
            for qa in paragraph["qas"]
        }
        for lang in ("de", "es")
    }
    lines = []
    passages = queries = 0
    for a, article in enumerate(xquad["en"][:3]):
        for p, paragraph in enumerate(article["paragraphs"][:4]):
            docid = f"en-{a}-{p}"
            title = article["title"].replace("_", " ")
            lines.append(
                {"type": "passage", "docid": docid, "title": title, "text": paragraph["context"]}
            )
            passages += 1
            qa = paragraph["qas"][0]
            for lang, by_id in questions.items():
                lines.append(
                    {
                        "type": "query",
                        "qid": f"{lang}-{qa['id']}",
                        "lang": lang,
                        "text": by_id[qa["id"]],
                        "parallel_id": qa["id"],
                        "answers": [answer["text"] for answer in qa["answers"]],
                        "relevant": [docid],
                    }
                )
                queries += 1
    path.write_text("".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines), "utf-8")
    return passages, queries


def test_index_and_search_with_a_local_hf_model(
    store: Store,
    model_dir: Path,
    xquad: Xquad,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # search rebuilds the encoder with device "auto": keep it on the CPU in float32.
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    n_passages, n_queries = _write_collection(xquad, tmp_path / "mini.jsonl")
    ingest(store, read_jsonl(tmp_path / "mini.jsonl"), "mini")
    config = EncoderConfig(
        name=f"hf:{model_dir}",
        pooling="mean",
        query_prefix="query: ",
        passage_prefix="passage: ",
        query_max_length=24,
        passage_max_length=96,
        batch_size=5,
    )
    index_run = build_index(store, "mini", config)
    assert index_run.status == "done"
    assert index_run.summary["passages"] == n_passages
    assert index_run.summary["dim"] == HIDDEN
    assert index_run.params["encoder"] == config.identity()

    depth = 5
    search_run = search(store, index_run.name, depth=depth)
    assert search_run.status == "done"
    assert search_run.summary["queries"] == n_queries
    assert search_run.summary["per_language"] == {"de": n_queries // 2, "es": n_queries // 2}

    found = collections.get_collection(store, "mini")
    queries = collections.get_queries(store, found.id)
    passages = [row for batch in collections.iter_passages(store, found.id) for row in batch]
    passage_ids = np.array([pid for pid, _, _ in passages])
    rows = store.execute(
        "SELECT query_id, rank, passage_id, score FROM results WHERE run_id = ? "
        "ORDER BY query_id, rank",
        (search_run.id,),
    ).fetchall()
    hits: dict[int, list[tuple[int, int, float]]] = {}
    for query_id, rank, passage_id, score in rows:
        hits.setdefault(int(query_id), []).append((int(rank), int(passage_id), float(score)))
    assert set(hits) == {q.id for q in queries}

    # Recompute everything with the encoder itself.
    encoder = load_encoder(config)
    passage_vectors = encoder.encode_passages(
        [title for _, title, _ in passages], [text for _, _, text in passages]
    )
    query_vectors = encoder.encode_queries([q.text for q in queries])
    stored = vectors.run_vector_set(store, index_run.id, "passages")
    assert stored.count == n_passages and stored.dim == HIDDEN
    np.testing.assert_allclose(
        vectors.load_vectors(vectors.open_index(store, stored), passage_ids),
        passage_vectors,
        atol=ATOL,
        rtol=ATOL,
    )
    scores = query_vectors @ passage_vectors.T
    for row, query in enumerate(queries):
        ranked = hits[query.id]
        assert [rank for rank, _, _ in ranked] == list(range(1, depth + 1))
        order = np.lexsort((passage_ids, -scores[row]))[:depth]
        assert [pid for _, pid, _ in ranked] == passage_ids[order].tolist()
        np.testing.assert_allclose(
            [score for _, _, score in ranked], scores[row, order], atol=1e-4, rtol=1e-5
        )
    assert runs.get_run(store, search_run.id).status == "done"
