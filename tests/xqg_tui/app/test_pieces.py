"""Small pure pieces of the app, with values worked out by hand."""

from __future__ import annotations

import pytest

from store.browse import KnownQuery
from xqg_tui.app.engine import resolve_language
from xqg_tui.app.rankings import Hit
from xqg_tui.app.screens.runs import params_text, took_text
from xqg_tui.app.scripts import detect_query_language, guess_language
from xqg_tui.app.widgets.ranking import ANSWER_STYLE, rank_change, snippet


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Сколько очков?", "ru"),
        ("كم نقطة؟", "ar"),
        ("Πόσοι πόντοι;", "el"),
        ("कितने अंक?", "hi"),
        ("東京はどこですか", "ja"),  # kana among the Chinese characters
        ("北京在哪里", "zh"),
        ("서울은 어디", "ko"),
        ("Where is Oslo?", None),  # Latin script: not guessed
        ("Wo liegt Москва?", "ru"),
    ],
)
def test_the_script_names_the_language(text: str, language: str | None) -> None:
    assert guess_language(text) == language


def test_a_chosen_language_keeps_only_the_stored_questions_in_it() -> None:
    german = KnownQuery(1, 1, "q-de", "de", "Wer?", ("Ada",), frozenset({3}))
    spanish = KnownQuery(2, 1, "q-es", "es", "Wer?", (), frozenset())
    assert resolve_language("Wer?", "auto", [german, spanish]) == ("de", [german])
    assert resolve_language("Wer?", "es", [german, spanish]) == ("es", [spanish])
    assert resolve_language("Кто?", "auto", []) == ("ru", [])
    assert resolve_language("Who?", "auto", []) == ("", [])  # too short to tell


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Where is Oslo?", "en"),  # Latin script: the detector tells the languages apart
        ("Wo liegt der Bahnhof?", "de"),
        ("Cuántos puntos anotaron los Panteras?", "es"),
        ("Quelle équipe a gagné le Super Bowl?", "fr"),
        ("Wo liegt Москва?", "ru"),  # the detector unsure (Serbian, 0.21): the script decides
        ("北京在哪里", "zh"),
        ("Who?", None),
        ("2026", None),
    ],
)
def test_free_text_gets_the_detected_language(text: str, language: str | None) -> None:
    assert detect_query_language(text) == language


def _hit(rank: int, baseline_rank: int | None) -> Hit:
    return Hit(rank, 7, 0.5, "d7", "Title", "text", baseline_rank, False)


def test_rank_changes_read_against_the_baseline() -> None:
    assert rank_change(_hit(2, 5), is_baseline=False).plain == "▲3"
    assert rank_change(_hit(5, 2), is_baseline=False).plain == "▼3"
    assert rank_change(_hit(4, 4), is_baseline=False).plain == "="
    assert rank_change(_hit(1, None), is_baseline=False).plain == "new"
    assert rank_change(_hit(1, 1), is_baseline=True).plain == ""


def test_the_snippet_centres_on_the_first_answer_and_highlights_every_one() -> None:
    text = "A " * 40 + "Oslo is the capital; Oslo again"
    piece = snippet(text, ("Oslo",), 30)
    assert piece.plain.startswith("…")
    assert len(piece.plain) <= 30
    marked = [piece.plain[span.start : span.end] for span in piece.spans]
    assert marked and set(marked) == {"Oslo"}
    assert all(str(span.style) == ANSWER_STYLE for span in piece.spans)
    plain = snippet("No answer here at all", ("Oslo",), 30)
    assert plain.plain == "No answer here at all" and not plain.spans
    assert snippet("oslo, lower case", ("Oslo",), 30).spans == []  # case-sensitive, as R@kt


def test_durations_and_parameters_in_a_line() -> None:
    assert took_text("2024-01-01T10:00:00+00:00", "2024-01-01T10:02:05+00:00") == "2m05s"
    assert took_text("2024-01-01T10:00:00+00:00", "2024-01-01T13:04:00+00:00") == "3h04m"
    assert took_text("2024-01-01T10:00:00+00:00", "2024-01-01T10:00:09+00:00") == "9s"
    assert took_text("2024-01-01T10:00:00+00:00", None).endswith("…")  # still running
    assert params_text({"alpha": 0.01, "runtime": {"device": "cpu"}, "agg": "sum"}) == (
        'alpha=0.01, agg="sum"'
    )
    assert params_text({"names": ["x" * 80]}, limit=20) == 'names=["' + "x" * 11 + "…"
