"""Fixtures shared by every test: the real data folder and fresh databases."""

from __future__ import annotations

import contextlib
import csv
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from store import Store, open_store
from store.records import VectorSet

ROOT = Path(__file__).resolve().parents[1]
# The real data beside the checkout; XQG_SHARED_DATA points elsewhere.
SHARED_DATA = Path(os.environ.get("XQG_SHARED_DATA") or ROOT.parent / "shared" / "data")

# Ray's native library must load before usearch's: with usearch loaded first, ray.init() in
# the same process aborts it (std::regex_error in Ray's GCS client, ray 2.60), and test modules
# import usearch while pytest collects them, before any local Ray instance starts.
with contextlib.suppress(ImportError):
    import ray  # noqa: F401

# R@kt tokenises with NLTK's Punkt data, which ships with the shared data here.
os.environ.setdefault("NLTK_DATA", str(SHARED_DATA / "nltk_data"))


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The read-only folder of real datasets (XQuAD, XNLI, XOR-TyDi, MIRACL, Punkt)."""
    if not (SHARED_DATA / "xquad" / "xquad.en.json").exists():
        raise RuntimeError(
            f"real data not found at {SHARED_DATA}: put shared/data beside the checkout or "
            "set XQG_SHARED_DATA to the folder that holds xquad/, xnli/ and nltk_data/"
        )
    return SHARED_DATA


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    """Path of a database that does not exist yet."""
    return tmp_path / "xqg.db"


@pytest.fixture
def store(db_path: Path) -> Iterator[Store]:
    """A fresh, migrated, empty database."""
    with open_store(db_path) as opened:
        yield opened


Dump = Callable[[Path], list[tuple[str, list[tuple[object, ...]]]]]


@pytest.fixture
def dump_db() -> Dump:
    """A function returning every row of every table: to prove that nothing changed (the
    constant ``powers_of_two`` of the ``results`` view left out)."""
    return _dump


def _dump(path: Path) -> list[tuple[str, list[tuple[object, ...]]]]:
    import sqlite3

    if not path.exists():
        return []
    conn = sqlite3.connect(path)
    try:
        tables = [
            r[0]
            for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '%_fts%' "
                "AND name NOT LIKE 'sqlite_%' AND name != 'powers_of_two' ORDER BY name"
            )
        ]
        return [(t, sorted(conn.execute(_select_all(t)).fetchall(), key=repr)) for t in tables]
    finally:
        conn.close()


def _select_all(table: str) -> str:
    """SELECT * of a table named by sqlite_master, quoted (names cannot be parameters)."""
    assert table.isidentifier(), table
    return 'SELECT * FROM "' + table + '"'


SMALL_LANGUAGES = ("en", "de", "es")
SMALL_PARAGRAPHS = 40


@pytest.fixture(scope="session")
def small_xquad(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The first 40 real XQuAD paragraphs with their questions in en, de and es."""
    import json

    folder = tmp_path_factory.mktemp("xquad-small")
    for lang in SMALL_LANGUAGES:
        document = json.loads((shared_data / "xquad" / f"xquad.{lang}.json").read_text("utf-8"))
        kept, left = [], SMALL_PARAGRAPHS
        for article in document["data"]:
            if left == 0:
                break
            paragraphs = article["paragraphs"][:left]
            kept.append({**article, "paragraphs": paragraphs})
            left -= len(paragraphs)
        (folder / f"xquad.{lang}.json").write_text(
            json.dumps({**document, "data": kept}, ensure_ascii=False), "utf-8"
        )
    return folder


@pytest.fixture(scope="session")
def pristine_demo_db(small_xquad: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database right after the whole demo pipeline ran on the small XQuAD (e5-small,
    real). No test writes to it: run ids are never reused, so a database that other tests
    added runs to cannot be brought back to this state by deleting them."""
    from pipelines.demo import run_demo

    path = tmp_path_factory.mktemp("demo") / "xqg.db"
    with open_store(path) as opened:
        run_demo(opened, small_xquad)
    return path


@pytest.fixture(scope="session")
def demo_db(pristine_demo_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A shared copy of the demo database, which tests may add runs to."""
    return copy_database(pristine_demo_db, tmp_path_factory.mktemp("demo-shared") / "xqg.db")


def copy_database(source: Path, target: Path) -> Path:
    """A consistent copy of a database and its vector files."""
    import shutil
    import sqlite3

    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    vectors = source.with_suffix(".vectors")
    if vectors.is_dir():
        shutil.copytree(vectors, target.with_suffix(".vectors"))
    return target


@pytest.fixture(scope="session")
def converted(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The Hugging Face folder ``xqg models import-e5-small`` writes (e5-small in torch)."""
    from pipelines.models.e5_small import import_e5_small

    folder = tmp_path_factory.mktemp("converted") / "e5-small"
    import_e5_small(folder)
    return folder


# make(store, keys, vectors, shard_size=...): see make_vector_set.
MakeVectorSet = Callable[..., VectorSet]


@pytest.fixture
def make_vector_set() -> MakeVectorSet:
    """A function that writes vectors as the passage vector set of a new index run (in
    shards of ``shard_size``)."""

    def make(store: Store, keys: Any, vectors: Any, shard_size: int | None = None) -> VectorSet:
        from store.collections import ensure_collection
        from store.runs import start_run
        from store.vectors import SHARD_SIZE, run_vector_set, vector_writer

        collection = ensure_collection(store, "c", "jsonl")
        run = start_run(store, "index", f"base-{len(keys)}", {}, collection_id=collection.id)
        with vector_writer(
            store,
            run_id=run.id,
            kind="passages",
            collection_id=collection.id,
            encoder="e5-small",
            encoder_config={"name": "e5-small"},
            dim=vectors.shape[1],
            shard_size=shard_size or SHARD_SIZE,
        ) as writer:
            writer.add(keys, vectors)
        return run_vector_set(store, run.id, "passages")

    return make


XNLI_PROMPTS = 24
XNLI_LANGUAGES = ["de", "th", "zh"]


@pytest.fixture(scope="session")
def xnli_slice(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Real XNLI dev rows of the first 24 promptIDs in en, de, zh and th."""
    source = shared_data / "xnli" / "xnli.dev.tsv"
    target = tmp_path_factory.mktemp("xnli") / "xnli.dev.tsv"
    with open(source, encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))
    header, body = rows[0], rows[1:]
    prompts = {r[5] for r in body if r[0] == "en"}
    first = sorted(prompts, key=int)[:XNLI_PROMPTS]
    kept = [r for r in body if r[0] in ("en", *XNLI_LANGUAGES) and r[5] in first]
    target.write_text("\n".join("\t".join(r) for r in [header, *kept]) + "\n", "utf-8")
    return target


@pytest.fixture(scope="session")
def robustness_db(xnli_slice: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The XNLI slice after a whole robustness experiment with real e5-small: index ``base``,
    entailed hypotheses as stand-ins (``entailed``), centred xQG index ``xqg``, three attacks
    on the premises, and the robustness run ``rob``."""
    from pipelines.augment import augment
    from pipelines.generations.heldout import generate_heldout
    from pipelines.index import build_index
    from pipelines.ingest import ingest, read_xnli
    from pipelines.robustness.evaluate import evaluate_robustness
    from pipelines.robustness.variants import perturb_queries

    path = tmp_path_factory.mktemp("robustness") / "xqg.db"
    with open_store(path) as store:
        ingest(store, read_xnli(xnli_slice))
        build_index(store, "xnli", name="base")
        generate_heldout(
            store,
            "xnli",
            splits=["hypothesis-entailment"],
            languages=XNLI_LANGUAGES,
            name="entailed",
        )
        augment(store, "base", "entailed", alpha=0.01, center=True, name="xqg")
        for attack, strength in (("char-noise", 0.3), ("contradiction", 1.0), ("code-switch", 0.0)):
            perturb_queries(
                store,
                "xnli",
                attack,
                strength=strength,
                seed=1,
                splits=["premise"],
                languages=XNLI_LANGUAGES,
                name=attack,
            )
        evaluate_robustness(
            store,
            ["base", "xqg"],
            ["char-noise", "contradiction", "code-switch"],
            languages=XNLI_LANGUAGES,
            depth=20,
            name="rob",
        )
    return path


ATTACKED_PREMISES = 2
ATTACKED_LANGUAGES = ["de", "zh"]
# e5-small encodes a few short texts a second on a shared CPU: small rounds.
ATTACK_SETTINGS = {"budget": 2, "candidates": 16}


@pytest.fixture(scope="session")
def attacked_db(robustness_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The robustness database plus model-aware code-mixing attacks (budget 2, 16 candidates
    a round, pushing the premise out of the top 10; the first 2 premises in de and zh)
    crafted against
    ``base`` and against ``xqg``, and the
    robustness run ``rob-adv`` that replays both on both systems (real e5-small)."""
    from pipelines.robustness.adversarial import Settings
    from pipelines.robustness.attack import attack_queries
    from pipelines.robustness.evaluate import evaluate_robustness

    path = copy_database(robustness_db, tmp_path_factory.mktemp("attacked") / "xqg.db")
    with open_store(path) as store:
        for system in ("base", "xqg"):
            attack_queries(
                store,
                system,
                Settings("code-mix", **ATTACK_SETTINGS),
                languages=ATTACKED_LANGUAGES,
                premises=ATTACKED_PREMISES,
                name=f"mix-{system}",
            )
        evaluate_robustness(
            store,
            ["base", "xqg"],
            ["mix-base", "mix-xqg"],
            languages=ATTACKED_LANGUAGES,
            depth=20,
            name="rob-adv",
        )
    return path
