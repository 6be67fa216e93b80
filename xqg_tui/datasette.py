"""Datasette over an xqg database: labels and descriptions of the tables, and canned queries
for the questions users ask most (``xqg datasette`` serves them)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

DESCRIPTION = (
    "An xqg database: collections, passages, queries, qrels, runs of the pipeline, generated "
    "queries, rankings and per-query metric values. Values of query_metrics are fractions "
    "(reports show R@kt in percent)."
)

TABLES: dict[str, dict[str, Any]] = {
    "collections": {"label_column": "name", "description": "Datasets ingested, one per name."},
    "runs": {
        "label_column": "name",
        "description": "Every step run: kind, name, status, parameters and summary (JSON).",
    },
    # Docids name a passage uniquely in its collection (XQuAD: title#paragraph).
    "passages": {"label_column": "docid", "description": "Passages of each collection."},
    "queries": {
        "label_column": "text",
        "description": "Evaluation queries (language ISO 639-1; split; parallel id across "
        "languages).",
    },
    "qrels": {"description": "Relevance of a passage to a query (1: relevant)."},
    "answers": {"description": "Answer strings of a query (R@kt looks for them)."},
    "generations": {
        "label_column": "text",
        "description": "Generated queries per passage, language and position; the language a "
        "detector found in each and its confidence. Full-text search here covers only the "
        "runs listed in generations_indexed: build it for another run with "
        "`xqg generate fts RUN`.",
        "columns": {
            "language": "the language the query was generated for (ISO 639-1)",
            "detected_language": "the language py3langid finds in the text (NULL: not detected "
            "yet, `xqg generate languages RUN`)",
            "language_confidence": "py3langid's probability of detected_language, 0 to 1",
            "source_query_id": "for held-out stand-ins: the real question standing in",
        },
    },
    "results": {
        "description": "Rankings of search runs.",
        "columns": {"score": "inner product of query and passage vectors"},
    },
    "query_metrics": {
        "description": "One value per search run, measure and query.",
        "columns": {"value": "the measure's value for the query, as a fraction (0 to 1)"},
    },
    "vector_sets": {"description": "Vector files (usearch) of indexes and encoded queries."},
}
HIDDEN = [
    f"{table}_fts{part}"
    for table in ("passages", "generations")
    for part in ("", "_config", "_data", "_docsize", "_idx")
]

QUERIES: dict[str, dict[str, str]] = {
    "metrics_per_language": {
        "title": "Per-language metrics of a search run",
        "description": "The mean of each stored measure per query language, for one search "
        "run (its name).",
        "sql": "SELECT q.language, m.measure, round(avg(m.value), 4) AS mean, count(*) AS "
        "queries FROM query_metrics m JOIN runs r ON r.id = m.run_id JOIN queries q ON q.id = "
        "m.query_id WHERE r.name = :run GROUP BY q.language, m.measure "
        "ORDER BY m.measure, q.language",
    },
    "generations_of_passage": {
        "title": "Generated queries of a passage",
        "description": "Every generated query of one passage (its docid), by run and language, "
        "with the detected language.",
        "sql": "SELECT r.name AS run, g.language, g.position, g.text, g.detected_language, "
        "g.language_confidence FROM generations g JOIN passages p ON p.id = g.passage_id "
        "JOIN runs r ON r.id = g.run_id WHERE p.docid = :docid "
        "ORDER BY r.id, g.language, g.position",
    },
}


def metadata(database: str | Path) -> dict[str, Any]:
    """Datasette metadata for the database file ``database`` (named by its stem)."""
    tables = {name: dict(settings) for name, settings in TABLES.items()}
    tables.update({name: {"hidden": True} for name in HIDDEN})
    return {
        "title": "xqg",
        "description": DESCRIPTION,
        "databases": {Path(database).stem: {"tables": tables, "queries": QUERIES}},
    }
