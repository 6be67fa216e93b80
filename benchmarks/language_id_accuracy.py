"""Accuracy of the offline language detector (pipelines/language_id.py, py3langid) on every
XNLI dev hypothesis: 2,490 short sentences in each of 15 languages.

Prints, per language, the share detected right, the median confidence and the commonest
wrong answer, then the overall share and the speed. Run:
``python benchmarks/language_id_accuracy.py --data ../shared/data``.
"""

from __future__ import annotations

import argparse
import csv
import statistics
import time
from collections import Counter, defaultdict
from pathlib import Path

from pipelines.language_id import detect


def main() -> None:
    """Measure and print the table (Markdown)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default="../shared/data", help="folder holding xnli/")
    args = parser.parse_args()
    rows = _hypotheses(Path(args.data) / "xnli" / "xnli.dev.tsv")
    detect("warm up")
    started = time.perf_counter()
    found = [(language, detect(text)) for language, text in rows]
    seconds = time.perf_counter() - started
    right: Counter[str] = Counter()
    wrong: dict[str, Counter[str]] = defaultdict(Counter)
    confidence: dict[str, list[float]] = defaultdict(list)
    for language, detected in found:
        confidence[language].append(detected.confidence)
        if detected.language == language:
            right[language] += 1
        else:
            wrong[language][detected.language] += 1
    print("| language | hypotheses | detected right | median confidence | commonest miss |")
    print("|---|---:|---:|---:|---|")
    for language in sorted(confidence):
        total = len(confidence[language])
        miss = ", ".join(f"{k} ({v})" for k, v in wrong[language].most_common(2)) or "-"
        print(
            f"| {language} | {total:,} | {100 * right[language] / total:.1f}% | "
            f"{statistics.median(confidence[language]):.3f} | {miss} |"
        )
    print(f"| all | {len(rows):,} | {100 * sum(right.values()) / len(rows):.1f}% | | |")
    print(f"\n{len(rows) / seconds:,.0f} texts/s on one core")


def _hypotheses(path: Path) -> list[tuple[str, str]]:
    with open(path, encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
        return [(row["language"], row["sentence2"]) for row in reader]


if __name__ == "__main__":
    main()
