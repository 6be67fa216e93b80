"""Robustness reports for people: a table per attack, a summary line per system, Markdown
and a PNG of the drops per language."""

from __future__ import annotations

from pathlib import Path

from rich.table import Table

from pipelines.metrics.paired import family_text
from pipelines.metrics.significance import TESTS
from pipelines.robustness.evaluate import RobustnessReport

HEADERS = ("lang", "n", "clean", "attacked", "drop", "rel.")


def _system_cells(
    report: RobustnessReport, system: str, attack: str, language: str, measure: str
) -> list[str]:
    cell = report.score(system, attack, language, measure)
    if cell is None:
        return ["-"] * 4
    relative = "-" if cell.relative_drop is None else f"{100 * cell.relative_drop:.1f}%"
    return [f"{cell.clean:.3f}", f"{cell.attacked:.3f}", f"{cell.drop:+.3f}", relative]


def _rows(report: RobustnessReport, attack: str, measure: str) -> list[list[str]]:
    rows = []
    for language in report.languages:
        base = report.score(report.systems[0], attack, language, measure)
        row = [language, str(base.n if base else "-")]
        for system in report.systems:
            row += _system_cells(report, system, attack, language, measure)
        for test in report.tests:
            cell = test.comparison
            if (test.attack, cell.language, cell.measure) == (attack, language, measure):
                row.append(f"{cell.delta:+.3f}" + ("*" if cell.significant else ""))
        rows.append(row)
    return rows


def _headers(report: RobustnessReport) -> list[str]:
    headers = ["lang", "n"]
    for system in report.systems:
        headers += [f"{system} clean", "attacked", "drop", "rel."]
    headers += [f"Δdrop {s}" for s in report.systems[1:]]
    return headers


def footnote(report: RobustnessReport) -> str:
    """What the star means."""
    family = family_text(report.correction, len(report.systems) - 1, len(report.languages))
    return (
        f"Δdrop = system drop - baseline drop (negative: more robust); * p < {report.alpha:g}, "
        f"{TESTS[report.test]} on per-query drops, {family}"
    )


def summary_lines(report: RobustnessReport, measure: str) -> list[str]:
    """One line per system: mean clean score and mean drop over all attacks and languages."""
    cells = len(report.attacks) * len(report.languages)
    return [
        f"{system}: clean {measure} {row['clean']:.3f}, mean drop {row['drop']:+.3f} "
        f"({100 * row['relative_drop']:.1f}%) over {cells} attack x language cells"
        for system, row in report.summary(measure).items()
    ]


def rich_tables(report: RobustnessReport, measure: str) -> list[Table]:
    """One table per attack for one measure."""
    tables = []
    for attack in report.attacks:
        table = Table(title=f"{measure} under {attack}", caption=footnote(report))
        for position, header in enumerate(_headers(report)):
            table.add_column(header, justify="left" if position == 0 else "right")
        for row in _rows(report, attack, measure):
            table.add_row(*row)
        tables.append(table)
    return tables


def markdown(report: RobustnessReport) -> str:
    """Every measure and attack as Markdown tables, with the summary lines."""
    lines = [f"# Robustness: {', '.join(report.systems)}", "", f"{footnote(report)}.", ""]
    for measure in report.measures:
        lines += [
            f"## {measure}",
            "",
            *[f"- {line}" for line in summary_lines(report, measure)],
            "",
        ]
        for attack in report.attacks:
            headers = _headers(report)
            lines += [
                f"### {attack}",
                "",
                "| " + " | ".join(headers) + " |",
                "|" + "|".join(["---"] + ["---:"] * (len(headers) - 1)) + "|",
            ]
            lines += ["| " + " | ".join(row) + " |" for row in _rows(report, attack, measure)]
            lines.append("")
    return "\n".join(lines)


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
