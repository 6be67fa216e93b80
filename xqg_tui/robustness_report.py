"""Robustness reports for people: a table per attack, a summary line per system, Markdown
and a PNG of the drops per language."""

from __future__ import annotations

from pathlib import Path

from rich.table import Table
from rich.text import Text

from pipelines.metrics.measures import SUCCESS_MEASURES
from pipelines.metrics.measures import measure as lookup
from pipelines.metrics.paired import POOLED, family_text
from pipelines.metrics.significance import TESTS
from pipelines.robustness.evaluate import ADAPTIVE, DropTest, RobustnessReport
from pipelines.robustness.examples import Example

HEADERS = ("lang", "n", "clean", "attacked", "drop", "rel.")
# What an adversarial example changed: struck through in the original, bold in the attack.
CHANGED_BEFORE = "strike red"
CHANGED_AFTER = "bold reverse yellow"


def _system_cells(
    report: RobustnessReport, system: str, attack: str, language: str, measure: str
) -> list[str]:
    cell = report.score(system, attack, language, measure)
    if cell is None:
        return ["-"] * 4
    relative = "-" if cell.relative_drop is None else f"{100 * cell.relative_drop:.1f}%"
    return [f"{cell.clean:.3f}", f"{cell.attacked:.3f}", f"{cell.drop:+.3f}", relative]


def attack_rows(report: RobustnessReport, attack: str, measure: str) -> list[list[str]]:
    """One row per language (then ``all``): n, each system's clean, attacked, drop and
    relative drop, then each system's Δdrop with its mark."""
    rows = []
    for language in [*report.languages, POOLED]:
        base = report.score(report.systems[0], attack, language, measure)
        row = [language, str(base.n if base else "-")]
        for system in report.systems:
            row += _system_cells(report, system, attack, language, measure)
        row += _deltas(report.tests, attack, language, measure)
        rows.append(row)
    return rows


def attack_headers(report: RobustnessReport) -> list[str]:
    """The columns of :func:`attack_rows`."""
    headers = ["lang", "n"]
    for system in report.systems:
        headers += [f"{system} clean", "attacked", "drop", "rel."]
    headers += [f"Δdrop {s}" for s in report.systems[1:]]
    return headers


def footnote(report: RobustnessReport, measure: str = "") -> str:
    """What drop, Δdrop and the star mean."""
    family = family_text(report.correction, len(report.systems) - 1, len(report.languages))
    drop = (
        "drop = attacked - clean (a confusion rate: the attack raises it)"
        if lookup(measure).lower_is_better
        else "drop = clean - attacked"
    )
    return (
        f"{drop}; Δdrop = system drop - baseline drop (negative: more robust); all: every "
        f"language pooled; * p < {report.alpha:g}, {TESTS[report.test]} on per-query drops, "
        f"{family}"
    )


def summary_lines(report: RobustnessReport, measure: str) -> list[str]:
    """One line per system: mean clean score and mean drop over all attacks and languages."""
    cells = len(report.attacks) * len(report.languages)
    lines = []
    for system, row in report.summary(measure).items():
        relative = (
            "" if lookup(measure).lower_is_better else f" ({100 * row['relative_drop']:.1f}%)"
        )
        line = (
            f"{system}: clean {measure} {row['clean']:.3f}, mean drop {row['drop']:+.3f}"
            f"{relative} over {cells} attack x language cells"
        )
        if system != report.systems[0]:
            pooled = [
                t.comparison
                for t in report.tests
                if t.comparison.run == system
                and (t.comparison.measure, t.comparison.language) == (measure, POOLED)
            ]
            better = sum(c.significant and c.delta < 0 for c in pooled)
            worse = sum(c.significant and c.delta > 0 for c in pooled)
            line += (
                f"; all languages pooled, significantly more robust than the baseline under "
                f"{better} of {len(pooled)} attacks, less robust under {worse}"
            )
        lines.append(line)
    return lines


def success_headers(report: RobustnessReport) -> list[str]:
    """The columns of :func:`success_rows`."""
    headers = ["attack", "mode", "lang"]
    for system in report.systems:
        headers += [f"{system} n", "rate [95% CI]"]
    return [*headers, *(f"Δ {s}" for s in report.systems[1:])]


def success_rows(report: RobustnessReport, measure: str, language: str = POOLED) -> list[list[str]]:
    """Per attack: each system's success rate (queries in reach before the attack, rate,
    bootstrap interval) and its difference from the baseline with its mark. ``mode`` is the
    attack's relation to the first system that it was not crafted against, else adaptive."""
    rows = []
    for attack in report.attacks:
        cells = [report.success_rate(s, attack, language, measure) for s in report.systems]
        if not any(cells):
            continue
        modes = {report.mode(s, attack) for s in report.systems}
        row = [attack, " / ".join(sorted(modes)), language]
        for cell in cells:
            row += (
                ["-", "-"]
                if cell is None
                else [
                    str(cell.n),
                    f"{cell.rate:.3f} [{cell.ci_low:.3f}, {cell.ci_high:.3f}]",
                ]
            )
        rows.append(row + _deltas(report.success_tests, attack, language, measure))
    return rows


def _deltas(tests: list[DropTest], attack: str, language: str, measure: str) -> list[str]:
    """Each system's difference from the baseline in one cell, starred when significant."""
    return [
        f"{t.comparison.delta:+.3f}" + ("*" if t.comparison.significant else "")
        for t in tests
        if (t.attack, t.comparison.language, t.comparison.measure) == (attack, language, measure)
    ]


def success_footnote(report: RobustnessReport, measure: str) -> str:
    """What a success rate, its interval and Δ mean."""
    cutoff = lookup(measure).cutoff
    family = family_text(report.correction, len(report.systems) - 1, len(report.languages))
    return (
        f"{measure}: share of the queries with the relevant passage in the top {cutoff} before "
        f"the attack (n) that lost it; 95% percentile bootstrap interval; Δ = system - "
        f"baseline on the queries both had in reach (negative: more robust); * p < "
        f"{report.alpha:g}, {TESTS[report.test]}, {family}; adaptive: crafted against the "
        "system itself; transfer: crafted against another"
    )


def success_tables(report: RobustnessReport) -> list[Table]:
    """One table per success measure, every language pooled."""
    tables = []
    for measure in SUCCESS_MEASURES:
        rows = success_rows(report, measure)
        if not rows:
            continue
        table = Table(
            title=f"attack success {measure}, all languages",
            caption=success_footnote(report, measure),
        )
        for position, header in enumerate(success_headers(report)):
            table.add_column(header, justify="left" if position < 3 else "right")
        for row in rows:
            table.add_row(*row)
        tables.append(table)
    return tables


def overview_attacks(report: RobustnessReport) -> list[str]:
    """The attacks of the overview: random ones, model-aware ones crafted against the
    baseline (transfer to every other system), and the adaptive ones."""
    baseline = report.systems[0]
    chosen = []
    for attack in report.attacks:
        settings = report.settings.get(attack)
        target = None if settings is None else settings["target"]
        if target in (None, baseline, ADAPTIVE):
            chosen.append(attack)
    return chosen


def overview_measure(report: RobustnessReport) -> str:
    """The overview's measure: the first one where higher is better (MRR@10 by default)."""
    return next((m for m in report.measures if not lookup(m).lower_is_better), report.measures[0])


def overview_headers(report: RobustnessReport, measure: str) -> list[str]:
    """The columns of :func:`overview_rows`."""
    headers = ["system", f"clean {measure}"]
    for attack in overview_attacks(report):
        settings = report.settings.get(attack)
        target = None if settings is None else settings["target"]
        kind = "random" if target is None else ADAPTIVE if target == ADAPTIVE else "transfer"
        headers += [f"{attack} ({kind})", SUCCESS_MEASURES[0]]
    return headers


def overview_rows(report: RobustnessReport, measure: str) -> list[list[str]]:
    """One row per system, every language pooled: the clean score of the first attack's
    queries, then per overview attack the attacked score with its drop (from the clean
    score of the queries that attack touched) and the success rate with its interval."""
    rows = []
    attacks = overview_attacks(report)
    for system in report.systems:
        first = report.score(system, attacks[0], POOLED, measure) if attacks else None
        row = [system, "-" if first is None else f"{first.clean:.3f}"]
        for attack in attacks:
            cell = report.score(system, attack, POOLED, measure)
            row.append("-" if cell is None else f"{cell.attacked:.3f} ({cell.drop:+.3f})")
            rate = report.success_rate(system, attack, POOLED, SUCCESS_MEASURES[0])
            row.append(
                "-" if rate is None else f"{rate.rate:.2f} [{rate.ci_low:.2f}, {rate.ci_high:.2f}]"
            )
        rows.append(row)
    return rows


def overview_footnote(report: RobustnessReport, measure: str) -> str:
    """What the overview's cells are."""
    return (
        f"{measure}, every language pooled; clean: the first attack's clean queries; under an "
        f"attack: the attacked {measure} (its drop from the clean {measure} of the queries it "
        f"attacked); {SUCCESS_MEASURES[0]}: share of the queries first before the "
        "attack that are not after it, 95% percentile bootstrap interval; transfer: crafted "
        f"against {report.systems[0]}; adaptive: crafted against each system itself"
    )


def overview_table(report: RobustnessReport, measure: str) -> Table:
    """:func:`overview_rows` as a terminal table."""
    table = Table(
        title=f"overview: {measure}, all languages", caption=overview_footnote(report, measure)
    )
    for position, header in enumerate(overview_headers(report, measure)):
        table.add_column(header, justify="left" if position == 0 else "right")
    for row in overview_rows(report, measure):
        table.add_row(*row)
    return table


def highlighted(original: str, changed: str) -> tuple[Text, Text]:
    """Both texts on one line, shown literally, with what differs between them highlighted
    (spans of :class:`rich.text.Text`, never markup; control characters escaped first, so
    the spans are those of the shown text)."""
    from pipelines.robustness.moves import diff_spans
    from xqg_tui.literal import visible

    before, after = visible(original, one_line=True), visible(changed, one_line=True)
    removed, added = diff_spans(before, after)
    shown = Text(before), Text(after)
    for start, end in removed:
        shown[0].stylize(CHANGED_BEFORE, start, end)
    for start, end in added:
        shown[1].stylize(CHANGED_AFTER, start, end)
    return shown


def example_headers(systems: list[str]) -> list[str]:
    """The columns of :func:`example_rows`."""
    return ["target", "lang", "original", "adversarial", *(f"{s} rank" for s in systems)]


def example_rows(examples: list[Example], systems: list[str]) -> list[list[str | Text]]:
    """Per adversarial query: target, language, both texts highlighted, and per system the
    relevant passage's rank before -> after (``>depth``: not retrieved)."""
    rows: list[list[str | Text]] = []
    for example in examples:
        before, after = highlighted(example.original, example.adversarial)
        ranks = [_ranks(*example.ranks.get(s, (None, None))) for s in systems]
        rows.append([example.target, example.language, before, after, *ranks])
    return rows


def _ranks(before: int | None, after: int | None) -> str:
    return f"{before or '>depth'} → {after or '>depth'}"


def rich_tables(report: RobustnessReport, measure: str) -> list[Table]:
    """One table per attack for one measure."""
    tables = []
    for attack in report.attacks:
        table = Table(
            title=f"{measure} under {report.attack_title(attack)}",
            caption=footnote(report, measure),
        )
        for position, header in enumerate(attack_headers(report)):
            table.add_column(header, justify="left" if position == 0 else "right")
        for row in attack_rows(report, attack, measure):
            table.add_row(*row, end_section=row[0] == report.languages[-1])
        tables.append(table)
    return tables


def markdown(report: RobustnessReport) -> str:
    """The clean comparison, then every measure and attack as Markdown tables, with the
    summary lines."""
    from xqg_tui.report import headers as clean_headers
    from xqg_tui.report import rows as clean_rows

    wall = "" if report.seconds is None else f"; wall time {report.seconds:.0f} s"
    lines = [
        f"# Robustness: {', '.join(report.systems)}",
        "",
        f"Queries of split `{report.split}` in {', '.join(report.languages)}{wall}.",
        "",
    ]
    if report.attacks:
        measure = overview_measure(report)
        headers = overview_headers(report, measure)
        lines += [
            "## Overview",
            "",
            f"{overview_footnote(report, measure)}.",
            "",
            "| " + " | ".join(headers) + " |",
            "|---|" + "|".join(["---:"] * (len(headers) - 1)) + "|",
            *["| " + " | ".join(row) + " |" for row in overview_rows(report, measure)],
            "",
        ]
    if report.clean is not None:
        lines += ["## Clean queries", ""]
        for measure in report.clean.measures:
            header = clean_headers(report.clean)
            lines += [
                f"### {measure}",
                "",
                "| " + " | ".join(header) + " |",
                "|---|" + "|".join(["---:"] * (len(header) - 1)) + "|",
                *["| " + " | ".join(row) + " |" for row in clean_rows(report.clean, measure)],
                "",
            ]
    for measure in report.measures if report.attacks else []:
        lines += [
            f"## {measure} under attack",
            "",
            f"{footnote(report, measure)}.",
            "",
            *[f"- {line}" for line in summary_lines(report, measure)],
            "",
        ]
        for attack in report.attacks:
            headers = attack_headers(report)
            lines += [
                f"### {report.attack_title(attack)}",
                "",
                "| " + " | ".join(headers) + " |",
                "|" + "|".join(["---"] + ["---:"] * (len(headers) - 1)) + "|",
            ]
            lines += ["| " + " | ".join(row) + " |" for row in attack_rows(report, attack, measure)]
            lines.append("")
    return "\n".join(lines + _success_markdown(report))


def _success_markdown(report: RobustnessReport) -> list[str]:
    lines = []
    for measure in SUCCESS_MEASURES:
        rows = [
            row
            for language in [*report.languages, POOLED]
            for row in success_rows(report, measure, language)
        ]
        if not rows:
            continue
        headers = success_headers(report)
        lines += [
            f"## Attack success {measure}",
            "",
            f"{success_footnote(report, measure)}.",
            "",
            "| " + " | ".join(headers) + " |",
            "|" + "|".join(["---"] * 3 + ["---:"] * (len(headers) - 3)) + "|",
            *["| " + " | ".join(row) + " |" for row in rows],
            "",
        ]
    return lines


def drops_png(report: RobustnessReport, measure: str, path: str | Path) -> None:
    """Per-language drops of every system, one panel per attack."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    figure, axes = plt.subplots(
        len(report.attacks),
        1,
        squeeze=False,
        figsize=(max(6, len(report.languages) * 0.7), 2.6 * len(report.attacks)),
    )
    x = np.arange(len(report.languages))
    width = 0.8 / len(report.systems)
    for row, attack in enumerate(report.attacks):
        ax = axes[row][0]
        for k, system in enumerate(report.systems):
            drops = [
                getattr(report.score(system, attack, lang, measure), "drop", 0.0)
                for lang in report.languages
            ]
            ax.bar(x + k * width, drops, width, label=system)
        ax.set_title(f"{measure} drop under {attack}")
        ax.set_xticks(x + width * (len(report.systems) - 1) / 2, report.languages)
        ax.axhline(0, color="black", linewidth=0.5)
        ax.legend(fontsize="small")
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
