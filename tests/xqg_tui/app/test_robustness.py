"""The Robustness screen: per attack and language, clean and attacked scores of baseline and
xQG, their drops and the difference of drops, over a real robustness run (e5-small, XNLI)."""

from __future__ import annotations

from pathlib import Path

from textual.message import Message
from textual.widgets import DataTable, Select, Static

from pipelines.robustness.evaluate import build_robustness_report
from store import open_store
from store.runs import get_run
from tests.xqg_tui.app.conftest import MakeApp
from tests.xqg_tui.app.driving import (
    SIZE,
    posted,
    screen_name,
    shown,
    synchronous,
    table_rows,
    wait_until,
)
from xqg_tui.app.messages import RobustnessLoaded
from xqg_tui.robustness_report import attack_rows


@synchronous
async def test_every_attack_and_measure_of_the_newest_run(
    robustness_db: Path, make_app: MakeApp
) -> None:
    with open_store(robustness_db, create=False) as store:
        expected = build_robustness_report(store, get_run(store, "rob"))
    messages: list[Message] = []
    app = make_app(robustness_db)
    async with app.run_test(size=SIZE, message_hook=messages.append) as pilot:
        await pilot.press("5")
        assert screen_name(app) == "robustness"
        await wait_until(pilot, lambda: bool(posted(messages, RobustnessLoaded)))
        table = app.screen.query_one("#drops", DataTable)
        await wait_until(pilot, lambda: table.row_count > 0)
        assert app.screen.query_one("#attack", Select).value == "char-noise"
        assert app.screen.query_one("#rob-measure", Select).value == "MRR@10"
        assert table_rows(table) == attack_rows(expected, "char-noise", "MRR@10")
        assert [row[0] for row in table_rows(table)] == ["de", "th", "zh", "all"]
        status = shown(app.screen.query_one("#robustness-status", Static))
        assert status.startswith("MRR@10 under char-noise (char-noise @ 0.3, seed 1)")
        summary = shown(app.screen.query_one("#robustness-summary", Static))
        assert summary.startswith("base: clean MRR@10") and "xqg: clean MRR@10" in summary
        await pilot.press("a")  # the next attack
        await wait_until(
            pilot, lambda: app.screen.query_one("#attack", Select).value == "contradiction"
        )
        await pilot.pause()
        assert table_rows(table) == attack_rows(expected, "contradiction", "MRR@10")
        await pilot.press("m")  # the next measure
        await pilot.pause()
        measure = app.screen.query_one("#rob-measure", Select).value
        order = expected.measures
        assert measure == order[(order.index("MRR@10") + 1) % len(order)]
        assert table_rows(table) == attack_rows(expected, "contradiction", str(measure))


@synchronous
async def test_a_database_without_robustness_runs_says_what_to_do(
    app_db: Path, make_app: MakeApp
) -> None:
    app = make_app(app_db)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("5")
        status = app.screen.query_one("#robustness-status", Static)
        await wait_until(pilot, lambda: "No robustness evaluation yet" in shown(status))


@synchronous
async def test_a_clean_only_evaluation_shows_the_systems_side_by_side(
    robustness_db: Path, make_app: MakeApp, tmp_path: Path
) -> None:
    """Hypotheses as queries (no attack) is newer, but the screen opens on the newest run
    with attacks; chosen, it shows the clean comparison."""
    from pipelines.robustness.evaluate import evaluate_robustness
    from tests.conftest import copy_database
    from xqg_tui.report import rows as clean_rows

    path = copy_database(robustness_db, tmp_path / "xqg.db")
    with open_store(path) as store:
        hypotheses = evaluate_robustness(
            store, ["base", "xqg"], [], split="hypothesis-neutral", languages=["de"], name="hyp"
        )
        run_id = get_run(store, "hyp").id
    messages: list[Message] = []
    app = make_app(path)
    async with app.run_test(size=SIZE, message_hook=messages.append) as pilot:
        await pilot.press("5")
        await wait_until(pilot, lambda: bool(posted(messages, RobustnessLoaded)))
        chooser = app.screen.query_one("#evaluation", Select)
        assert chooser.value == get_run_id(path, "rob")
        chooser.value = run_id
        await wait_until(pilot, lambda: len(posted(messages, RobustnessLoaded)) == 2)
        await pilot.pause()
        table = app.screen.query_one("#drops", DataTable)
        assert hypotheses.clean is not None
        assert table_rows(table) == clean_rows(hypotheses.clean, "MRR@10")
        status = shown(app.screen.query_one("#robustness-status", Static))
        assert status == "MRR@10 of the clean hypothesis-neutral queries (no attack)"


def get_run_id(path: Path, name: str) -> int:
    with open_store(path, create=False) as store:
        return get_run(store, name).id


@synchronous
async def test_adversarial_examples_side_by_side_with_ranks(
    attacked_db: Path, make_app: MakeApp
) -> None:
    """A model-aware attack lists its adversarial queries: the original and the adversarial
    text with what changed highlighted (styled spans over literal text), and the relevant
    premise's rank before and after on both systems; a random attack shows none."""
    from pipelines.robustness.examples import adversarial_examples
    from xqg_tui.robustness_report import CHANGED_AFTER, example_rows

    with open_store(attacked_db, create=False) as store:
        run = get_run(store, "rob-adv")
        expected = adversarial_examples(store, run, "mix-base")
    app = make_app(attacked_db)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("5")
        table = app.screen.query_one("#examples", DataTable)
        await wait_until(pilot, lambda: table.row_count > 0)
        assert app.screen.query_one("#attack", Select).value == "mix-base"
        rows = example_rows(expected, ["base", "xqg"])
        assert table_rows(table) == [[str(c) for c in row] for row in rows]
        changed = next(e for e in expected if e.moves)
        shown_after = table.get_row_at(0)[3]
        assert str(shown_after) == changed.adversarial
        assert {str(span.style) for span in shown_after.spans} == {CHANGED_AFTER}
        assert str(table.get_row_at(0)[4]) == "{} → {}".format(*changed.ranks["base"])
        title = shown(app.screen.query_one("#examples-title", Static))
        assert title.startswith(f"adversarial examples: {sum(bool(e.moves) for e in expected)} of")
        assert table.display
        await pilot.press("a")  # the attack crafted against xqg
        await wait_until(pilot, lambda: app.screen.query_one("#attack", Select).value == "mix-xqg")
        await pilot.pause()
        assert {row[0] for row in table_rows(table)} == {"xqg"}
        await pilot.press("a")  # adaptive: each system's own attack
        await pilot.pause()
        assert {row[0] for row in table_rows(table)} == {"base", "xqg"}


def test_changes_are_highlighted_on_the_literal_text() -> None:
    """A markup-like query stays literal; the spans cover exactly what changed."""
    from xqg_tui.robustness_report import CHANGED_AFTER, CHANGED_BEFORE, highlighted

    before, after = highlighted("[b]das haus[/b] ist", "[b]la maison[/b] ist\x1b")
    assert before.plain == "[b]das haus[/b] ist" and after.plain == "[b]la maison[/b] ist\\x1b"
    assert [before.plain[s.start : s.end] for s in before.spans] == ["[b]das", "haus[/b]", "ist"]
    assert [after.plain[s.start : s.end] for s in after.spans] == [
        "[b]la",
        "maison[/b]",
        "ist\\x1b",
    ]
    assert {str(s.style) for s in before.spans} == {CHANGED_BEFORE}
    assert {str(s.style) for s in after.spans} == {CHANGED_AFTER}
    typo_before, typo_after = highlighted("das haus ist", "das hus ist")  # a typo: one letter
    assert [(s.start, s.end) for s in typo_before.spans] == [(5, 6)]
    assert typo_after.spans == []
