"""A small real store to evaluate, shared by the evaluate and compare tests.

Passages: five real XQuAD English paragraphs (three of Super Bowl 50, two of Warsaw).
Queries: real XQuAD questions in Arabic and Russian with their English answers and own
paragraph as the relevant passage, one of them stored without answers, and one real
XOR-TyDi Russian question whose only answer is "yes". Two search runs (``base``, ``xqg``)
rank them by hand.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pipelines.ingest import ingest, read_jsonl
from pipelines.progress import Silent
from store import collections, results, runs
from store.db import Store
from store.records import Run, SearchHit

# XQuAD ids: A "points surrendered" (308, token 7 of sb0), B "Kuechly's tackles" (118,
# token 153 of sb0), C "lost to the Broncos" (Pittsburgh Steelers, tokens 5-6 of sb1),
# D "oldest quarterback record" (John Elway, tokens 41-42 of sb2), E "won Super Bowl XLIX"
# (stored without answers: R@kt skips it, MRR does not).
A, B, C, D, E = (
    "56beb4343aeaaa14008c925b",
    "56beb4343aeaaa14008c925d",
    "56beb7953aeaaa14008c92ab",
    "56beb86b3aeaaa14008c92be",
    "56beb7953aeaaa14008c92ad",
)
RELEVANT = {A: "sb0", B: "sb0", C: "sb1", D: "sb2", E: "sb1"}
YES_ONLY = "3675712146701410949"  # XOR-TyDi ru dev: answers ["yes"]
QUERIES = {"ar": [A, B, C, E], "ru": [B, C, D, YES_ONLY]}

# Rankings (docids, best first) of the two search runs, by (language, question).
BASE = {
    ("ar", A): ["sb0", "sb1", "sb2"],
    ("ar", B): ["sb1", "sb0", "w0"],
    ("ar", C): ["w0", "w1", "sb1"],
    ("ar", E): ["sb2", "w0"],
    ("ru", B): ["w0", "w1", "sb0"],
    ("ru", C): ["sb2", "w0", "w1"],
    ("ru", D): ["w1", "sb1", "sb2"],
    ("ru", YES_ONLY): ["w0", "sb0"],
}
XQG = {
    ("ar", A): ["sb0"],
    ("ar", B): ["sb0", "sb1"],
    ("ar", C): ["sb1", "w0"],
    ("ar", E): ["sb1", "sb2"],
    ("ru", B): ["sb2", "sb0"],
    ("ru", C): ["sb1"],
    ("ru", D): ["sb2"],
    ("ru", YES_ONLY): ["sb0"],
}


def xquad(shared_data: Path, language: str) -> dict[str, Any]:
    with (shared_data / "xquad" / f"xquad.{language}.json").open(encoding="utf-8") as handle:
        data: dict[str, Any] = json.load(handle)
    return data


def write_collection(shared_data: Path, path: Path) -> None:
    english = xquad(shared_data, "en")["data"]
    paragraphs = {
        "sb0": (english[0], 0),
        "sb1": (english[0], 1),
        "sb2": (english[0], 2),
        "w0": (english[1], 0),
        "w1": (english[1], 1),
    }
    lines: list[dict[str, Any]] = [
        {
            "type": "passage",
            "docid": docid,
            "title": article["title"].replace("_", " "),
            "text": article["paragraphs"][index]["context"],
        }
        for docid, (article, index) in paragraphs.items()
    ]
    answers = {
        qa["id"]: [a["text"] for a in qa["answers"]]
        for article in english
        for p in article["paragraphs"]
        for qa in p["qas"]
    }
    xor = shared_data / "xor-tydi" / "xor_dev_retrieve_eng_span_v1_1.jsonl"
    with xor.open(encoding="utf-8") as handle:
        yes_only = next(r for line in handle if (r := json.loads(line))["id"] == YES_ONLY)
    assert yes_only["answers"] == ["yes"]
    for language, ids in QUERIES.items():
        texts = {
            qa["id"]: qa["question"]
            for article in xquad(shared_data, language)["data"]
            for p in article["paragraphs"]
            for qa in p["qas"]
        }
        for qid in ids:
            if qid == YES_ONLY:
                record = {"text": yes_only["question"], "answers": yes_only["answers"]}
            else:
                record = {"text": texts[qid], "relevant": {RELEVANT[qid]: 1}}
                if qid != E:
                    record["answers"] = answers[qid]
            lines.append(
                {"type": "query", "qid": f"{qid}-{language}", "lang": language, "parallel_id": qid}
                | record
            )
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")


def search_run(
    store: Store,
    name: str,
    rankings: dict[tuple[str, str], list[str]],
    collection_id: int,
    *,
    tied: bool,
) -> Run:
    """A search run through the real run lifecycle, with hand-chosen rankings."""
    passage = collections.passage_ids_by_docid(store, collection_id)
    query = {q.qid: q.id for q in collections.get_queries(store, collection_id)}
    run = runs.start_run(store, "search", name, {}, collection_id=collection_id)
    results.add_results(
        store,
        run.id,
        [
            SearchHit(query[f"{qid}-{lang}"], rank, passage[docid], 0.5 if tied else 1 / rank)
            for (lang, qid), docids in rankings.items()
            for rank, docid in enumerate(docids, start=1)
        ],
    )
    return runs.finish_run(store, run.id, {"queries": len(rankings)})


def evaluated_store(
    store: Store, shared_data: Path, tmp_path: Path
) -> tuple[Store, dict[str, Run], int]:
    """The collection ingested into ``store`` and the two hand-ranked search runs."""
    path = tmp_path / "collection.jsonl"
    write_collection(shared_data, path)
    collection_id = ingest(store, read_jsonl(path)).collection_id
    assert collection_id is not None
    searched = {
        "base": search_run(store, "base", BASE, collection_id, tied=True),
        "xqg": search_run(store, "xqg", XQG, collection_id, tied=False),
    }
    return store, searched, collection_id


class Notes(Silent):
    """Progress that keeps its notes."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def note(self, message: str) -> None:
        """Keep the note."""
        self.lines.append(message)
