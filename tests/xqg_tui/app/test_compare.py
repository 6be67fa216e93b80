"""The Compare screen: per-language metrics with deltas and marks, helped and hurt queries."""

from __future__ import annotations

from pathlib import Path
from statistics import mean

from textual.message import Message
from textual.widgets import Input, Select, Static

from store import open_store
from store.collections import get_queries
from store.results import get_query_metrics
from store.runs import get_run
from tests.xqg_tui.app.conftest import MakeApp
from tests.xqg_tui.app.driving import SIZE, posted, shown, synchronous, table_rows, wait_until
from xqg_tui.app.messages import DeltasLoaded, ReportLoaded, SearchRendered
from xqg_tui.app.widgets.metrics import MetricsTable
from xqg_tui.app.widgets.query_deltas import QueryDeltaTable
from xqg_tui.app.widgets.ranking import RankingColumn

RUNS = ("demo-search-baseline", "demo-search-xqg-sum", "demo-search-xqg-mean")


Stored = tuple[dict[int, str], dict[int, str], dict[str, dict[int, float]], dict[int, float]]


def _stored(path: Path) -> Stored:
    """Query languages and texts, every run's stored MRR@10 per query, the baseline's R@0.1kt."""
    with open_store(path, create=False) as store:
        queries = get_queries(store, 1)
        values = {
            name: get_query_metrics(store, get_run(store, name).id, ["MRR@10"])["MRR@10"]
            for name in RUNS
        }
        baseline = get_run(store, RUNS[0]).id
        r_at_kt = get_query_metrics(store, baseline, ["R@0.1kt"])["R@0.1kt"]
    return {q.id: q.language for q in queries}, {q.id: q.text for q in queries}, values, r_at_kt


@synchronous
async def test_metrics_per_language_and_the_queries_xqg_helped(
    snapshot_db: Path, make_app: MakeApp
) -> None:
    language_of, text_of, values, r_at_kt = _stored(snapshot_db)
    languages = sorted({language_of[q] for q in values[RUNS[0]]})
    assert languages == ["de", "en", "es"]
    messages: list[Message] = []
    app = make_app(snapshot_db)
    async with app.run_test(size=SIZE, message_hook=messages.append) as pilot:
        await pilot.press("3")
        await wait_until(pilot, lambda: bool(posted(messages, DeltasLoaded)))
        table = app.screen.query_one(MetricsTable)
        rows = table_rows(table)
        report = posted(messages, ReportLoaded)[-1].report
        assert [row[0] for row in rows] == [*languages, "avg"]
        for row, language in zip(rows, languages, strict=False):
            asked = [q for q in values[RUNS[0]] if language_of[q] == language]
            means = [mean(values[run][q] for q in asked) for run in RUNS]
            assert row[1] == str(len(asked))
            assert row[2] == f"{means[0]:.3f}"
            assert (row[3], row[5]) == (f"{means[1]:.3f}", f"{means[2]:.3f}")
            assert row[4].startswith(f"{means[1] - means[0]:+.3f}")
            assert (
                row[4].endswith("*") == report.comparison(RUNS[1], "MRR@10", language).significant
            )
        # The cursor starts on the first language; every language lists exactly the queries
        # xQG helped and hurt most there (which languages have any depends on the scores).
        assert posted(messages, DeltasLoaded)[-1].language == "de"
        table.focus()
        listed = {}
        for position, language in enumerate(languages):
            if position:
                await pilot.press("down")
                await wait_until(
                    pilot, lambda lang=language: posted(messages, DeltasLoaded)[-1].language == lang
                )
            for sign, name, mark in ((+1, "helped", "+"), (-1, "hurt", "-")):
                rows = table_rows(app.screen.query_one(f"#{name}", QueryDeltaTable))
                changes = _changes(values, language_of, language, sign)
                assert [row[4] for row in rows] == [text_of[q] for _, q in changes]
                assert all(row[0] == language and row[3].startswith(mark) for row in rows)
                listed[language, name] = changes
        assert any(listed[lang, "helped"] for lang in languages)
        assert any(listed[lang, "hurt"] for lang in languages)
        # Enter on a helped query searches it with the baseline's and the system's indexes.
        language = next(lang for lang in reversed(languages) if listed[lang, "helped"])
        for back in reversed(languages[languages.index(language) : -1]):
            await pilot.press("up")
            await wait_until(
                pilot, lambda lang=back: posted(messages, DeltasLoaded)[-1].language == lang
            )
        helped_table = app.screen.query_one("#helped", QueryDeltaTable)
        gains = listed[language, "helped"]
        helped_table.focus()
        await pilot.press("enter")
        await wait_until(pilot, lambda: bool(posted(messages, SearchRendered)))
        assert app.screen.query_one("#query", Input).value == text_of[gains[0][1]]
        names = [column.ranking.name for column in app.screen.query(RankingColumn)]
        assert names == ["demo-baseline", "demo-xqg-sum"]
        # `m` walks the measures in the report's order: MRR@10, nDCG@10, Recall@1, Recall@10,
        # Recall@50 (the demo's measures), then round to R@0.1kt.
        await pilot.press("escape", "3")
        for expected in ("nDCG@10", "Recall@1", "Recall@10", "Recall@50", "R@0.1kt"):
            await pilot.press("m")
            await wait_until(
                pilot, lambda m=expected: posted(messages, ReportLoaded)[-1].measure == m
            )
        assert app.screen.query_one("#measure", Select).value == "R@0.1kt"
        spanish = [q for q in values[RUNS[0]] if language_of[q] == "es"]
        recall = mean(r_at_kt[q] for q in spanish)
        assert table_rows(table)[2][2] == f"{100 * recall:.2f}"  # R@kt in percent


def _changes(
    values: dict[str, dict[int, float]], language_of: dict[int, str], language: str, sign: int
) -> list[tuple[float, int]]:
    """(delta, query) of the queries xQG changed in one direction, largest first."""
    found = [
        (values[RUNS[1]][q] - values[RUNS[0]][q], q)
        for q in values[RUNS[0]]
        if language_of[q] == language and sign * (values[RUNS[1]][q] - values[RUNS[0]][q]) > 0
    ]
    return sorted(found, key=lambda pair: (-sign * pair[0], pair[1]))[:10]


@synchronous
async def test_marks_follow_the_newest_evaluations_test_and_correction(
    writable_db: Path, make_app: MakeApp
) -> None:
    from pipelines.evaluate import evaluate

    with open_store(writable_db) as store:
        evaluate(store, list(RUNS), measures=["MRR@10"], kt=[], test="wilcoxon", correction="bh")
    messages: list[Message] = []
    app = make_app(writable_db)
    async with app.run_test(size=SIZE, message_hook=messages.append) as pilot:
        await pilot.press("3")
        await wait_until(pilot, lambda: bool(posted(messages, ReportLoaded)))
        report = posted(messages, ReportLoaded)[-1].report
        assert (report.test, report.correction) == ("wilcoxon", "bh")
        legend = app.screen.query_one("#compare-legend", Static)
        assert "Wilcoxon signed-rank" in shown(legend) and "Benjamini-Hochberg" in shown(legend)


@synchronous
async def test_the_language_filter_keeps_one_language_and_its_queries(
    app_db: Path, make_app: MakeApp
) -> None:
    messages: list[Message] = []
    app = make_app(app_db)
    async with app.run_test(size=SIZE, message_hook=messages.append) as pilot:
        await pilot.press("3")
        await wait_until(pilot, lambda: bool(posted(messages, DeltasLoaded)))
        table = app.screen.query_one(MetricsTable)
        every = {row[0]: row for row in table_rows(table)}
        assert list(every) == ["de", "en", "es", "avg"]
        language = app.screen.query_one("#compare-language", Select)
        assert [value for _, value in language._options] == ["all", "de", "en", "es"]
        language.value = "es"
        await wait_until(pilot, lambda: [row[0] for row in table_rows(table)] == ["es", "avg"])
        assert table_rows(table) == [every["es"], every["avg"]]
        await wait_until(pilot, lambda: posted(messages, DeltasLoaded)[-1].language == "es")
        await pilot.press("m")  # another measure keeps the filter
        await wait_until(pilot, lambda: posted(messages, ReportLoaded)[-1].measure == "nDCG@10")
        await wait_until(pilot, lambda: [row[0] for row in table_rows(table)] == ["es", "avg"])
        language.value = "all"
        await wait_until(pilot, lambda: len(table_rows(table)) == 4)
