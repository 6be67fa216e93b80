"""Qrels measures through ir_measures, checked against values worked out by hand."""

from __future__ import annotations

import math

import ir_measures
import pytest

from pipelines.errors import InputError
from pipelines.metrics.qrels import is_qrels_measure, parse_measure, qrels_measures

# Query 1 judges passages 10 (grade 1), 20 (grade 2) and 30 (grade 0, not relevant).
# Its ranking: 5, 20, 7, 10, 8 (5, 7, 8 unjudged) - relevant at ranks 2 and 4.
QRELS = {1: {10: 1, 20: 2, 30: 0}, 2: {40: 1, 41: 0}, 3: {50: 1}}
RANKED = {1: [5, 20, 7, 10, 8], 2: [41, 42, 43, 40], 4: [50, 10]}


def test_worked_example_mrr_recall_precision() -> None:
    names = ["MRR@10", "MRR@3", "Recall@1", "Recall@2", "Recall@5", "P@1", "P@2", "P@5", "P@10"]
    values = qrels_measures(names, QRELS, RANKED)
    # Query 1: first relevant at rank 2; 2 relevant passages; 2 relevant in the top 5.
    assert values["MRR@10"][1] == pytest.approx(1 / 2)
    assert values["MRR@3"][1] == pytest.approx(1 / 2)
    assert values["Recall@1"][1] == 0.0
    assert values["Recall@2"][1] == pytest.approx(1 / 2)
    assert values["Recall@5"][1] == pytest.approx(2 / 2)
    assert values["P@1"][1] == 0.0
    assert values["P@2"][1] == pytest.approx(1 / 2)
    assert values["P@5"][1] == pytest.approx(2 / 5)
    assert values["P@10"][1] == pytest.approx(2 / 10)  # divides by k, not by retrieved
    # Query 2: the grade-0 passage at rank 1 does not count; the relevant one is rank 4.
    assert values["MRR@10"][2] == pytest.approx(1 / 4)
    assert values["MRR@3"][2] == 0.0
    assert values["Recall@5"][2] == pytest.approx(1.0)
    assert values["P@5"][2] == pytest.approx(1 / 5)


def test_worked_example_graded_ndcg_with_log2_discounts() -> None:
    values = qrels_measures(["nDCG@10", "nDCG@3", "nDCG@1"], QRELS, RANKED)
    # Linear gains (trec_eval): grade 2 at rank 2, grade 1 at rank 4.
    dcg = 2 / math.log2(2 + 1) + 1 / math.log2(4 + 1)
    ideal = 2 / math.log2(1 + 1) + 1 / math.log2(2 + 1)
    assert values["nDCG@10"][1] == pytest.approx(dcg / ideal, rel=1e-9)
    assert values["nDCG@10"][1] == pytest.approx(0.6433224, abs=1e-7)
    assert values["nDCG@3"][1] == pytest.approx((2 / math.log2(3)) / ideal, rel=1e-9)
    assert values["nDCG@1"][1] == 0.0
    assert values["nDCG@10"][2] == pytest.approx((1 / math.log2(5)) / 1.0, rel=1e-9)


def test_judged_queries_without_results_score_zero_and_unjudged_are_left_out() -> None:
    values = qrels_measures(["MRR@10", "nDCG@10", "Recall@100", "P@1"], QRELS, RANKED)
    for by_query in values.values():
        assert set(by_query) == {1, 2, 3}  # query 4 has results but no judgements
        assert by_query[3] == 0.0
    no_results = qrels_measures(["MRR@10"], QRELS, {})
    assert no_results == {"MRR@10": {1: 0.0, 2: 0.0, 3: 0.0}}


def test_cutoffs_apply_to_the_stored_ranks() -> None:
    ranked = {7: [*range(100, 110), 77, 110]}  # the relevant passage 77 is rank 11
    values = qrels_measures(["MRR@10", "MRR@11", "Recall@10", "Recall@11"], {7: {77: 1}}, ranked)
    assert values == {
        "MRR@10": {7: 0.0},
        "MRR@11": {7: pytest.approx(1 / 11)},
        "Recall@10": {7: 0.0},
        "Recall@11": {7: 1.0},
    }


def test_equal_scores_are_evaluated_in_stored_rank_order() -> None:
    # trec_eval re-sorts equal scores by docid; the stored ranking must win.
    qrels = {1: {3: 1}}
    ranked = {1: [3, 2, 1]}
    tied = list(
        ir_measures.iter_calc(
            [ir_measures.RR @ 10],
            [ir_measures.Qrel("1", "3", 1)],
            [ir_measures.ScoredDoc("1", str(p), 1.0) for p in ranked[1]],
        )
    )
    assert tied[0].value != 1.0  # equal scores really are re-sorted
    assert qrels_measures(["MRR@10", "P@1"], qrels, ranked) == {
        "MRR@10": {1: 1.0},
        "P@1": {1: 1.0},
    }
    assert qrels_measures(["MRR@10"], qrels, {1: [1, 2, 3]}) == {"MRR@10": {1: 1 / 3}}
    # Numeric ids whose string order differs: rank 2 stays rank 2.
    assert qrels_measures(["MRR@10"], {1: {9: 1}}, {1: [10, 9]}) == {"MRR@10": {1: 0.5}}


def test_measure_names() -> None:
    assert parse_measure("MRR@10") == ir_measures.RR @ 10
    assert parse_measure("Recall@100") == ir_measures.R @ 100
    assert parse_measure("nDCG@10") == ir_measures.nDCG @ 10
    assert parse_measure("P@5") == ir_measures.P @ 5
    for name in ("MRR@10", "nDCG@3", "Recall@1", "P@20"):
        assert is_qrels_measure(name)
    for name in ("MAP@10", "mrr@10", "MRR", "MRR@", "R@2kt", "Recall@10 ", "ndcg@10", "R@10"):
        assert not is_qrels_measure(name)


@pytest.mark.parametrize("name", ["MAP@10", "mrr@10", "MRR", "R@2kt", "nDCG@10x", ""])
def test_unknown_measure_is_input_error(name: str) -> None:
    with pytest.raises(InputError, match="unknown measure"):
        parse_measure(name)
    with pytest.raises(InputError, match="unknown measure"):
        qrels_measures(["MRR@10", name], QRELS, RANKED)
