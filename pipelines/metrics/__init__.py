"""Evaluation measures: R@kt (answer strings), qrels measures, significance tests."""
