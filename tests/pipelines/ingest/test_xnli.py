"""XNLI as retrieval with adversarial distractors: counts, relevance and bad input."""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import pytest

from pipelines.ingest import Dataset, PromptSplit, read_xnli, read_xnli_halves
from pipelines.ingest.xnli import prompt_groups, split_prompts
from tests.pipelines.ingest.datafiles import Cli, ExpectBadInput, Sql

HEADER = "language\tgold_label\tsentence1\tsentence2\tpairID\tpromptID\tgenre\n"


@pytest.fixture(scope="module")
def dev_rows(shared_data: Path) -> list[dict[str, str]]:
    with open(shared_data / "xnli" / "xnli.dev.tsv", encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))


def test_real_dev_file_gives_premises_hypotheses_in_15_languages(
    shared_data: Path, dev_rows: list[dict[str, str]]
) -> None:
    dataset = read_xnli(shared_data / "xnli" / "xnli.dev.tsv")
    prompts = {r["promptID"] for r in dev_rows}
    assert len(dataset.passages) == len(prompts) + len(dev_rows) // 15 == 830 + 2490
    assert Counter(q.split for q in dataset.queries) == {
        "premise": 830 * 15,
        "hypothesis-entailment": 830 * 15,
        "hypothesis-neutral": 830 * 15,
        "hypothesis-contradiction": 830 * 15,
    }
    assert {q.language for q in dataset.queries} == {r["language"] for r in dev_rows}
    # Every query's relevant passage is its English premise.
    premise_of = {q.qid: q for q in dataset.queries}
    assert {r.qid: r.docid for r in dataset.qrels}["premise-1-zh"] == "1/premise"
    assert {r.qid: r.docid for r in dataset.qrels}["hypothesis-2-de"] == "1/premise"
    assert premise_of["hypothesis-2-de"].split == "hypothesis-contradiction"


def test_passages_are_the_english_sentences(
    shared_data: Path, dev_rows: list[dict[str, str]]
) -> None:
    english = {r["pairID"]: r for r in dev_rows if r["language"] == "en"}
    texts = {p.docid: p.text for p in read_xnli(shared_data / "xnli" / "xnli.dev.tsv").passages}
    for pair in ("1", "2", "3", "2490"):
        row = english[pair]
        assert texts[f"{row['promptID']}/premise"] == row["sentence1"]
        assert texts[f"{row['promptID']}/{row['gold_label']}"] == row["sentence2"]


def test_cli_ingests_and_reingests_nothing(
    shared_data: Path, cli: Cli, db_path: Path, sql: Sql
) -> None:
    path = shared_data / "xnli" / "xnli.dev.tsv"
    code, out, _ = cli("ingest", "xnli", path, "--db", db_path)
    assert code == 0
    assert "added 3320 passages, 49800 queries, 49800 qrels, 0 answers" in out
    code, out, _ = cli("ingest", "xnli", path, "--db", db_path)
    assert "added 0 passages, 0 queries, 0 qrels, 0 answers" in out
    assert sql("SELECT count(DISTINCT parallel_id) FROM queries") == [(830 + 2490,)]


def _write(tmp_path: Path, rows: list[str]) -> Path:
    path = tmp_path / "xnli.tsv"
    path.write_text(HEADER + "".join(rows), encoding="utf-8")
    return path


GOOD = [
    "en\tneutral\tHe said hi.\tHe called.\t1\t1\tfacetoface\n",
    "de\tneutral\tEr sagte hallo.\tEr rief an.\t1\t1\tfacetoface\n",
]


@pytest.mark.parametrize(
    ("rows", "line", "message"),
    [
        (
            [GOOD[0], "de\tmaybe\tEr sagte hallo.\tEr rief an.\t1\t1\tx\n"],
            3,
            "gold_label 'maybe' is not one of ['entailment', 'neutral', 'contradiction']",
        ),
        (
            [GOOD[0], "de\tneutral\tEr sagte hallo.\t1\t1\tx\n"],
            3,
            "expected 7 tab-separated columns, found 6",
        ),
        (
            [GOOD[0], "xx\tneutral\tEr sagte hallo.\tEr rief an.\t1\t1\tx\n"],
            3,
            "unknown language 'xx'; expected an ISO 639-1 code such as ar, bn, de, en, fi, ja, ko, "
            "ru, te, zh",
        ),
        (
            [GOOD[0], "de\tneutral\tEr sagte hallo.\tEr rief an.\t9\t1\tx\n"],
            3,
            "pair '9' (de) has no English row with the same promptID; XNLI rows must be parallel",
        ),
        ([GOOD[0], "de\tneutral\t \tEr rief an.\t1\t1\tx\n"], 3, "column 'sentence1' is empty"),
        (
            [*GOOD, "de\tneutral\tEr sagte hallo.\tEr rief nie an.\t1\t1\tx\n"],
            4,
            "pair id '1 (de)' appears again with different content (first at line 3); "
            "ids must be unique",
        ),
    ],
)
def test_bad_rows_are_refused_with_their_line(
    tmp_path: Path, rows: list[str], line: int, message: str, expect_bad_input: ExpectBadInput
) -> None:
    path = _write(tmp_path, rows)
    expect_bad_input(["ingest", "xnli", str(path)], f"{path}:{line}: {message}")


def test_header_and_empty_file_are_checked(
    tmp_path: Path, expect_bad_input: ExpectBadInput
) -> None:
    empty = tmp_path / "empty.tsv"
    empty.write_text("", encoding="utf-8")
    expect_bad_input(
        ["ingest", "xnli", str(empty)], f"{empty}: file is empty; expected a header and XNLI rows"
    )
    headless = tmp_path / "headless.tsv"
    headless.write_text(GOOD[0], encoding="utf-8")
    expect_bad_input(
        ["ingest", "xnli", str(headless)],
        f"{headless}:1: header lacks columns ['language', 'gold_label', "
        "'sentence1', 'sentence2', 'pairID', 'promptID', 'genre']; expected "
        "['language', 'gold_label', 'sentence1', 'sentence2', 'pairID', "
        "'promptID', 'genre']",
    )


def _sides(datasets: dict[str, Dataset]) -> dict[str, dict[str, set[str]]]:
    """Per half: its promptIDs, premise texts and hypothesis texts (every language)."""
    return {
        half: {
            "prompts": {p.docid.split("/")[0] for p in dataset.passages},
            "premises": {q.text for q in dataset.queries if q.split == "premise"},
            "hypotheses": {q.text for q in dataset.queries if q.split != "premise"},
        }
        for half, dataset in datasets.items()
    }


def test_split_by_prompt_leaks_nothing_on_the_whole_dev_file(
    shared_data: Path, dev_rows: list[dict[str, str]]
) -> None:
    path = shared_data / "xnli" / "xnli.dev.tsv"
    halves = read_xnli_halves(path, PromptSplit(0.5, seed=1))
    sides = _sides(halves)
    train, test = sides["train"], sides["test"]
    for kind in ("prompts", "premises", "hypotheses"):
        assert train[kind] & test[kind] == set(), kind
    # Every text of the file, in any role, lies on one side only.
    assert (train["premises"] | train["hypotheses"]) & (test["premises"] | test["hypotheses"]) == (
        set()
    )
    assert train["prompts"] | test["prompts"] == {r["promptID"] for r in dev_rows}
    assert (len(train["prompts"]), len(test["prompts"])) == (415, 415)
    # The one text two promptIDs share (Urdu) keeps them on one side.
    prompts_of: dict[str, set[str]] = {}
    for row in dev_rows:
        for text in (row["sentence1"], row["sentence2"]):
            prompts_of.setdefault(text, set()).add(row["promptID"])
    [shared] = [prompts for prompts in prompts_of.values() if len(prompts) > 1]
    assert shared == {"1097", "1205"}
    assert prompt_groups(dev_rows)["1205"] == prompt_groups(dev_rows)["1097"] == "1097"
    assert shared <= train["prompts"] or shared <= test["prompts"]
    for half in ("train", "test"):
        dataset = halves[half]
        prompts = sides[half]["prompts"]
        # All 15 languages of a promptID: its premise and 3 hypotheses in each.
        assert len(dataset.queries) == len(prompts) * 4 * 15
        assert {r.docid.split("/")[0] for r in dataset.qrels} == prompts
        assert dataset.part == {"half": half, "train_share": 0.5, "seed": 1, "max_prompts": None}


def test_split_by_prompt_is_fixed_by_its_seed(dev_rows: list[dict[str, str]]) -> None:
    first = split_prompts(dev_rows, PromptSplit(0.5, seed=7))
    assert split_prompts(dev_rows, PromptSplit(0.5, seed=7)) == first
    other = split_prompts(dev_rows, PromptSplit(0.5, seed=8))
    assert other != first and set(other) == set(first)
    quarter = split_prompts(dev_rows, PromptSplit(0.25, seed=7))
    assert sum(h == "train" for h in quarter.values()) in (207, 208)  # 830 / 4, groups of 2
    # A subset keeps the first promptIDs of each half of the full split.
    small = split_prompts(dev_rows, PromptSplit(0.5, seed=7, max_prompts=3))
    assert sorted(small.values()) == ["test"] * 3 + ["train"] * 3
    assert all(first[prompt] == half for prompt, half in small.items())
    for half in ("train", "test"):
        numbers = sorted(int(p) for p, h in first.items() if h == half)
        assert sorted(int(p) for p, h in small.items() if h == half) == numbers[:3]


def test_cli_split_writes_two_collections_and_refuses_another_seed_into_them(
    shared_data: Path, cli: Cli, db_path: Path, sql: Sql, expect_bad_input: ExpectBadInput
) -> None:
    path = shared_data / "xnli" / "xnli.dev.tsv"
    code, out, _ = cli(
        "ingest", "xnli", path, "--split-by-prompt", "--max-prompts", "5", "--db", db_path
    )
    assert code == 0
    assert "added 20 passages, 300 queries, 300 qrels, 0 answers to collection 'xnli-train'" in out
    assert "added 20 passages, 300 queries, 300 qrels, 0 answers to collection 'xnli-test'" in out
    before = sql("SELECT count(*) FROM queries")
    expect_bad_input(
        ["ingest", "xnli", str(path), "--split-by-prompt", "--seed", "2", "--max-prompts", "5"],
        "collection 'xnli-train' already holds part half train, max_prompts 5, seed 1, "
        "train_share 0.5 (ingest run 'ingest-xnli-train'); ingest part half train, "
        "max_prompts 5, seed 2, train_share 0.5 into another --collection",
    )
    assert sql("SELECT count(*) FROM queries") == before
