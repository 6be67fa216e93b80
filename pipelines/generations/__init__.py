"""Generated queries: from a seq2seq model, held-out stand-ins, imports and exports."""

from pipelines.generations.export import export_generations
from pipelines.generations.heldout import generate_heldout
from pipelines.generations.imports import import_generations, read_generations
from pipelines.generations.model import generate_queries

__all__ = [
    "export_generations",
    "generate_heldout",
    "generate_queries",
    "import_generations",
    "read_generations",
]
