"""Robustness of cross-lingual retrieval: adversarial XNLI benchmarks and query perturbations."""
