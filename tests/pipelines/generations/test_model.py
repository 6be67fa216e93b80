"""Model-based generation end to end with a tiny real mT5: counts, determinism, shards, resume."""

from __future__ import annotations

import shutil
import sqlite3
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from pipelines.errors import InputError
from pipelines.generations import generate_queries
from pipelines.generations.plan import batch_sizes
from store import Store
from store.generations import done_batches
from store.runs import get_run
from tests.pipelines.generations.conftest import PASSAGES, SETTINGS, generated_rows


def test_every_passage_gets_queries_in_every_language(xquad_store: Store, tiny_model: Path) -> None:
    run = generate_queries(xquad_store, "xquad", model=str(tiny_model), name="tiny", **SETTINGS)
    rows = generated_rows(xquad_store, run.id)
    per_key = Counter((pid, lang) for pid, lang, _, _ in rows)
    assert len({pid for pid, _ in per_key}) == PASSAGES
    assert {lang for _, lang in per_key} == {"ar", "de", "ja"}
    assert max(per_key.values()) == 3
    positions: dict[tuple[int, str], list[int]] = {}
    for pid, lang, position, text in rows:
        positions.setdefault((pid, lang), []).append(position)
        assert text == text.strip() and text
    assert all(p == list(range(len(p))) for p in positions.values())
    summary = run.summary
    assert summary["samples"] == PASSAGES * 3 * 3
    dropped = summary["dropped_empty"] + summary["dropped_copies"] + summary["dropped_duplicates"]
    assert summary["generations"] == len(rows) == summary["samples"] - dropped
    assert summary["per_language"] == dict(sorted(Counter(r[1] for r in rows).items()))
    assert summary["batches"] == 10 and summary["passages"] == PASSAGES
    assert summary["shards"] == ["1/1"]
    assert summary["devices"] == ["cpu float32 x1"]
    assert run.params == {
        "source": "model",
        "collection": "xquad",
        "passages": PASSAGES,
        "model": str(tiny_model),
        "languages": ["ar", "de", "ja"],
        "per_language": 3,
        "template": "Generate a {lang} question for this passage: {title} {passage}",
        "top_k": 10,
        "max_new_tokens": 6,
        "max_input_length": 48,
        "seed": 7,
        "batch_size": 4,
        "guards": True,
        "trust_remote_code": False,
        "sort_window_batches": 32,
        "sampler": "keyed-gumbel-top-k/1",
    }


def test_a_seed_fixes_the_queries_and_another_seed_changes_them(
    xquad_store: Store, tiny_model: Path
) -> None:
    model = str(tiny_model)
    first = generate_queries(xquad_store, "xquad", model=model, **SETTINGS)
    again = generate_queries(xquad_store, "xquad", model=model, **SETTINGS)
    other = generate_queries(xquad_store, "xquad", model=model, **{**SETTINGS, "seed": 8})
    rows = generated_rows(xquad_store, first.id)
    assert (first.name, again.name) == ("model-xquad", "model-xquad-2")
    assert generated_rows(xquad_store, again.id) == rows
    other_rows = generated_rows(xquad_store, other.id)
    same = {r[:2] + r[3:] for r in rows} & {r[:2] + r[3:] for r in other_rows}
    assert len(same) < len(rows) / 10


def test_shards_write_into_one_run_whose_union_is_the_whole(
    xquad_store: Store, tiny_model: Path
) -> None:
    model = str(tiny_model)
    whole = generate_queries(xquad_store, "xquad", model=model, name="whole", fts=True, **SETTINGS)
    parts, indexed = [], []
    for shard in ("2/3", "3/3", "1/3"):
        parts.append(
            generate_queries(
                xquad_store, "xquad", model=model, name="split", shard=shard, fts=True, **SETTINGS
            )
        )
        indexed.append(_every_row_indexed(xquad_store))
    assert [p.status for p in parts] == ["running", "running", "done"]
    assert len({p.id for p in parts}) == 1
    # With --fts, the shard that completes the run puts all its rows into the word index.
    assert indexed == [False, False, True]
    assert generated_rows(xquad_store, parts[-1].id) == generated_rows(xquad_store, whole.id)
    assert parts[-1].summary["shards"] == ["1/3", "2/3", "3/3"]
    stored = done_batches(xquad_store, parts[-1].id)
    assert sorted(stored) == list(range(10)) and sum(stored.values()) == PASSAGES
    assert {k: v for k, v in parts[-1].summary.items() if k not in TIMING} == {
        k: v for k, v in whole.summary.items() if k not in TIMING | {"shards"}
    } | {"shards": ["1/3", "2/3", "3/3"]}


TIMING = {"generation_seconds", "queries_per_second"}


def _every_row_indexed(store: Store) -> bool:
    """FTS5's check that its index holds exactly the stored generated queries."""
    try:
        store.execute(
            "INSERT INTO generations_fts (generations_fts, rank) VALUES ('integrity-check', 1)"
        )
    except sqlite3.DatabaseError:
        return False
    return True


class Interrupt(KeyboardInterrupt):
    """Stands in for Ctrl-C after a number of stored batches."""


class StopAfter:
    """A progress sink that raises Ctrl-C once ``batches`` batches have been stored."""

    def __init__(self, batches: int) -> None:
        self.left = batches
        self.notes: list[str] = []

    def task(self, description: str, total: int) -> Any:
        from contextlib import nullcontext

        return nullcontext(self._advance)

    def _advance(self, units: int) -> None:
        self.left -= 1
        if self.left == 0:
            raise Interrupt

    def note(self, message: str) -> None:
        self.notes.append(message)


def test_an_interrupted_run_resumes_to_exactly_the_clean_rows(
    xquad_store: Store, tiny_model: Path
) -> None:
    model = str(tiny_model)
    clean = generate_queries(xquad_store, "xquad", model=model, name="clean", **SETTINGS)
    stop = StopAfter(4)
    with pytest.raises(Interrupt):
        generate_queries(xquad_store, "xquad", model=model, name="cut", progress=stop, **SETTINGS)
    cut = get_run(xquad_store, "cut")
    assert cut.status == "failed" and cut.error == "Interrupt: "
    assert len(done_batches(xquad_store, cut.id)) == 4
    assert "--resume cut" in stop.notes[-1]
    resumed = generate_queries(xquad_store, resume="cut", threads=1)
    assert resumed.id == cut.id and resumed.status == "done" and resumed.error is None
    assert generated_rows(xquad_store, resumed.id) == generated_rows(xquad_store, clean.id)
    assert resumed.summary["batches"] == 10 and resumed.summary["passages"] == PASSAGES


def test_a_done_run_of_the_same_name_and_settings_is_reused(
    xquad_store: Store, tiny_model: Path
) -> None:
    model = str(tiny_model)
    first = generate_queries(xquad_store, "xquad", model=model, name="g", **SETTINGS)
    again = generate_queries(xquad_store, "xquad", model=model, name="g", **SETTINGS)
    assert again == first
    with pytest.raises(InputError, match="run name 'g' is taken by a generate run with other"):
        generate_queries(xquad_store, "xquad", model=model, name="g", **{**SETTINGS, "seed": 1})
    with pytest.raises(InputError, match="started with other seed, top_k; --resume takes"):
        generate_queries(xquad_store, resume="g", seed=1, top_k=3)
    assert generate_queries(xquad_store, resume="g", seed=7) == first


def test_the_plan_has_the_batches_the_run_records(xquad_store: Store, tiny_model: Path) -> None:
    run = generate_queries(xquad_store, "xquad", model=str(tiny_model), **SETTINGS)
    assert done_batches(xquad_store, run.id) == dict(enumerate(batch_sizes(PASSAGES, 4)))


@pytest.fixture(scope="module")
def degenerate_model(tiny_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny model with a zero output layer: every token is equally likely, so top-k
    sampling draws from ids 0-9 (pad, end of sequence, unknown and seven pieces), which
    makes empty outputs and duplicates common."""
    import torch
    from transformers import AutoModelForSeq2SeqLM

    folder = tmp_path_factory.mktemp("models") / "degenerate"
    shutil.copytree(tiny_model, folder)
    model = AutoModelForSeq2SeqLM.from_pretrained(folder)
    with torch.no_grad():
        model.lm_head.weight.zero_()
    model.save_pretrained(folder)
    return folder


def test_guards_drop_empty_and_duplicate_samples_and_count_them(
    xquad_store: Store, degenerate_model: Path
) -> None:
    run = generate_queries(xquad_store, "xquad", model=str(degenerate_model), **SETTINGS)
    rows = generated_rows(xquad_store, run.id)
    summary = run.summary
    assert summary["dropped_empty"] > 0 and summary["dropped_duplicates"] > 0
    assert summary["dropped_copies"] == 0
    dropped = summary["dropped_empty"] + summary["dropped_duplicates"]
    assert summary["generations"] == len(rows) == PASSAGES * 9 - dropped
    assert all(text.strip() for *_, text in rows)
    per_key = Counter((pid, lang, text) for pid, lang, _, text in rows)
    assert max(per_key.values()) == 1
    unguarded = generate_queries(
        xquad_store, "xquad", model=str(degenerate_model), guards=False, **SETTINGS
    )
    assert unguarded.summary["generations"] == PASSAGES * 9
    assert unguarded.summary["dropped_empty"] == 0
    kept = generated_rows(xquad_store, unguarded.id)
    # The guards only remove samples: what they keep is the unguarded samples, in order.
    by_key: dict[tuple[int, str], list[str]] = {}
    for pid, lang, _, text in kept:
        by_key.setdefault((pid, lang), []).append(text)
    for pid, lang, position, text in rows:
        survivors = [
            t for i, t in enumerate(by_key[pid, lang]) if t and t not in by_key[pid, lang][:i]
        ]
        assert survivors[position] == text
    samples = [t for texts in by_key.values() for t in texts]
    assert summary["dropped_empty"] == samples.count("")
    repeats = sum(len([t for t in ts if t]) - len({t for t in ts if t}) for ts in by_key.values())
    assert summary["dropped_duplicates"] == repeats


def _without(source: Path, target: Path, *patterns: str) -> Path:
    shutil.copytree(source, target, ignore=shutil.ignore_patterns(*patterns))
    return target


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"model": "/nowhere/tiny-mt5"}, "/nowhere/tiny-mt5: no such folder; give a local"),
        ({"model": "NO_TOKENIZER"}, "no tokenizer files (tokenizer.json, spiece.model"),
        ({"model": "NO_WEIGHTS"}, "no *.safetensors weights; xqg never unpickles"),
        ({"model": "ENCODER_ONLY"}, "is a bert model, not an encoder-decoder (seq2seq) one"),
        ({"languages": ["ar", "xx"]}, "unknown language 'xx'; expected an ISO 639-1 code"),
        ({"template": "Ask about {topic}"}, "prompt template 'Ask about {topic}' must use"),
        ({"per_language": 0}, "--per-lang must be at least 1, got 0"),
        ({"shard": "4/3"}, "--shard 4/3: shards are numbered 1 to N"),
        ({"shard": "half"}, "--shard expects i/N such as 1/4, got 'half'"),
        ({"threads": 0}, "--threads must be at least 1, got 0"),
    ],
)
def test_bad_input_is_refused_before_anything_is_written(
    xquad_db: Path,
    tiny_model: Path,
    tmp_path: Path,
    dump_db: Any,
    change: dict[str, Any],
    message: str,
) -> None:
    from store import open_store

    folders = {
        "NO_TOKENIZER": lambda: _without(tiny_model, tmp_path / "m", "tokenizer*"),
        "NO_WEIGHTS": lambda: _without(tiny_model, tmp_path / "m", "*.safetensors"),
        "ENCODER_ONLY": lambda: _encoder_only(tiny_model, tmp_path / "m"),
    }
    if change.get("model") in folders:
        change = {**change, "model": str(folders[change["model"]]())}
    before = dump_db(xquad_db)
    with open_store(xquad_db) as store, pytest.raises(InputError) as caught:
        generate_queries(store, "xquad", **{**SETTINGS, "model": str(tiny_model), **change})
    assert message in str(caught.value)
    assert dump_db(xquad_db) == before


def _encoder_only(tiny_model: Path, folder: Path) -> Path:
    from transformers import BertConfig, BertModel

    _without(tiny_model, folder, "*.safetensors", "config.json", "generation_config.json")
    config = BertConfig(
        vocab_size=100,
        hidden_size=8,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=16,
    )
    BertModel(config).save_pretrained(folder)
    return folder


def test_resume_needs_a_model_run(xquad_store: Store, tiny_model: Path, tmp_path: Path) -> None:
    from pipelines.generations import import_generations
    from store.errors import NotFoundError

    with pytest.raises(NotFoundError, match="no run 'nothing'"):
        generate_queries(xquad_store, resume="nothing")
    with pytest.raises(InputError, match="--collection is required"):
        generate_queries(xquad_store, model=str(tiny_model))
    path = tmp_path / "gen.jsonl"
    path.write_text('{"docid": "Super_Bowl_50#0", "lang": "ar", "text": "من فاز؟"}\n', "utf-8")
    import_generations(xquad_store, path, "xquad", name="imported")
    with pytest.raises(InputError, match="run 'imported' holds import generations, not model"):
        generate_queries(xquad_store, resume="imported")
