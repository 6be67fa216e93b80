"""kill -9 of a real ``xqg index`` between shards: the same command run again continues at
the first unfinished shard and ends with the files of an uninterrupted build, bit for bit.

The small real XQuAD (40 passages) is encoded by a tiny real BERT one text a pass, 4 vectors
a shard (10 shards); the process is killed as soon as at least two shards are registered.
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

from tests.pipelines.encoders.tiny_bert import build_tiny_bert, xquad_articles
from tests.processes import default_sigint, xqg_command
from xqg_tui.cli import main

pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore::DeprecationWarning")]

SHARDS = 10


def _index_args(bert: Path) -> list[str]:
    return [
        *("index", "--collection", "xquad", "--encoder", f"hf:{bert}", "--device", "cpu"),
        *("--batch-size", "1", "--shard-size", "4", "--name", "base"),
    ]


def _shards(db: Path) -> list[tuple[int, int, str]]:
    conn = sqlite3.connect(db, timeout=30)
    try:
        return conn.execute(
            "SELECT shard, count, sha256 FROM vector_shards ORDER BY shard"
        ).fetchall()
    except sqlite3.OperationalError:  # not migrated yet
        return []
    finally:
        conn.close()


@pytest.fixture(scope="module")
def ingested(
    small_xquad: Path, shared_data: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, Path]:
    """A folder with the ingested small XQuAD, and the tiny BERT."""
    root = tmp_path_factory.mktemp("shard-kill")
    bert = build_tiny_bert(root / "bert", xquad_articles(shared_data / "xquad"))
    folder = root / "ingested"
    folder.mkdir()
    assert main(["ingest", "xquad", str(small_xquad), "--db", str(folder / "xqg.db")]) == 0
    return folder, bert


def test_a_killed_index_build_continues_at_its_first_unfinished_shard(
    ingested: tuple[Path, Path], tmp_path: Path
) -> None:
    folder, bert = ingested
    clean = tmp_path / "clean"
    shutil.copytree(folder, clean)
    assert main([*_index_args(bert), "--db", str(clean / "xqg.db")]) == 0
    expected = _shards(clean / "xqg.db")
    assert [count for _, count, _ in expected] == [4] * SHARDS
    db = tmp_path / "cut" / "xqg.db"
    for _ in range(10):
        shutil.rmtree(db.parent, ignore_errors=True)
        shutil.copytree(folder, db.parent)
        process = subprocess.Popen(
            [*xqg_command(), *_index_args(bert), "--db", str(db)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=default_sigint,
        )
        while process.poll() is None and len(_shards(db)) < 2:
            time.sleep(0.001)
        process.kill()
        process.wait(timeout=60)
        if 2 <= len(_shards(db)) < SHARDS:  # landed between shards, not after the last
            break
    else:
        raise AssertionError("no kill landed while the shards were being written")
    kept = _shards(db)
    assert kept == expected[: len(kept)]  # the finished shards are the clean run's
    rerun = subprocess.run(
        [*xqg_command(), *_index_args(bert), "--db", str(db)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert rerun.returncode == 0, rerun.stderr
    assert f"continuing after {4 * len(kept)} passages" in rerun.stdout + rerun.stderr
    assert _shards(db) == expected  # bit for bit: nothing repeated, nothing lost
    registered = {
        Path(path).name for (path,) in sqlite3.connect(db).execute("SELECT path FROM vector_shards")
    }
    assert {p.name for p in db.with_suffix(".vectors").iterdir()} == registered
