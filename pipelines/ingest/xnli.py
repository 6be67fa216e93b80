"""XNLI as a cross-lingual retrieval benchmark with adversarial distractors.

Corpus (English): every premise (``{promptID}/premise``) and, as hard distractors, its three
hypotheses (``{promptID}/entailment``, ``/neutral``, ``/contradiction``): near-duplicates in
topic and words. Queries, in every language (English ones are the passages' own text: they
are kept as the English version of each sentence, which code-switching needs, and are left
out of cross-lingual reports):

* split ``premise``: the premise in that language; relevant = its English premise;
* split ``hypothesis-<label>``: a hypothesis in that language; relevant = its premise.

``parallel_id`` links the translations of one sentence, so held-out rules and code-switching
(which needs the English sentence) work across languages.
"""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

from pipelines.errors import InputError
from pipelines.ingest.records import Dataset, UniqueIds, require_file, text_lines
from pipelines.languages import normalize_language
from store.records import PassageRecord, QrelRecord, QueryRecord

COLUMNS = ("language", "gold_label", "sentence1", "sentence2", "pairID", "promptID", "genre")
LABELS = ("entailment", "neutral", "contradiction")
Half = Literal["train", "test"]
HALVES: tuple[Half, ...] = ("train", "test")


@dataclass(frozen=True)
class PromptSplit:
    """Premises split into a train and a test half by promptID, seeded.

    A promptID's premise, its three hypotheses and their translations into every language
    go to one side; promptIDs that share a sentence text (in any language) form one group
    and go to one side together, so no text is on both sides. Groups are ordered by a hash
    of (seed, group) and the first ones take ``train_share`` of the promptIDs.
    ``max_prompts`` keeps only the first n promptIDs (by number) of each half: a smaller
    study whose premises are those of the full split.
    """

    train_share: float = 0.5
    seed: int = 1
    max_prompts: int | None = None

    def __post_init__(self) -> None:
        if not 0 < self.train_share < 1:
            raise InputError(f"--train-share must lie in (0, 1), got {self.train_share}")
        if self.max_prompts is not None and self.max_prompts < 1:
            raise InputError(f"--max-prompts must be at least 1, got {self.max_prompts}")


def premise_docid(prompt_id: str) -> str:
    """Docid of a premise passage."""
    return f"{prompt_id}/premise"


def hypothesis_docid(prompt_id: str, label: str) -> str:
    """Docid of the hypothesis passage with a given label."""
    return f"{prompt_id}/{label}"


def read_xnli(path: str | Path) -> Dataset:
    """Read the XNLI dev/test TSV (15 languages, parallel) into the benchmark above."""
    path = Path(path)
    return _dataset(path, _rows(path))


def read_xnli_halves(path: str | Path, split: PromptSplit) -> dict[Half, Dataset]:
    """The benchmark of each half of a :class:`PromptSplit` of the XNLI TSV; each dataset
    records the split (``part``), so a collection never mixes halves or seeds."""
    path = Path(path)
    rows = _rows(path)
    halves = split_prompts(rows, split)
    datasets: dict[Half, Dataset] = {}
    for half in HALVES:
        chosen = [r for r in rows if halves.get(r["promptID"]) == half]
        if not chosen:
            raise InputError(
                f"the {half} half is empty: the file has {len(set(halves))} promptIDs to "
                f"split with --train-share {split.train_share}; expected enough for both",
                path,
            )
        dataset = _dataset(path, chosen)
        dataset.part = {"half": half, **asdict(split)}
        datasets[half] = dataset
    return datasets


def split_prompts(rows: Sequence[dict[str, str]], split: PromptSplit) -> dict[str, Half]:
    """promptID -> its half (promptIDs left out by ``max_prompts`` are absent)."""
    groups = prompt_groups(rows)
    members: dict[str, list[str]] = {}
    for prompt, group in groups.items():
        members.setdefault(group, []).append(prompt)
    order = sorted(members, key=lambda g: hashlib.sha256(f"{split.seed}:{g}".encode()).digest())
    wanted = round(split.train_share * len(groups))
    halves: dict[str, Half] = {}
    taken = 0
    for group in order:
        half: Half = "train" if taken < wanted else "test"
        taken += len(members[group]) if half == "train" else 0
        halves.update(dict.fromkeys(members[group], half))
    if split.max_prompts is None:
        return halves
    kept: dict[str, Half] = {}
    for half in HALVES:
        chosen = sorted((p for p, h in halves.items() if h == half), key=_number)
        kept.update(dict.fromkeys(chosen[: split.max_prompts], half))
    return kept


def prompt_groups(rows: Sequence[dict[str, str]]) -> dict[str, str]:
    """promptID -> its group: the smallest promptID linked to it through a shared sentence
    text (premise or hypothesis, any language; on XNLI dev, one Urdu hypothesis is the
    hypothesis of two promptIDs)."""
    parent: dict[str, str] = {}

    def root(prompt: str) -> str:
        while parent[prompt] != prompt:
            parent[prompt] = parent[parent[prompt]]
            prompt = parent[prompt]
        return prompt

    owner: dict[str, str] = {}
    for row in rows:
        prompt = row["promptID"]
        parent.setdefault(prompt, prompt)
        for text in (row["sentence1"], row["sentence2"]):
            other = owner.setdefault(text, prompt)
            first, second = sorted((root(other), root(prompt)), key=_number)
            parent[second] = first
    return {prompt: root(prompt) for prompt in parent}


def _dataset(path: Path, rows: list[dict[str, str]]) -> Dataset:
    english = {r["pairID"]: r for r in rows if r["language"] == "en"}
    if not english:
        raise InputError("no English rows; the corpus is built from the English sentences", path)
    dataset = Dataset(source="xnli", files=[str(path)])
    dataset.passages = _passages(english, path)
    premises: dict[str, str] = {}
    pairs = UniqueIds("pair")
    for row in rows:
        key = f"{row['pairID']} ({row['language']})"
        content = (row["sentence1"], row["sentence2"], row["gold_label"], row["promptID"])
        if not pairs.is_new(key, content, path, int(row["line"])):
            continue
        source = english.get(row["pairID"])
        if source is None or source["promptID"] != row["promptID"]:
            raise InputError(
                f"pair {row['pairID']!r} ({row['language']}) has no English row "
                "with the same promptID; XNLI rows must be parallel",
                path,
                int(row["line"]),
            )
        _add_queries(dataset, row, premises, path)
    return dataset


def _rows(path: Path) -> list[dict[str, str]]:
    require_file(path, "no such file; expected the XNLI TSV (e.g. xnli.dev.tsv)")
    lines = (line for _, line in text_lines(path))
    reader = csv.reader(lines, delimiter="\t", quoting=csv.QUOTE_NONE)
    try:
        return _read_rows(reader, path)
    except csv.Error as error:  # e.g. a field over the csv module's 128 KiB limit
        raise InputError(
            f"not XNLI TSV ({error}); XNLI fields are sentences", path, reader.line_num
        ) from None


def _read_rows(reader: Any, path: Path) -> list[dict[str, str]]:
    header = next(reader, None)
    if header is None:
        raise InputError("file is empty; expected a header and XNLI rows", path)
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise InputError(f"header lacks columns {missing}; expected {list(COLUMNS)}", path, 1)
    rows = []
    for number, cells in enumerate(reader, start=2):
        if len(cells) != len(header):
            raise InputError(
                f"expected {len(header)} tab-separated columns, found {len(cells)}",
                path,
                number,
            )
        rows.append(_checked(dict(zip(header, cells, strict=True)), path, number))
    if not rows:
        raise InputError("no rows after the header", path)
    return rows


def _checked(row: dict[str, str], path: Path, number: int) -> dict[str, str]:
    if row["gold_label"] not in LABELS:
        raise InputError(
            f"gold_label {row['gold_label']!r} is not one of {list(LABELS)}", path, number
        )
    for column in ("sentence1", "sentence2", "pairID", "promptID"):
        if not row[column].strip():
            raise InputError(f"column {column!r} is empty", path, number)
    row["language"] = normalize_language(row["language"], str(path), number)
    row["line"] = str(number)
    return row


def _passages(english: dict[str, dict[str, str]], path: Path) -> list[PassageRecord]:
    premises: dict[str, str] = {}
    passages = []
    for pair_id in sorted(english, key=_number):
        row = english[pair_id]
        prompt = row["promptID"]
        if prompt in premises and premises[prompt] != row["sentence1"]:
            raise InputError(
                f"promptID {prompt!r} has two different English premises", path, int(row["line"])
            )
        if prompt not in premises:
            premises[prompt] = row["sentence1"]
            passages.append(PassageRecord(premise_docid(prompt), "", row["sentence1"]))
        passages.append(
            PassageRecord(hypothesis_docid(prompt, row["gold_label"]), "", row["sentence2"])
        )
    return passages


def _add_queries(
    dataset: Dataset, row: dict[str, str], premises: dict[str, str], path: Path
) -> None:
    language, prompt, pair = row["language"], row["promptID"], row["pairID"]
    relevant = premise_docid(prompt)
    premise_qid = f"premise-{prompt}-{language}"
    if premise_qid not in premises:
        premises[premise_qid] = row["sentence1"]
        dataset.queries.append(
            QueryRecord(premise_qid, language, row["sentence1"], "premise", f"premise-{prompt}")
        )
        dataset.note("query", premise_qid, path, int(row["line"]))
        dataset.qrels.append(QrelRecord(premise_qid, relevant, 1))
    elif premises[premise_qid] != row["sentence1"]:
        raise InputError(
            f"promptID {prompt!r} has two different {language} premises", path, int(row["line"])
        )
    qid = f"hypothesis-{pair}-{language}"
    dataset.queries.append(
        QueryRecord(
            qid, language, row["sentence2"], f"hypothesis-{row['gold_label']}", f"hypothesis-{pair}"
        )
    )
    dataset.qrels.append(QrelRecord(qid, relevant, 1))
    dataset.note("query", qid, path, int(row["line"]))


def _number(text: str) -> tuple[int, str]:
    return (int(text), text) if text.isdigit() else (0, text)
