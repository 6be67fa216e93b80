"""``xqg generate model`` and ``xqg export-generations`` as a user runs them.

The resume test kills real ``xqg`` processes (kill -9 and Ctrl-C) at random points and
checks that the continued run ends with exactly the rows of a clean run.
"""

from __future__ import annotations

import json
import random
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from pipelines.generations import generate_queries
from pipelines.generations.plan import WHOLE, plan_batches
from pipelines.ingest import ingest, read_xquad
from store import open_store
from store.generations import done_batches, get_generations
from tests.pipelines.generations.tiny_mt5 import build_tiny_mt5
from tests.processes import default_sigint, xqg_command
from xqg_tui.cli import main

pytestmark = pytest.mark.slow

OPTIONS = [
    "--langs",
    "ar,de,ja",
    "--per-lang",
    "3",
    "--max-new-tokens",
    "10",
    "--max-input-length",
    "48",
    "--batch-size",
    "2",
    "--seed",
    "7",
    "--threads",
    "1",
]
# The same settings for the Python API.
SETTINGS: dict[str, Any] = {
    "languages": ["ar", "de", "ja"],
    "per_language": 3,
    "max_new_tokens": 10,
    "max_input_length": 48,
    "batch_size": 2,
    "seed": 7,
    "threads": 1,
}
# The kill test cuts runs of one passage a batch (40 batches, not 20 of 2), so that a fast
# run does not finish in the moment between its target and the signal.
BATCHES = 40


@pytest.fixture(scope="module")
def tiny_model(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_mt5(tmp_path_factory.mktemp("models") / "tiny-mt5", shared_data / "xquad")


@pytest.fixture(scope="module")
def template_db(small_xquad: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("db") / "xqg.db"
    with open_store(path) as store:
        ingest(store, read_xquad(small_xquad, ["en"]))
    return path


@pytest.fixture
def db(template_db: Path, db_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("COLUMNS", "4000")  # no wrapped messages
    shutil.copy(template_db, db_path)
    return db_path


def _generate(db: Path, model: Path, *extra: str) -> list[str]:
    """``xqg generate model`` arguments with the small settings."""
    base = ["generate", "model", "--db", str(db), "--collection", "xquad", "--model", str(model)]
    return [*base, *OPTIONS, *extra]


def _rows(db: Path, run: str) -> list[tuple[int, str, int, str]]:
    with open_store(db) as store:
        run_id = store.scalar("SELECT id FROM runs WHERE name = ?", (run,))
        return [
            (g.passage_id, g.language, g.position, g.text) for g in get_generations(store, run_id)
        ]


def test_generate_prints_a_summary_and_records_the_run(
    db: Path, tiny_model: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["generate", "model", "--db", str(db), "--collection", "xquad"]
    assert main([*args, "--model", str(tiny_model), *OPTIONS, "--name", "g"]) == 0
    shown = capsys.readouterr()
    assert "360 generated queries — run g" in shown.out
    assert "40 passages, 360 samples; dropped 0 empty, 0 copies of the prompt" in shown.out
    # Progress (plain lines: standard error is not a terminal here): passages done of all
    # with their rate, the queries and theirs, the time taken.
    done = r"passages: done, 40/40 \(100%\), [\d,.]+/s, 360 queries \([\d,.]+/s\) in [\d.]+ s"
    assert re.search(done, shown.err)
    assert len(_rows(db, "g")) == 360
    # Every stored query carries the language detected in it (the tiny model writes noise:
    # which language it is does not matter here, that it was detected does).
    with open_store(db) as store:
        detected = store.execute(
            "SELECT detected_language, language_confidence FROM generations"
        ).fetchall()
    assert len(detected) == 360
    assert all(language and 0.0 <= confidence <= 1.0 for language, confidence in detected)


def test_export_and_import_round_trip_on_the_command_line(
    db: Path, tiny_model: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = ["--db", str(db)]
    assert main(_generate(db, tiny_model, "--name", "g")) == 0
    for layout in ("official", "flat"):
        out = tmp_path / f"{layout}.jsonl"
        assert main(["export-generations", "g", "--format", layout, str(out), *base]) == 0
        assert f"360 generated queries of 40 passages written to {out}" in capsys.readouterr().out
        back = ["import-generations", str(out), "--collection", "xquad", "--name", f"back-{layout}"]
        assert main([*back, *base]) == 0
        assert _rows(db, f"back-{layout}") == _rows(db, "g")
    first = json.loads((tmp_path / "official.jsonl").read_text("utf-8").splitlines()[0])
    assert first["docid"] == "Super_Bowl_50#0" and len(first["generated_queries"]["ja"]) == 3


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--model", "./no/such/model"], "./no/such/model: no such folder"),
        (["--model", "NO_TOKENIZER"], "no tokenizer files"),
        (["--langs", "ar,klingon"], "unknown language 'klingon'"),
        (["--template", "{passage"], "malformed prompt template '{passage'"),
        (["--resume", "nothing"], "no run 'nothing'"),
    ],
)
def test_bad_input_exits_2_with_a_message_and_writes_nothing(
    db: Path,
    tiny_model: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    dump_db: Any,
    extra: list[str],
    message: str,
) -> None:
    if "NO_TOKENIZER" in extra:
        folder = tmp_path / "no-tokenizer"
        shutil.copytree(tiny_model, folder, ignore=shutil.ignore_patterns("tokenizer*"))
        extra = ["--model", str(folder)]
    before = dump_db(db)
    assert main(_generate(db, tiny_model, *extra)) == 2
    assert message in capsys.readouterr().err
    assert dump_db(db) == before


def test_help_is_instant_and_names_every_option() -> None:
    code = (
        "import sys; from xqg_tui.cli import main\n"
        "try:\n    main(['generate', 'model', '--help'])\nexcept SystemExit:\n    pass\n"
        "print('heavy:', [m for m in ('torch', 'transformers', 'ray', 'numpy') "
        "if m in sys.modules])"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "heavy: []" in done.stdout
    for option in (
        "--per-lang",
        "--top-k",
        "--shard",
        "--engine",
        "--resume",
        "--trust-remote-code",
    ):
        assert option in done.stdout


def test_help_states_the_defaults_of_the_settings(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import re

    from pipelines.generations.settings import GenerationSettings

    monkeypatch.setenv("COLUMNS", "400")  # argparse would wrap the model id at a hyphen
    with pytest.raises(SystemExit):
        main(["generate", "model", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    defaults = GenerationSettings()
    shown = {
        "--model": defaults.model,
        "--langs": ",".join(defaults.languages),
        "--per-lang": defaults.per_language,
        "--top-k": defaults.top_k,
        "--max-new-tokens": defaults.max_new_tokens,
        "--max-input-length": defaults.max_input_length,
        "--seed": defaults.seed,
        "--batch-size": defaults.batch_size,
    }
    for option, value in shown.items():
        assert re.search(rf"{option} [A-Z_]+ [^(]*\({re.escape(str(value))}\)", text), option


def _stored(db: Path, run: str) -> int:
    conn = sqlite3.connect(db, timeout=30)
    try:
        found = conn.execute(
            "SELECT count(*) FROM generation_batches b JOIN runs r ON r.id = b.run_id "
            "WHERE r.name = ?",
            (run,),
        ).fetchone()
        return int(found[0])
    except sqlite3.OperationalError:  # not migrated yet
        return 0
    finally:
        conn.close()


def _kill_after(
    command: list[str], db: Path, batches: int, delay: float, sig: int, log: Path
) -> int:
    """Start ``xqg``, wait until ``batches`` batches are stored, then send ``sig``."""
    with log.open("ab") as err:
        process = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=err, preexec_fn=default_sigint
        )
        deadline = time.monotonic() + 120
        while _stored(db, "cut") < batches and process.poll() is None:
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.005)
        time.sleep(delay)
        alive = process.poll() is None
        process.send_signal(sig)
        code = process.wait(timeout=60)
    assert alive, f"xqg finished before it could be stopped: {log.read_text()}"
    return code


def test_runs_killed_at_random_points_resume_to_exactly_the_clean_rows(
    db: Path, tiny_model: Path, tmp_path: Path
) -> None:
    rng = random.Random(20240531)
    start = [*xqg_command(), *_generate(db, tiny_model, "--name", "cut", "--batch-size", "1")]
    # Threads are where a run goes, not what it makes: a resume may set them again.
    again = ["generate", "model", "--db", str(db), "--resume", "cut", "--threads", "1"]
    log, stored = tmp_path / "xqg.log", 0
    for number, sig in enumerate((signal.SIGKILL, signal.SIGINT, signal.SIGKILL)):
        target = stored + rng.randint(1, 4)
        code = _kill_after(
            start if number == 0 else [*xqg_command(), *again],
            db,
            target,
            rng.uniform(0, 0.03),
            sig,
            log,
        )
        assert code == (130 if sig == signal.SIGINT else -signal.SIGKILL)
        stored = _stored(db, "cut")
        assert target <= stored < BATCHES
        _assert_whole_batches(db, stored)
    assert main(again) == 0
    with open_store(db) as store:
        settings = {**SETTINGS, "batch_size": 1}
        generate_queries(store, "xquad", model=str(tiny_model), name="clean", **settings)
        assert store.scalar("SELECT status FROM runs WHERE name = 'cut'") == "done"
    assert _rows(db, "cut") == _rows(db, "clean")


def _assert_whole_batches(db: Path, stored: int) -> None:
    """Every stored batch has all its passages' queries, and nothing else is stored."""
    with open_store(db) as store:
        run_id = store.scalar("SELECT id FROM runs WHERE name = 'cut'")
        numbers = set(done_batches(store, run_id))
        plan = {b.number: b.passage_ids for b in plan_batches(store, 1, 1, WHOLE, set())}
        expected = {(pid, lang) for n in numbers for pid in plan[n] for lang in ("ar", "de", "ja")}
        found = {(g.passage_id, g.language) for g in get_generations(store, run_id)}
    assert len(numbers) == stored and found == expected
